/* loader.c - opening the data plane: load the skeleton with the pinned maps
 * reused when present (state and the attached program survive an agent
 * restart), pin what is new, attach; or, for tools, open only the pins. */
#include "dataplane/dp_internal.h"
#include "dataplane/udpi.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dataplane/testrun.h"
#include "lockstep.skel.h"

/* A refusal for want of privilege says which ones: root, or exactly these
 * capabilities (tests/integration/caps.sh runs the agent with them alone). */
#define LS_PRIV_HINT(e)                                                                            \
	((e) == EPERM || (e) == EACCES || ((e) == E2BIG && !has_perfmon())                         \
	     ? "; lockstep needs root or CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON "                  \
	       "(docs/operations.md, Privileges), and in a container a seccomp profile that "      \
	       "allows bpf(2) (docs/operations.md, Container)"                                     \
	     : "")

/* CAP_PERFMON (38) in this process's effective set. Without it the
 * verifier must also walk every path a CPU could take speculatively (the
 * Spectre mitigations of unprivileged-like loads), which takes lockstep's
 * program past the verifier's 1M-instruction budget: a refusal that reads
 * as E2BIG, not EPERM, and is still a missing privilege. */
static int has_perfmon(void)
{
	char line[256];
	unsigned long long eff = ~0ull;
	FILE *f = fopen("/proc/self/status", "re");
	if (!f)
		return 1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	return (eff >> 38) & 1;
}

const char *const ls_dp_map_names[LS_MAP__N] = {
	[LS_MAP_FLOWS] = "flows",       [LS_MAP_VERDICTS] = "verdicts",
	[LS_MAP_CONFIG] = "config",     [LS_MAP_LIVENESS] = "liveness",
	[LS_MAP_COUNTERS] = "counters", [LS_MAP_EVENTS] = "events",
	[LS_MAP_VERDICT_GEN] = "verdict_gen", [LS_MAP_HOLD_SLOTS] = "hold_slots",
	[LS_MAP_RULES_NAME] = "rules_name",   [LS_MAP_RULES_PREFIX] = "rules_prefix",
	[LS_MAP_SHARD_CFG] = "shard_cfg",
	[LS_MAP_SHARD_RINGS] = "shard_rings", [LS_MAP_SHARD_LIVE] = "shard_live",
};

static ls_dp_libbpf_fn libbpf_fn;
static void *libbpf_ctx;
/* ls_dp_libbpf_hold: lines kept until the sink exists (main thread only,
 * before any worker starts) */
#define LIBBPF_HELD_MAX 32
static bool libbpf_holding;
static int libbpf_nheld, libbpf_held_lvl[LIBBPF_HELD_MAX];
static char libbpf_held[LIBBPF_HELD_MAX][256];

static int libbpf_print(enum libbpf_print_level lvl, const char *fmt, va_list ap)
{
	ls_dp_libbpf_fn fn = __atomic_load_n(&libbpf_fn, __ATOMIC_ACQUIRE);
	/* held (before the log exists): the warnings only, as on stderr */
	if (!fn && (lvl == LIBBPF_DEBUG || (lvl == LIBBPF_INFO && !getenv("LS_LIBBPF_VERBOSE"))))
		return 0;
	char line[1024];
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return n;
	size_t l = strnlen(line, sizeof(line));
	while (l && (line[l - 1] == '\n' || line[l - 1] == ' '))
		line[--l] = 0;
	if (!l)
		return 0;
	/* libbpf starts most of its lines with "libbpf: " already */
	const char *text = strncmp(line, "libbpf: ", 8) ? line : line + 8;
	if (fn)
		fn(__atomic_load_n(&libbpf_ctx, __ATOMIC_ACQUIRE), (int)lvl, text);
	else if (libbpf_holding && libbpf_nheld < LIBBPF_HELD_MAX) {
		libbpf_held_lvl[libbpf_nheld] = (int)lvl;
		snprintf(libbpf_held[libbpf_nheld++], sizeof(libbpf_held[0]), "%.255s", text);
	} else
		fprintf(stderr, "libbpf: %s\n", text);
	return n;
}

void ls_dp_libbpf_hold(void)
{
	libbpf_holding = true;
	libbpf_set_print(libbpf_print);
}

