/* attach.c - attaching the data plane to an interface: XDP through a pinned
 * bpf_link (native first, generic as fallback, and saying which); TC egress
 * is attach_tc.c. When the pins already hold a link for this interface it is
 * adopted: the program is never detached, and at most swapped atomically
 * (BPF_LINK_UPDATE) for this build's program. */
#include "dataplane/dp_internal.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "lockstep.skel.h"

const char *ls_xdp_mode_name(enum ls_xdp_mode m)
{
	switch (m) {
	case LS_XDP_NATIVE: return "native";
	case LS_XDP_GENERIC: return "generic";
	default: return "auto";
	}
}

int ls_xdp_mode_parse(const char *s)
{
	if (!strcmp(s, "auto"))
		return LS_XDP_AUTO;
	if (!strcmp(s, "native") || !strcmp(s, "drv"))
		return LS_XDP_NATIVE;
	if (!strcmp(s, "generic") || !strcmp(s, "skb"))
		return LS_XDP_GENERIC;
	return -1;
}

enum ls_xdp_mode ls_xdp_mode_of(int ifindex)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	if (bpf_xdp_query(ifindex, 0, &q))
		return LS_XDP_AUTO;
	if (q.attach_mode == XDP_ATTACHED_DRV)
		return LS_XDP_NATIVE;
	if (q.attach_mode == XDP_ATTACHED_SKB)
		return LS_XDP_GENERIC;
	return LS_XDP_AUTO;
}

int ls_prog_tag(int prog_fd, __u8 tag[8])
{
	struct bpf_prog_info info = {0};
	__u32 len = sizeof(info);
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return -errno;
	memcpy(tag, info.tag, 8);
	return 0;
}

