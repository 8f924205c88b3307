/* attach_tc.c - ls_tc at TC egress, so replies are seen too (--tc).
 *
 * Through a TCX link where the kernel has them (Linux 6.6): placed
 * explicitly among the hook's other programs (--tc-order: BPF_F_BEFORE /
 * BPF_F_AFTER, relative to a program when one is named), pinned as
 * DIR/link_tc_egress and adopted across agent restarts like the XDP link
 * (the program swapped atomically by BPF_LINK_UPDATE, the place kept).
 * Else through a netlink cls_bpf filter at a fixed handle and an explicit
 * priority (first 1, last 65535), the layout agents before TCX used (at
 * priority 0x1c5). An earlier agent's netlink filter is replaced by a TCX
 * link without a gap: the link first, then the filter goes.
 * docs/operations.md, "Neighbours". */
#include "dataplane/dp_internal.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lockstep.skel.h"

/* The TCX UAPI of Linux 6.6 that Debian 12's linux-libc-dev (6.1) lacks:
 * the values of include/uapi/linux/bpf.h (this kernel's BTF has the same
 * enum values: bpftool btf dump file /sys/kernel/btf/vmlinux). */
#define LS_BPF_TCX_EGRESS 47
#define LS_BPF_LINK_TYPE_TCX 11
#define LS_BPF_F_BEFORE (1U << 3)
#define LS_BPF_F_AFTER (1U << 4)
#define LS_BPF_F_ID (1U << 5)

/* BPF_LINK_CREATE's attributes for a TCX link, laid out as union
 * bpf_attr's link_create with its tcx member: libbpf 1.1's
 * bpf_link_create() knows no tcx options, so the syscall is made here. */
struct tcx_link_create {
	__u32 prog_fd;
	__u32 target_ifindex;
	__u32 attach_type;
	__u32 flags;
	__u32 relative_id; /* tcx.relative_fd / relative_id (BPF_F_ID) */
	__u32 pad;
	__u64 expected_revision;
};

/* bpf_link_info's head and its tcx member (same offsets as xdp's) */
struct tcx_link_info {
	__u32 type, id, prog_id, pad;
	__u32 ifindex, attach_type;
	__u64 more[8];
};

/* Our filter's identity at the clsact egress hook: a fixed handle, so a
 * restarted agent and `lockstep stop` find it again, at one of these
 * priorities (0x1c5: agents before --tc-order). */
#define LS_TC_HANDLE 0x1c5
#define LS_TC_PRIO_LEGACY 0x1c5
#define LS_TC_PRIO_FIRST 1
#define LS_TC_PRIO_LAST 0xffff
static const __u32 tc_prios[] = {LS_TC_PRIO_FIRST, LS_TC_PRIO_LEGACY, LS_TC_PRIO_LAST};

#define TCX_PIN "link_tc_egress"

