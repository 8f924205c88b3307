/* dpiext.c - reads the ABI version 2 DPI extension: passes a gRPC call to
 * helloworld.Greeter/SayHello, an HTTP/3 (QUIC) ClientHello offering "h3"
 * first, a DNS question past the first (index >= 1) and anything from VXLAN
 * VNI 42; drops everything else that reaches on_dpi. */
#include <lockstep/guest.h>

static int eq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

LSG_EXPORT(on_dpi) int32_t on_dpi(int32_t flow)
{
	const struct lsg_event *ev = lsg_event();
	const struct lsg_dpi_ext *x = lsg_dpi_ext();
	int ok = lsg_dpi_is_grpc("helloworld.Greeter", "SayHello") ||
		 (ev->u.dpi.kind == LSG_DPI_TLS && (ev->u.dpi.flags & LSG_DPI_F_QUIC) &&
		  x->alpn_len == 2 && eq(x->alpn, "h3")) ||
		 (ev->u.dpi.kind == LSG_DPI_DNS && x->index >= 1) ||
		 (x->tunnel_type == LSG_TUN_VXLAN && x->tunnel_id == 42);
	return lsg_set_verdict(flow, ok ? LSG_PASS : LSG_DROP, 0);
}