/* Held lines go to fn, or to stderr as warnings were (no sink came). */
static void libbpf_replay(ls_dp_libbpf_fn fn, void *ctx)
{
	for (int i = 0; i < libbpf_nheld; i++)
		if (fn)
			fn(ctx, libbpf_held_lvl[i], libbpf_held[i]);
		else if (libbpf_held_lvl[i] == LIBBPF_WARN)
			fprintf(stderr, "libbpf: %s\n", libbpf_held[i]);
	libbpf_nheld = 0;
	libbpf_holding = false;
}

void ls_dp_libbpf_release(void)
{
	libbpf_replay(NULL, NULL);
}

bool ls_dp_libbpf_routed(void)
{
	return __atomic_load_n(&libbpf_fn, __ATOMIC_ACQUIRE) != NULL;
}

void ls_dp_libbpf_sink(ls_dp_libbpf_fn fn, void *ctx)
{
	__atomic_store_n(&libbpf_ctx, ctx, __ATOMIC_RELEASE);
	__atomic_store_n(&libbpf_fn, fn, __ATOMIC_RELEASE);
	libbpf_set_print(libbpf_print); /* again: another part may have set its own */
	if (fn)
		libbpf_replay(fn, ctx);
}

static struct ls_dp *dp_new(const char *pin_dir, struct ls_err *err)
{
	const char *dir = pin_dir && *pin_dir ? pin_dir : ls_pin_dir_default();
	struct ls_dp *dp = calloc(1, sizeof(*dp));
	if (!dp) {
		ls_errf(err, -ENOMEM, "out of memory");
		return NULL;
	}
	for (int i = 0; i < LS_MAP__N; i++)
		dp->map_fd[i] = -1;
	for (int i = 0; i < LS_SHARDS_MAX; i++)
		dp->shard_fd[i] = -1;
	dp->link_fd = dp->tc_link_fd = dp->lock_fd = dp->inner_fd = -1;
	snprintf(dp->pin_dir, sizeof(dp->pin_dir), "%s", dir);
	/* a trailing slash would make every pin path look different */
	size_t n = strlen(dp->pin_dir);
	while (n > 1 && dp->pin_dir[n - 1] == '/')
		dp->pin_dir[--n] = '\0';
	dp->ncpus = libbpf_num_possible_cpus();
	libbpf_set_print(libbpf_print);
	return dp;
}

static struct bpf_map *skel_map(struct lockstep_bpf *s, int i)
{
	struct bpf_map *m[LS_MAP__N] = {
		[LS_MAP_FLOWS] = s->maps.ls_flows,       [LS_MAP_VERDICTS] = s->maps.ls_verdicts,
		[LS_MAP_CONFIG] = s->maps.ls_config,     [LS_MAP_LIVENESS] = s->maps.ls_liveness,
		[LS_MAP_COUNTERS] = s->maps.ls_counters, [LS_MAP_EVENTS] = s->maps.ls_events,
		[LS_MAP_VERDICT_GEN] = s->maps.ls_verdict_gen, [LS_MAP_HOLD_SLOTS] = s->maps.ls_hold_slots,
		[LS_MAP_RULES_NAME] = s->maps.ls_rules_name, [LS_MAP_RULES_PREFIX] = s->maps.ls_rules_prefix,
		[LS_MAP_SHARD_CFG] = s->maps.ls_shard_cfg,
		[LS_MAP_SHARD_RINGS] = s->maps.ls_shard_rings,
		[LS_MAP_SHARD_LIVE] = s->maps.ls_shard_live,
	};
	return m[i];
}

/* A map an earlier version made keeps its kernel name (BPF has no rename):
 * adopted all the same, and counted, so the agent can say so. */
static bool has_prefix(int fd)
{
	struct bpf_map_info info = {0};
	__u32 len = sizeof(info);
	return bpf_obj_get_info_by_fd(fd, &info, &len) || !strncmp(info.name, "ls_", 3);
}

/* bpf_map__reuse_fd takes the pinned map's shape as is; a layout change
 * (a new wire.h) must be refused here with a clear word rather than by
 * the verifier later. */