int ls_tc_order_parse(const char *s, struct ls_tc_order *o)
{
	memset(o, 0, sizeof(*o));
	if (!strcmp(s, "first"))
		return o->pos = LS_TC_FIRST, 0;
	if (!strcmp(s, "last"))
		return o->pos = LS_TC_LAST, 0;
	const char *rel;
	if (!strncmp(s, "before=", 7))
		o->pos = LS_TC_BEFORE, rel = s + 7;
	else if (!strncmp(s, "after=", 6))
		o->pos = LS_TC_AFTER, rel = s + 6;
	else
		return -1;
	size_t n = strlen(rel);
	if (n == 0 || n >= sizeof(o->prog_name))
		return -1;
	char *end;
	unsigned long id = strtoul(rel, &end, 10);
	if (*rel >= '0' && *rel <= '9' && !*end) {
		if (id == 0 || id > UINT32_MAX)
			return -1;
		o->prog_id = (uint32_t)id;
		return 0;
	}
	for (const char *c = rel; *c; c++) /* a BPF object name's characters */
		if (!(*c == '_' || *c == '.' || (*c >= '0' && *c <= '9') ||
		      (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')))
			return -1;
	memcpy(o->prog_name, rel, n + 1);
	return 0;
}

const char *ls_tc_order_str(const struct ls_tc_order *o, char *buf, size_t len)
{
	if (o->pos == LS_TC_FIRST || o->pos == LS_TC_LAST)
		snprintf(buf, len, "%s", o->pos == LS_TC_FIRST ? "first" : "last");
	else if (o->prog_id)
		snprintf(buf, len, "%s=%u", o->pos == LS_TC_BEFORE ? "before" : "after",
			 o->prog_id);
	else
		snprintf(buf, len, "%s=%s", o->pos == LS_TC_BEFORE ? "before" : "after",
			 o->prog_name);
	return buf;
}

int ls_tc_link_parse(const char *s)
{
	return !strcmp(s, "auto")      ? LS_TC_LINK_AUTO
	       : !strcmp(s, "tcx")     ? LS_TC_LINK_TCX
	       : !strcmp(s, "netlink") ? LS_TC_LINK_NETLINK
				       : -1;
}

const char *ls_tc_link_name(enum ls_tc_link l)
{
	return l == LS_TC_LINK_TCX ? "tcx" : l == LS_TC_LINK_NETLINK ? "netlink" : "auto";
}

/* The kernel has TCX when it can list a TCX hook (an empty one too). */
static bool has_tcx(int ifindex)
{
	__u32 ids[1], cnt = 1;
	return bpf_prog_query(ifindex, LS_BPF_TCX_EGRESS, 0, NULL, ids, &cnt) == 0 ||
	       errno == ENOSPC;
}

/* The id of the program named name at this TCX hook, 0 if none. */
static __u32 tcx_prog_by_name(int ifindex, const char *name)
{
	__u32 ids[64], cnt = 64, found = 0;
	if (bpf_prog_query(ifindex, LS_BPF_TCX_EGRESS, 0, NULL, ids, &cnt))
		return 0;
	for (__u32 i = 0; i < cnt && !found; i++) {
		struct bpf_prog_info info = {0};
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(ids[i]);
		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && !strcmp(info.name, name))
			found = ids[i];
		close(fd);
	}
	return found;
}

static int tcx_create(int prog_fd, int ifindex, const struct ls_tc_order *o, const char *ifn,
		      struct ls_err *err)
{
	struct tcx_link_create a = {.prog_fd = (__u32)prog_fd,
				    .target_ifindex = (__u32)ifindex,
				    .attach_type = LS_BPF_TCX_EGRESS};
	char ord[48];
	a.flags =
	    o->pos == LS_TC_FIRST || o->pos == LS_TC_BEFORE ? LS_BPF_F_BEFORE : LS_BPF_F_AFTER;
	if (o->pos == LS_TC_BEFORE || o->pos == LS_TC_AFTER) {
		a.relative_id = o->prog_id ? o->prog_id : tcx_prog_by_name(ifindex, o->prog_name);
		if (!a.relative_id)
			return ls_errf(err, -ENOENT,
				       "--tc-order %s: no program named %s is attached at TC "
				       "egress of %s (a program id works too)",
				       ls_tc_order_str(o, ord, sizeof(ord)), o->prog_name, ifn);
		a.flags |= LS_BPF_F_ID;
	}
	int fd = (int)syscall(__NR_bpf, BPF_LINK_CREATE, &a, sizeof(a));
	if (fd < 0) {
		int rc = -errno;
		if (a.relative_id && (rc == -ENOENT || rc == -ERANGE || rc == -EINVAL))
			return ls_errf(err, rc,
				       "--tc-order %s: program %u is not attached at TC egress "
				       "of %s through TCX (%s)",
				       ls_tc_order_str(o, ord, sizeof(ord)), a.relative_id, ifn,
				       strerror(-rc));
		return ls_errf(err, rc, "attaching a TCX link at TC egress of %s: %s", ifn,
			       strerror(-rc));
	}
	return fd;
}

/* Adopts DIR/link_tc_egress: 1 adopted, 0 nothing to adopt, <0 error. */
static int adopt_tcx(struct ls_dp *dp, int ifindex, int prog_fd, struct ls_dp_status *st,
		     struct ls_err *err)
{
	char path[PATH_MAX], ifn[IF_NAMESIZE] = "?";
	struct tcx_link_info li = {0};
	int fd, rc = ls_pin_link_open(dp->pin_dir, TCX_PIN, path, &li, sizeof(li), &fd, err);
	if (rc <= 0)
		return rc;
	if (li.type != LS_BPF_LINK_TYPE_TCX || li.attach_type != LS_BPF_TCX_EGRESS) {
		close(fd);
		return ls_errf(err, -EINVAL,
			       "%s is not a TCX egress link; remove the pins with "
			       "`lockstep stop --pin-dir %s`",
			       path, dp->pin_dir);
	}
	if (li.ifindex == 0) { /* its interface is gone: nothing to keep */
		close(fd);
		unlink(path);
		return 0;
	}
	if ((int)li.ifindex != ifindex) {
		close(fd);
		if_indextoname(li.ifindex, ifn);
		return ls_errf(err, -EBUSY,
			       "the TCX link pinned in %s is attached to %s (ifindex %u); use "
			       "another --pin-dir, or `lockstep stop --pin-dir %s` first",
			       dp->pin_dir, ifn, li.ifindex, dp->pin_dir);
	}
	__u8 old_tag[8], new_tag[8];
	int old_fd = bpf_prog_get_fd_by_id(li.prog_id);
	bool stale = old_fd < 0 || ls_prog_tag(old_fd, old_tag) || ls_prog_tag(prog_fd, new_tag) ||
		     memcmp(old_tag, new_tag, 8) || !ls_prog_same_maps(old_fd, prog_fd, dp);
	if (old_fd >= 0)
		close(old_fd);
	if (stale && bpf_link_update(fd, prog_fd, NULL)) {
		int rc = -errno;
		close(fd);
		return ls_errf(err, rc, "updating the adopted TCX link to this build's program: %s",
			       strerror(-rc));
	}
	dp->tc_link_fd = fd;
	st->tc_adopted = true;
	st->tc_order_kept = true;
	return 1;
}

/* Our netlink filters at egress that run a program pinned in DIR as
 * tc_egress_<ifindex> (an earlier agent's, or this one's): detached. */
static void drop_netlink(struct ls_dp *dp, int ifindex, __u32 keep_prio)
{
	char path[PATH_MAX], name[64];
	snprintf(name, sizeof(name), "tc_egress_%d", ifindex);
	if (!ls_pin_exists(dp->pin_dir, name))
		return;
	ls_pin_path(path, sizeof(path), dp->pin_dir, name);
	int pfd = bpf_obj_get(path);
	if (pfd < 0)
		return;
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_EGRESS);
	struct bpf_prog_info info = {0};
	__u32 len = sizeof(info);
	if (!bpf_obj_get_info_by_fd(pfd, &info, &len))
		for (size_t i = 0; i < sizeof(tc_prios) / sizeof(tc_prios[0]); i++) {
			LIBBPF_OPTS(bpf_tc_opts, q, .handle = LS_TC_HANDLE,
				    .priority = tc_prios[i]);
			LIBBPF_OPTS(bpf_tc_opts, d, .handle = LS_TC_HANDLE,
				    .priority = tc_prios[i]);
			if (tc_prios[i] != keep_prio && !bpf_tc_query(&hook, &q) &&
			    q.prog_id == info.id)
				bpf_tc_detach(&hook, &d);
		}
	close(pfd);
	if (!keep_prio)
		unlink(path);
}

static int attach_netlink(struct ls_dp *dp, int ifindex, int prog_fd, const struct ls_dp_opts *o,
			  struct ls_dp_status *st, const char *ifn, struct ls_err *err)
{
	char path[PATH_MAX], name[64], ord[48];
	__u32 prio = o->tc_order.pos == LS_TC_LAST ? LS_TC_PRIO_LAST : LS_TC_PRIO_FIRST;
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_EGRESS);

	if (o->tc_order.pos == LS_TC_BEFORE || o->tc_order.pos == LS_TC_AFTER)
		return ls_errf(err, -EOPNOTSUPP,
			       "--tc-order %s needs a TCX link (Linux 6.6 or later) and this "
			       "attach is through netlink; use --tc-order first or last (filter "
			       "priority 1 or 65535)",
			       ls_tc_order_str(&o->tc_order, ord, sizeof(ord)));
	int rc = bpf_tc_hook_create(&hook);
	if (rc && rc != -EEXIST)
		return ls_errf(err, rc, "creating the clsact qdisc on %s: %s", ifn, strerror(-rc));
	for (size_t i = 0; i < sizeof(tc_prios) / sizeof(tc_prios[0]); i++) {
		LIBBPF_OPTS(bpf_tc_opts, q, .handle = LS_TC_HANDLE, .priority = tc_prios[i]);
		if (!bpf_tc_query(&hook, &q))
			st->tc_adopted = true;
	}
	/* Replacing a tc filter is atomic: an adopted filter at this priority
	 * is swapped for this build's program with no moment where none runs;
	 * one at another priority (another order asked) goes afterwards. */
	LIBBPF_OPTS(bpf_tc_opts, a, .handle = LS_TC_HANDLE, .priority = prio, .prog_fd = prog_fd,
		    .flags = BPF_TC_F_REPLACE);
	rc = bpf_tc_attach(&hook, &a);
	if (rc)
		return ls_errf(err, rc, "attaching TC egress on %s (netlink, priority %u): %s", ifn,
			       prio, strerror(-rc));
	drop_netlink(dp, ifindex, prio);
	snprintf(name, sizeof(name), "tc_egress_%d", ifindex);
	ls_pin_path(path, sizeof(path), dp->pin_dir, name);
	unlink(path);
	if (bpf_obj_pin(prog_fd, path)) {
		rc = -errno;
		LIBBPF_OPTS(bpf_tc_opts, d, .handle = LS_TC_HANDLE, .priority = prio);
		if (!st->tc_adopted)
			bpf_tc_detach(&hook, &d);
		return ls_errf(err, rc, "pinning the TC program at %s: %s", path, strerror(-rc));
	}
	st->tc_link = LS_TC_LINK_NETLINK;
	st->tc_prio = (uint16_t)prio;
	return 0;
}

