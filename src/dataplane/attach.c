/* attach.c - attaching the data plane to an interface: XDP through a pinned
 * bpf_link (native first, generic as fallback, and saying which), optionally
 * ls_tc at TC egress so replies are seen too. When the pins already hold a
 * link for this interface it is adopted: the program is never detached, and
 * at most swapped atomically (BPF_LINK_UPDATE) for this build's program. */
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

/* Our filter's identity at the clsact egress hook; fixed so a restarted
 * agent and `lockstep stop` find it again. */
#define LS_TC_HANDLE 0x1c5
#define LS_TC_PRIO 0x1c5

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

static int prog_tag(int prog_fd, __u8 tag[8])
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
static bool same_maps(int old_fd, int new_fd, const struct ls_dp *dp)
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
	__u32 len = sizeof(li);

	if (!ls_pin_exists(dp->pin_dir, "link_xdp"))
		return 0;
	ls_pin_path(path, sizeof(path), dp->pin_dir, "link_xdp");
	int fd = bpf_obj_get(path);
	if (fd < 0)
		return ls_errf(err, -errno, "opening pinned link %s: %s", path, strerror(errno));
	if (bpf_obj_get_info_by_fd(fd, &li, &len)) {
		int rc = -errno;
		close(fd);
		return ls_errf(err, rc, "reading link info of %s: %s", path, strerror(-rc));
	}
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
	bool stale = old_fd < 0 || prog_tag(old_fd, old_tag) || prog_tag(new_fd, new_tag) ||
		     memcmp(old_tag, new_tag, 8) || !same_maps(old_fd, new_fd, dp);
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
		return ls_errf(err, fd,
			       "%s already has an XDP program attached that lockstep "
			       "does not own (see `ip link show %s`); detach it first",
			       ifn, ifn);
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

int ls_attach_tc_egress(struct ls_dp *dp, int ifindex, struct ls_dp_status *st, struct ls_err *err)
{
	char path[PATH_MAX], name[64], ifn[IF_NAMESIZE] = "?";
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, q, .handle = LS_TC_HANDLE, .priority = LS_TC_PRIO);
	int prog_fd = bpf_program__fd(dp->skel->progs.ls_tc);

	if_indextoname(ifindex, ifn);
	int rc = bpf_tc_hook_create(&hook);
	if (rc && rc != -EEXIST)
		return ls_errf(err, rc, "creating the clsact qdisc on %s: %s", ifn, strerror(-rc));
	st->tc_adopted = bpf_tc_query(&hook, &q) == 0;

	/* Replacing a tc filter is atomic: an adopted filter is swapped for
	 * this build's program with no moment where none runs. */
	LIBBPF_OPTS(bpf_tc_opts, o, .handle = LS_TC_HANDLE, .priority = LS_TC_PRIO,
		    .prog_fd = prog_fd, .flags = BPF_TC_F_REPLACE);
	rc = bpf_tc_attach(&hook, &o);
	if (rc)
		return ls_errf(err, rc, "attaching TC egress on %s: %s", ifn, strerror(-rc));
	snprintf(name, sizeof(name), "tc_egress_%d", ifindex);
	ls_pin_path(path, sizeof(path), dp->pin_dir, name);
	unlink(path);
	if (bpf_obj_pin(prog_fd, path)) {
		rc = -errno;
		return ls_errf(err, rc, "pinning the TC program at %s: %s", path, strerror(-rc));
	}
	return 0;
}

int ls_detach_tc_egress(int ifindex, int prog_fd)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, q, .handle = LS_TC_HANDLE, .priority = LS_TC_PRIO);
	LIBBPF_OPTS(bpf_tc_opts, o, .handle = LS_TC_HANDLE, .priority = LS_TC_PRIO);
	struct bpf_prog_info info = {0};
	__u32 len = sizeof(info);

	/* The ifindex names an interface of *this* namespace: detach only a
	 * filter that runs our pinned program, never a namesake elsewhere. */
	if (bpf_tc_query(&hook, &q))
		return -ENOENT;
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len) || info.id != q.prog_id)
		return -ESRCH;
	return bpf_tc_detach(&hook, &o);
}