static int check_compat(struct bpf_map *m, int fd, const char *path, const char *dir,
			struct ls_err *err)
{
	struct bpf_map_info info = {0};
	__u32 len = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return ls_errf(err, -errno, "reading map info of %s: %s", path, strerror(errno));
	if (info.type != bpf_map__type(m) || info.key_size != bpf_map__key_size(m) ||
	    info.value_size != bpf_map__value_size(m) || info.max_entries != bpf_map__max_entries(m))
		return ls_errf(err, -EINVAL,
			       "pinned map %s does not match this build (type %u key %u value %u "
			       "entries %u, expected %u/%u/%u/%u); stop the old data plane with "
			       "`lockstep stop --pin-dir %s` or use another --pin-dir",
			       path, info.type, info.key_size, info.value_size, info.max_entries,
			       bpf_map__type(m), bpf_map__key_size(m), bpf_map__value_size(m),
			       bpf_map__max_entries(m), dir);
	return 0;
}

int ls_dp_ringbuf_size_check(uint64_t size, struct ls_err *err)
{
	long page = sysconf(_SC_PAGESIZE);
	if (page <= 0)
		page = 4096;
	/* the kernel's own rule for a BPF ring buffer, and a cap on memory */
	if (size < (uint64_t)page || size > LS_RINGBUF_SIZE_MAX || (size & (size - 1)))
		return ls_errf(err, -EINVAL,
			       "the ring buffer size must be a power of two from the page size "
			       "(%ld) to %u bytes (1 GiB), not %llu",
			       page, LS_RINGBUF_SIZE_MAX, (unsigned long long)size);
	return 0;
}

/* The events ring is the one map whose size is a run option: a pinned ring
 * is adopted at whatever size it has (the attached program and the
 * heartbeat write into it; replacing it would mean re-attaching), and the
 * skeleton is told that size so the compatibility check passes. */
static int size_ring(struct ls_dp *dp, const struct ls_dp_opts *opts, struct ls_dp_status *st,
		     struct ls_err *err)
{
	struct bpf_map *m = dp->skel->maps.ls_events;
	char path[PATH_MAX];
	uint32_t want = opts->ringbuf_size ? opts->ringbuf_size : LS_RINGBUF_SIZE_DEFAULT;
	int rc;
	if (opts->ringbuf_size && (rc = ls_dp_ringbuf_size_check(opts->ringbuf_size, err)))
		return rc;
	st->ringbuf_bytes = want;
	if (ls_pin_exists(dp->pin_dir, ls_dp_map_names[LS_MAP_EVENTS])) {
		struct bpf_map_info info = {0};
		__u32 len = sizeof(info);
		ls_pin_path(path, sizeof(path), dp->pin_dir, ls_dp_map_names[LS_MAP_EVENTS]);
		int fd = bpf_obj_get(path);
		if (fd < 0)
			return ls_errf(err, -errno, "opening pinned map %s: %s", path,
				       strerror(errno));
		rc = bpf_obj_get_info_by_fd(fd, &info, &len);
		close(fd);
		if (rc)
			return ls_errf(err, -errno, "reading map info of %s: %s", path,
				       strerror(errno));
		if (info.type == BPF_MAP_TYPE_RINGBUF && info.max_entries != want) {
			st->ringbuf_kept = opts->ringbuf_size != 0;
			st->ringbuf_bytes = info.max_entries;
		}
	}
	if ((rc = bpf_map__set_max_entries(m, st->ringbuf_bytes)))
		return ls_errf(err, rc, "sizing the ring buffer: %s", strerror(-rc));
	/* The workers' rings (shard_rings' inner maps) are the same size: the
	 * outer map takes its inner shape from a ring of that size (libbpf's
	 * own template cannot be resized: bpf_map__set_max_entries on it
	 * crashes in libbpf 1.1). Closed once loaded (ls_dp_close). */
	dp->inner_fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "ls_ring_shape", 0, 0,
				      st->ringbuf_bytes, NULL);
	if (dp->inner_fd < 0)
		return ls_errf(err, -errno, "creating the workers' ring shape: %s%s",
			       strerror(errno), LS_PRIV_HINT(errno));
	if ((rc = bpf_map__set_inner_map_fd(dp->skel->maps.ls_shard_rings, dp->inner_fd)))
		return ls_errf(err, rc, "sizing the workers' ring buffers: %s", strerror(-rc));
	return 0;
}

static int lock_dir(struct ls_dp *dp, struct ls_err *err)
{
	dp->lock_fd = open(dp->pin_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dp->lock_fd < 0)
		return ls_errf(err, -errno, "opening pin dir %s: %s", dp->pin_dir, strerror(errno));
	/* The kernel drops the lock when the agent dies, even by SIGKILL. */
	if (flock(dp->lock_fd, LOCK_EX | LOCK_NB))
		return ls_errf(err, -EBUSY, "another lockstep agent is running with pin dir %s",
			       dp->pin_dir);
	return 0;
}

