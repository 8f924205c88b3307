/* dpi_ext.c - struct lsg_dpi_ext from a DPI event (see dpi_ext.h). */
#include "policy/dpi_ext.h"

#include <string.h>

static void put(char *dst, size_t cap, const char *src, size_t n)
{
	if (n > cap - 1)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = 0;
}

int ls_grpc_split(const char *path, size_t len, char *svc, size_t svc_cap, char *meth,
		  size_t meth_cap)
{
	if (len < 4 || path[0] != '/')
		return -1;
	const char *slash = memchr(path + 1, '/', len - 1);
	if (!slash || slash == path + 1 || slash == path + len - 1 ||
	    memchr(slash + 1, '/', (size_t)(path + len - slash - 1)))
		return -1;
	put(svc, svc_cap, path + 1, (size_t)(slash - path - 1));
	put(meth, meth_cap, slash + 1, (size_t)(path + len - slash - 1));
	return 0;
}

void ls_dpi_ext_fill(struct lsg_dpi_ext *x, const struct ls_event_dpi *k,
		     const struct ls_flow_key *key)
{
	memset(x, 0, sizeof(*x));
	_Static_assert(
	    (int)LSG_TUN_PPPOE == (int)LS_TUN_PPPOE && (int)LSG_TUN_VXLAN == (int)LS_TUN_VXLAN &&
		(int)LSG_TUN_VXLAN_GPE == (int)LS_TUN_VXLAN_GPE &&
		(int)LSG_TUN_GTPU == (int)LS_TUN_GTPU && (int)LSG_TUN_TEREDO == (int)LS_TUN_TEREDO,
	    "guest.h's tunnel types are the wire's");
	x->tunnel_type = key->tun_type;
	x->tunnel_id = key->tun_id;
	x->index = k->index;
	size_t al = k->alpn_len < sizeof(k->alpn) ? k->alpn_len : sizeof(k->alpn);
	put(x->alpn, sizeof(x->alpn), k->alpn, strnlen(k->alpn, al));
	x->alpn_len = (uint32_t)strlen(x->alpn);
	if ((k->flags & LS_DPI_F_GRPC) && k->kind == LS_DPI_HTTP) {
		size_t pl = k->path_len < sizeof(k->path) ? k->path_len : sizeof(k->path);
		pl = strnlen(k->path, pl);
		if (!ls_grpc_split(k->path, pl, x->grpc_service, sizeof(x->grpc_service),
				   x->grpc_method, sizeof(x->grpc_method))) {
			x->grpc_service_len = (uint32_t)strlen(x->grpc_service);
			x->grpc_method_len = (uint32_t)strlen(x->grpc_method);
		}
	}
}