int ls_attach_tc_egress(struct ls_dp *dp, int ifindex, const struct ls_dp_opts *o,
			struct ls_dp_status *st, struct ls_err *err)
{
	char path[PATH_MAX], ifn[IF_NAMESIZE] = "?";
	int prog_fd = bpf_program__fd(dp->skel->progs.ls_tc);
	if_indextoname(ifindex, ifn);

	int rc = adopt_tcx(dp, ifindex, prog_fd, st, err);
	if (rc < 0)
		return rc;
	if (rc) {
		st->tc_link = LS_TC_LINK_TCX;
		drop_netlink(dp, ifindex, 0); /* a fallback's leftover, if any */
		return 0;
	}
	if (o->tc_link == LS_TC_LINK_NETLINK ||
	    (o->tc_link == LS_TC_LINK_AUTO && !has_tcx(ifindex)))
		return attach_netlink(dp, ifindex, prog_fd, o, st, ifn, err);
	if (!has_tcx(ifindex))
		return ls_errf(err, -EOPNOTSUPP,
			       "--tc-link tcx: this kernel has no TCX (Linux 6.6 or later); use "
			       "--tc-link auto or netlink");
	int fd = tcx_create(prog_fd, ifindex, &o->tc_order, ifn, err);
	if (fd < 0)
		return fd;
	ls_pin_path(path, sizeof(path), dp->pin_dir, TCX_PIN);
	if (bpf_obj_pin(fd, path)) {
		rc = -errno;
		bpf_link_detach(fd);
		close(fd);
		return ls_errf(err, rc, "pinning the TCX link at %s: %s", path, strerror(-rc));
	}
	dp->tc_link_fd = fd;
	st->tc_link = LS_TC_LINK_TCX;
	/* an earlier agent's netlink filter: ours now runs first, so it goes */
	char name[64];
	snprintf(name, sizeof(name), "tc_egress_%d", ifindex);
	st->tc_migrated = ls_pin_exists(dp->pin_dir, name);
	drop_netlink(dp, ifindex, 0);
	return 0;
}