static void unpin_created(struct ls_dp *dp, const bool created[LS_MAP__N])
{
	char p[PATH_MAX];
	for (int i = 0; i < LS_MAP__N; i++)
		if (created[i] && !ls_pin_path(p, sizeof(p), dp->pin_dir, ls_dp_map_names[i]))
			unlink(p);
}

int ls_dp_open(struct ls_dp **out, const struct ls_dp_opts *opts, struct ls_dp_status *st,
	       struct ls_err *err)
{
	bool created[LS_MAP__N] = {0};
	char path[PATH_MAX];
	int rc;

	memset(st, 0, sizeof(*st));
	*out = NULL;
	if (!opts->ifname || !*opts->ifname)
		return ls_errf(err, -EINVAL, "no interface given");
	int ifindex = if_nametoindex(opts->ifname);
	if (!ifindex)
		return ls_errf(err, -ENODEV, "no interface named '%s' in this network namespace",
			       opts->ifname);
	struct ls_dp *dp = dp_new(opts->pin_dir, err);
	if (!dp)
		return -ENOMEM;
	st->ifindex = ifindex;
	snprintf(st->pin_dir, sizeof(st->pin_dir), "%s", dp->pin_dir);

	if ((rc = ls_pins_prepare(dp->pin_dir, err)) || (rc = lock_dir(dp, err)))
		goto fail;
	dp->skel = lockstep_bpf__open();
	if (!dp->skel) {
		rc = ls_errf(err, -errno, "opening the BPF object: %s", strerror(errno));
		goto fail;
	}
	if ((rc = size_ring(dp, opts, st, err)))
		goto fail;
	for (int i = 0; i < LS_MAP__N; i++) {
		struct bpf_map *m = skel_map(dp->skel, i);
		if (!ls_pin_exists(dp->pin_dir, ls_dp_map_names[i]))
			continue;
		ls_pin_path(path, sizeof(path), dp->pin_dir, ls_dp_map_names[i]);
		int fd = bpf_obj_get(path);
		if (fd < 0) {
			rc = ls_errf(err, -errno, "opening pinned map %s: %s", path,
				     strerror(errno));
			goto fail;
		}
		rc = check_compat(m, fd, path, dp->pin_dir, err);
		if (!rc && !has_prefix(fd))
			st->legacy_names++;
		if (!rc && (rc = bpf_map__reuse_fd(m, fd)))
			ls_errf(err, rc, "reusing pinned map %s: %s", path, strerror(-rc));
		close(fd);
		if (rc)
			goto fail;
		st->maps_adopted++;
	}
	st->adopted_maps = st->maps_adopted > 0;
	if ((rc = lockstep_bpf__load(dp->skel))) {
		rc = ls_errf(err, rc,
			     "loading the BPF programs into the kernel failed: %s "
			     "(libbpf's messages above say why)%s",
			     strerror(-rc), LS_PRIV_HINT(-rc));
		goto fail;
	}
	for (int i = 0; i < LS_MAP__N; i++) {
		struct bpf_map *m = skel_map(dp->skel, i);
		if (!ls_pin_exists(dp->pin_dir, ls_dp_map_names[i])) {
			ls_pin_path(path, sizeof(path), dp->pin_dir, ls_dp_map_names[i]);
			if ((rc = bpf_map__pin(m, path))) {
				ls_errf(err, rc, "pinning map %s: %s", path, strerror(-rc));
				goto fail;
			}
			created[i] = true;
		}
		dp->map_fd[i] = fcntl(bpf_map__fd(m), F_DUPFD_CLOEXEC, 3);
	}
	dp->verdict_gen = ls_vgen_map(dp->map_fd[LS_MAP_VERDICT_GEN]);
	ls_shard_live_map(dp);
	if (!dp->verdict_gen) {
		rc = ls_errf(err, -errno, "mapping the verdict_gen map: %s", strerror(errno));
		goto fail;
	}
	if ((rc = ls_attach_xdp(dp, ifindex, opts->xdp_mode, st, err)))
		goto fail;
	if (opts->tc_egress && (rc = ls_attach_tc_egress(dp, ifindex, opts, st, err)))
		goto fail;
	*out = dp;
	return 0;
fail:
	/* Leave the pins as found: an XDP link this call attached is detached
	 * and unpinned (an adopted one stays, and keeps the maps it uses),
	 * then what this call pinned goes. */
	if (!st->adopted_link && dp->link_fd >= 0) {
		bpf_link_detach(dp->link_fd);
		ls_pin_path(path, sizeof(path), dp->pin_dir, "link_xdp");
		unlink(path);
	}
	if (!st->adopted_link)
		unpin_created(dp, created);
	ls_dp_close(dp);
	return rc;
}