static __u32 map_id(int fd)
{
	struct bpf_map_info info = {0};
	__u32 len = sizeof(info);
	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

static int prog_map_ids(int prog_fd, __u32 ids[64], __u32 *n)
{
	struct bpf_prog_info info = {0};
	__u32 len = sizeof(info);
	info.nr_map_ids = 64;
	info.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return -errno;
	*n = info.nr_map_ids < 64 ? info.nr_map_ids : 64;
	return 0;
}

static bool has_id(const __u32 *ids, __u32 n, __u32 id)
{
	for (__u32 i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

/* Do the attached program and this build's program use the same ones of
 * the maps dp holds? (A program only lists the maps it references.) */
bool ls_prog_same_maps(int old_fd, int new_fd, const struct ls_dp *dp)
{
	__u32 o[64], nw[64], no, nn;
	if (prog_map_ids(old_fd, o, &no) || prog_map_ids(new_fd, nw, &nn))
		return false;
	for (int m = 0; m < LS_MAP__N; m++) {
		__u32 id = map_id(dp->map_fd[m]);
		if (!id || has_id(o, no, id) != has_id(nw, nn, id))
			return false;
	}
	return true;
}

/* Adopts DIR/link_xdp. Returns 1 when adopted, 0 when there is nothing to
 * adopt (no pin, or a link whose interface vanished), <0 on error. */
static int adopt_xdp(struct ls_dp *dp, int ifindex, struct ls_dp_status *st, struct ls_err *err)
{
	char path[PATH_MAX], ifn[IF_NAMESIZE] = "?";
	struct bpf_link_info li = {0};
	int fd, rc = ls_pin_link_open(dp->pin_dir, "link_xdp", path, &li, sizeof(li), &fd, err);
	if (rc <= 0)
		return rc;
	if (li.type != BPF_LINK_TYPE_XDP) {
		close(fd);
		return ls_errf(err, -EINVAL,
			       "%s is not an XDP link; remove the pins with "
			       "`lockstep stop --pin-dir %s`",
			       path, dp->pin_dir);
	}
	if (li.xdp.ifindex == 0) {
		/* The interface went away (or someone detached the link):
		 * nothing is attached, so attaching afresh opens no gap. */
		close(fd);
		unlink(path);
		return 0;
	}
	if ((int)li.xdp.ifindex != ifindex) {
		close(fd);
		if_indextoname(li.xdp.ifindex, ifn);
		return ls_errf(err, -EBUSY,
			       "the pins in %s belong to lockstep attached to %s (ifindex %u); "
			       "use another --pin-dir, or `lockstep stop --pin-dir %s` first",
			       dp->pin_dir, ifn, li.xdp.ifindex, dp->pin_dir);
	}
	dp->link_fd = fd;
	st->adopted_link = true;
	st->xdp_mode = ls_xdp_mode_of(ifindex);

	/* The attached program is replaced in place (atomically, no gap)
	 * when it is another build, or when it does not use the maps we now
	 * hold: a pin dir that lost a map pin got a fresh map this time. */
	__u8 old_tag[8], new_tag[8];
	int new_fd = bpf_program__fd(dp->skel->progs.ls_xdp);
	int old_fd = bpf_prog_get_fd_by_id(li.prog_id);
	bool stale = old_fd < 0 || ls_prog_tag(old_fd, old_tag) || ls_prog_tag(new_fd, new_tag) ||
		     memcmp(old_tag, new_tag, 8) || !ls_prog_same_maps(old_fd, new_fd, dp);
	if (stale) {
		if (bpf_link_update(fd, new_fd, NULL)) {
			int rc = -errno;
			if (old_fd >= 0)
				close(old_fd);
			return ls_errf(err, rc,
				       "updating the adopted XDP link to this build's program: %s",
				       strerror(-rc));
		}
		st->prog_replaced = true;
	}
	if (old_fd >= 0)
		close(old_fd);
	return 1;
}

/* The XDP hook of an interface holds one program, and lockstep does not
 * share it: libxdp's multi-program dispatcher could not be loaded on the
 * kernel this was built on (docs/operations.md, Neighbours). Say whose
 * program is there and what to do. */
static int xdp_busy(int ifindex, const char *ifn, int rc, struct ls_err *err)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	char what[96] = "an XDP program";
	__u32 id = 0;
	if (!bpf_xdp_query(ifindex, 0, &q))
		id = q.prog_id ? q.prog_id : q.drv_prog_id ? q.drv_prog_id : q.skb_prog_id;
	int fd = id ? bpf_prog_get_fd_by_id(id) : -1;
	if (fd >= 0) {
		struct bpf_prog_info info = {0};
		__u32 len = sizeof(info);
		if (!bpf_obj_get_info_by_fd(fd, &info, &len))
			snprintf(what, sizeof(what), "XDP program %u (%s%s)", id, info.name,
				 !strncmp(info.name, "xdp_dispatcher", 14) ? ", libxdp's dispatcher"
									    : "");
		close(fd);
	}
	return ls_errf(err, rc,
		       "%s already has %s attached that lockstep does not own; lockstep needs "
		       "the XDP hook of %s to itself (it does not join libxdp's multi-program "
		       "dispatcher): detach it (`xdp-loader unload %s --all` if xdp-loader "
		       "loaded it, else `ip link set dev %s xdp off`), or move that program to "
		       "TC, where --tc-order places lockstep beside it, or attach lockstep to "
		       "another interface (docs/operations.md, Neighbours)",
		       ifn, what, ifn, ifn, ifn);
}

static int link_xdp(int prog_fd, int ifindex, __u32 flags)
{
	LIBBPF_OPTS(bpf_link_create_opts, o, .flags = flags);
	int fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &o);
	return fd < 0 ? -errno : fd;
}

int ls_attach_xdp(struct ls_dp *dp, int ifindex, enum ls_xdp_mode want, struct ls_dp_status *st,
		  struct ls_err *err)
{
	char path[PATH_MAX], ifn[IF_NAMESIZE] = "?";
	int rc = adopt_xdp(dp, ifindex, st, err);
	if (rc)
		return rc < 0 ? rc : 0;

	if_indextoname(ifindex, ifn);
	int prog_fd = bpf_program__fd(dp->skel->progs.ls_xdp);
	int fd = -EOPNOTSUPP;
	if (want != LS_XDP_GENERIC) {
		fd = link_xdp(prog_fd, ifindex, XDP_FLAGS_DRV_MODE);
		st->xdp_mode = LS_XDP_NATIVE;
	}
	if (fd < 0 && want != LS_XDP_NATIVE && fd != -EBUSY && fd != -EEXIST) {
		fd = link_xdp(prog_fd, ifindex, XDP_FLAGS_SKB_MODE);
		st->xdp_mode = LS_XDP_GENERIC;
	}
	if (fd == -EBUSY || fd == -EEXIST)
		return xdp_busy(ifindex, ifn, fd, err);
	if (fd < 0)
		return ls_errf(err, fd, "attaching XDP to %s in %s mode: %s", ifn,
			       ls_xdp_mode_name(want), strerror(-fd));
	ls_pin_path(path, sizeof(path), dp->pin_dir, "link_xdp");
	if (bpf_obj_pin(fd, path)) {
		rc = -errno;
		bpf_link_detach(fd);
		close(fd);
		return ls_errf(err, rc, "pinning the XDP link at %s: %s", path, strerror(-rc));
	}
	dp->link_fd = fd;
	return 0;
}