int ls_detach_tc_egress(int ifindex, int prog_fd)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_EGRESS);
	struct bpf_prog_info info = {0};
	__u32 len = sizeof(info);
	int rc = -ENOENT;

	/* The ifindex names an interface of *this* namespace: detach only a
	 * filter that runs our pinned program, never a namesake elsewhere. */
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return -errno;
	for (size_t i = 0; i < sizeof(tc_prios) / sizeof(tc_prios[0]); i++) {
		LIBBPF_OPTS(bpf_tc_opts, q, .handle = LS_TC_HANDLE, .priority = tc_prios[i]);
		LIBBPF_OPTS(bpf_tc_opts, d, .handle = LS_TC_HANDLE, .priority = tc_prios[i]);
		if (bpf_tc_query(&hook, &q))
			continue;
		rc = q.prog_id == info.id ? bpf_tc_detach(&hook, &d) : -ESRCH;
	}
	return rc;
}

int ls_detach_tcx_pinned(const char *dir, struct ls_err *err)
{
	char p[PATH_MAX];
	if (!ls_pin_exists(dir, TCX_PIN))
		return 0;
	ls_pin_path(p, sizeof(p), dir, TCX_PIN);
	int fd = bpf_obj_get(p);
	if (fd < 0)
		return ls_errf(err, -errno, "opening %s: %s", p, strerror(errno));
	int rc = 0;
	/* EINVAL: already detached (its interface went away) */
	if (bpf_link_detach(fd) && errno != EINVAL && errno != ENOLINK)
		rc = ls_errf(err, -errno, "detaching TCX link %s: %s", p, strerror(errno));
	close(fd);
	return rc;
}