int ls_dp_open_pins(struct ls_dp **out, const char *pin_dir, struct ls_err *err)
{
	char path[PATH_MAX];
	struct ls_dp *dp = dp_new(pin_dir, err);
	*out = NULL;
	if (!dp)
		return -ENOMEM;
	for (int i = 0; i < LS_MAP__N; i++) {
		ls_pin_path(path, sizeof(path), dp->pin_dir, ls_dp_map_names[i]);
		dp->map_fd[i] = bpf_obj_get(path);
		/* pins of an older data plane have no verdict_gen: its program
		 * caches no verdicts, so there is nothing to bump */
		if (dp->map_fd[i] < 0 && errno == ENOENT &&
		    (i == LS_MAP_VERDICT_GEN || i == LS_MAP_HOLD_SLOTS || i == LS_MAP_RULES_NAME ||
		     i == LS_MAP_RULES_PREFIX || i == LS_MAP_SHARD_CFG || i == LS_MAP_SHARD_RINGS ||
		     i == LS_MAP_SHARD_LIVE))
			continue;
		if (dp->map_fd[i] < 0) {
			int rc = -errno;
			if (rc == -ENOENT)
				ls_errf(err, rc,
					"no lockstep data plane pinned in %s (start one with "
					"`lockstep run`, or give its --pin-dir / LS_PIN_DIR)",
					dp->pin_dir);
			else
				ls_errf(err, rc, "opening pinned map %s: %s", path, strerror(-rc));
			ls_dp_close(dp);
			return rc;
		}
	}
	dp->verdict_gen = ls_vgen_map(dp->map_fd[LS_MAP_VERDICT_GEN]);
	ls_shard_live_map(dp);
	*out = dp;
	return 0;
}

int ls_dp_open_testrun(struct ls_dp **out, struct ls_testrun *t, struct ls_err *err)
{
	struct ls_dp *dp = dp_new("", err);
	*out = NULL;
	if (!dp)
		return -ENOMEM;
	dp->pin_dir[0] = '\0'; /* nothing pinned */
	for (int i = 0; i < LS_MAP__N; i++) {
		dp->map_fd[i] = fcntl(bpf_map__fd(skel_map(ls_testrun_skel(t), i)), F_DUPFD_CLOEXEC, 3);
		if (dp->map_fd[i] < 0) {
			int rc = ls_errf(err, -errno, "duplicating the test run's map fd: %s",
					 strerror(errno));
			ls_dp_close(dp);
			return rc;
		}
	}
	dp->verdict_gen = ls_vgen_map(dp->map_fd[LS_MAP_VERDICT_GEN]);
	ls_shard_live_map(dp);
	*out = dp;
	return 0;
}

void ls_dp_close(struct ls_dp *dp)
{
	if (!dp)
		return;
	if (dp->rb)
		ring_buffer__free(dp->rb);
	ls_ring_pos_unmap(&dp->ev_pos);
	ls_udpi_free(dp->udpi);
	dp->udpi = NULL;
	ls_shards_close(dp);
	if (dp->inner_fd >= 0)
		close(dp->inner_fd);
	ls_vgen_unmap(dp->verdict_gen);
	ls_shard_live_unmap(dp);
	for (int i = 0; i < LS_MAP__N; i++)
		if (dp->map_fd[i] >= 0)
			close(dp->map_fd[i]);
	/* Closing a link fd does not detach: the pin keeps it alive. */
	if (dp->link_fd >= 0)
		close(dp->link_fd);
	if (dp->tc_link_fd >= 0)
		close(dp->tc_link_fd);
	if (dp->skel)
		lockstep_bpf__destroy(dp->skel);
	if (dp->lock_fd >= 0)
		close(dp->lock_fd);
	free(dp);
}

const char *ls_dp_pin_dir(const struct ls_dp *dp)
{
	return dp->pin_dir;
}

bool ls_dp_link_pinned(const struct ls_dp *dp)
{
	return ls_pin_exists(dp->pin_dir, "link_xdp");
}
