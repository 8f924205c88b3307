/* heartbeat.c - loads and drives bpf/heartbeat.bpf.c from user space: beat
 * handling, interval check, pings into the estimator, liveness, wall clock
 * (see heartbeat.h). */
#include "clock/heartbeat.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dataplane/dataplane.h"
#include "heartbeat.skel.h"
#include "lockstep/wire_clock.h"

#define LS_HB_IVL_RING 8

struct ls_heartbeat {
	struct heartbeat_bpf *skel;
	struct ring_buffer *rb;     /* only when `events` is our own */
	struct ls_hb_config cfg;
	struct ls_gclock own_gclock; /* when cfg.gclock is NULL */
	const struct ls_gclock *gc;
	struct ls_estimator est;
	struct ls_mapping_pub pub; /* est's mapping for other threads */
	struct ls_wallclock wall;
	struct ls_wall_pub wall_pub; /* wall's offset for other threads */
	struct ls_hb_stats stats;
	bool paused;
	bool have_last;
	uint64_t last_seq;
	int64_t last_fired_k;
	int64_t last_planned_k;
	int64_t last_handled_k; /* K when a beat was last handled */
	int64_t started_k;      /* K of the last ls_hb_start, 0: not started */
	int64_t ivl[LS_HB_IVL_RING]; /* recent observed intervals */
	int nivl, ivl_head;
	ls_hb_observer observer;
	void *observer_arg;
	ls_hb_health_fn health;
	void *health_arg;
	char pin_beat[256], pin_live[256], pin_events[256], pin_counters[256];
};

static int quiet_print(enum libbpf_print_level lvl, const char *fmt, va_list ap)
{
	if (lvl != LIBBPF_WARN || getenv("LS_BPF_VERBOSE") == NULL)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int on_ring_event(void *ctx, void *data, size_t size)
{
	struct ls_heartbeat *hb = ctx;
	if (size < sizeof(struct ls_event))
		return 0;
	ls_hb_handle_event(hb, data);
	return 0;
}

static int set_pin(struct bpf_map *map, char *buf, size_t len, const char *dir,
		   const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
	/* a pinned ring is reused at its own size (`lockstep run
	 * --ringbuf-size`): libbpf refuses a pin whose size differs */
	int fd = bpf_obj_get(buf);
	if (fd >= 0) {
		struct bpf_map_info info = {0};
		__u32 il = sizeof(info);
		if (!bpf_obj_get_info_by_fd(fd, &info, &il) && info.type == BPF_MAP_TYPE_RINGBUF)
			bpf_map__set_max_entries(map, info.max_entries);
		close(fd);
	}
	return bpf_map__set_pin_path(map, buf);
}

int ls_hb_open(struct ls_heartbeat **out, const struct ls_hb_config *cfg, struct ls_err *err)
{
	*out = NULL;
	struct ls_heartbeat *hb = calloc(1, sizeof(*hb));
	if (!hb)
		return ls_errf(err, -ENOMEM, "heartbeat: out of memory");
	hb->cfg = *cfg;
	struct ls_hb_config *c = &hb->cfg;
	if (c->interval_ns <= 0)
		c->interval_ns = LS_HB_INTERVAL_DEFAULT_NS;
	if (c->expect_interval_ns <= 0)
		c->expect_interval_ns = c->interval_ns;
	if (c->detect_multiplier <= 0)
		c->detect_multiplier = LS_HB_DETECT_MULT_DEFAULT;
	if (c->failsafe_mode > LS_FAILSAFE_DROP) {
		free(hb);
		return ls_errf(err, -EINVAL,
			       "heartbeat: fail-safe mode %u unknown (0 off, 1 pass, 2 drop)",
			       cfg->failsafe_mode);
	}
	if (c->pings_per_beat <= 0)
		c->pings_per_beat = LS_HB_PINGS_DEFAULT;
	if (c->pings_per_beat > 16)
		c->pings_per_beat = 16;
	if (c->interval_ns < LS_NS_PER_MS || c->interval_ns > 60 * LS_NS_PER_S) {
		long long ns = (long long)c->interval_ns;
		free(hb);
		return ls_errf(err, -EINVAL,
			       "heartbeat: beat interval %lld ns out of range (1 ms .. 60 s)", ns);
	}
	if (c->gclock) {
		hb->gc = c->gclock;
	} else {
		struct ls_gclock_spec none = {0};
		ls_gclock_init(&hb->own_gclock, &none, ls_k_now());
		hb->gc = &hb->own_gclock;
	}
	if (!c->est.g_resolution_ns)
		c->est.g_resolution_ns = ls_gclock_resolution_ns(hb->gc);
	ls_est_init(&hb->est, &c->est);
	ls_mapping_pub_init(&hb->pub);
	ls_mapping_publish(&hb->pub, ls_est_mapping(&hb->est));
	ls_wall_init(&hb->wall, NULL, NULL);
	ls_wall_pub_init(&hb->wall_pub);

	if (!ls_dp_libbpf_routed()) /* the agent's log takes them at debug level */
		libbpf_set_print(quiet_print);
	hb->skel = heartbeat_bpf__open();
	if (!hb->skel) {
		int e = errno;
		free(hb);
		return ls_errf(err, -e, "heartbeat: opening the BPF object: %s", strerror(e));
	}
	struct {
		struct bpf_map *map;
		int fd;
		char *pin;
		const char *name;
	} shared[] = {
		{hb->skel->maps.ls_events, c->events_fd, hb->pin_events, "events"},
		{hb->skel->maps.ls_liveness, c->liveness_fd, hb->pin_live, "liveness"},
		{hb->skel->maps.ls_counters, c->counters_fd, hb->pin_counters, "counters"},
	};
	int rc = 0;
	for (size_t i = 0; i < sizeof(shared) / sizeof(shared[0]); i++) {
		if (shared[i].fd > 0) {
			rc = bpf_map__reuse_fd(shared[i].map, shared[i].fd);
			if (rc) {
				ls_errf(err, rc,
					"heartbeat: sharing the data plane's '%s' map: %s "
					"(definitions differ between the two objects?)",
					shared[i].name, strerror(-rc));
				goto fail;
			}
		} else if (c->pin_dir) {
			rc = set_pin(shared[i].map, shared[i].pin, 256, c->pin_dir, shared[i].name);
			if (rc)
				goto pinfail;
		}
	}
	if (c->pin_dir) {
		rc = set_pin(hb->skel->maps.ls_beat, hb->pin_beat, sizeof(hb->pin_beat), c->pin_dir,
			     "hb_beat");
		if (rc)
			goto pinfail;
	}
	rc = heartbeat_bpf__load(hb->skel);
	if (rc) {
		ls_errf(err, rc,
			"heartbeat: loading the BPF object: %s (needs root, BPF timers, and for "
			"pins a bpffs directory)",
			strerror(-rc));
		goto fail;
	}
	if (c->events_fd <= 0 && !c->events_elsewhere) {
		hb->rb = ring_buffer__new(bpf_map__fd(hb->skel->maps.ls_events), on_ring_event, hb,
					  NULL);
		if (!hb->rb) {
			rc = ls_errf(err, -errno, "heartbeat: ring buffer: %s", strerror(errno));
			goto fail;
		}
	}
	*out = hb;
	return 0;
pinfail:
	ls_errf(err, rc, "heartbeat: pin path under '%s': %s", c->pin_dir, strerror(-rc));
fail:
	heartbeat_bpf__destroy(hb->skel);
	free(hb);
	return rc;
}

static int run_syscall_prog(struct bpf_program *prog, void *ctx, size_t size)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = ctx, .ctx_size_in = (__u32)size);
	int rc = bpf_prog_test_run_opts(bpf_program__fd(prog), &o);
	return rc ? -errno : 0;
}

static int arm(struct ls_heartbeat *hb, uint64_t interval_ns, struct ls_err *err)
{
	struct ls_hb_arm a = {
		.interval_ns = interval_ns,
		.detect_timeout_ns = (uint64_t)hb->cfg.detect_multiplier * (uint64_t)hb->cfg.interval_ns,
		.mode = hb->cfg.failsafe_mode,
	};
	int rc = run_syscall_prog(hb->skel->progs.ls_hb_arm, &a, sizeof(a));
	if (!rc && a.result)
		rc = (int)a.result;
	if (rc == -EINVAL)
		return ls_errf(err, rc,
			       "heartbeat: the kernel refused the absolute BPF timer "
			       "(BPF_F_TIMER_ABS needs Linux >= 6.7): %s",
			       strerror(-rc));
	if (rc)
		return ls_errf(err, rc, "heartbeat: arming the beat timer: %s", strerror(-rc));
	return 0;
}

int ls_hb_start(struct ls_heartbeat *hb, struct ls_err *err)
{
	hb->have_last = false;
	hb->nivl = 0;
	hb->started_k = ls_k_now().ns;
	hb->last_handled_k = 0;
	return arm(hb, (uint64_t)hb->cfg.interval_ns, err);
}

int ls_hb_stop(struct ls_heartbeat *hb)
{
	return arm(hb, 0, NULL);
}

void ls_hb_close(struct ls_heartbeat *hb)
{
	if (!hb)
		return;
	/* an unpinned beat dies with its map anyway; stop it explicitly so
	 * no callback runs into a half-destroyed object */
	if (!hb->pin_beat[0])
		ls_hb_stop(hb);
	ring_buffer__free(hb->rb);
	heartbeat_bpf__destroy(hb->skel);
	free(hb);
}

void ls_hb_unpin(struct ls_heartbeat *hb)
{
	if (hb->pin_beat[0])
		bpf_map__unpin(hb->skel->maps.ls_beat, NULL);
	if (hb->pin_live[0])
		bpf_map__unpin(hb->skel->maps.ls_liveness, NULL);
	if (hb->pin_events[0])
		bpf_map__unpin(hb->skel->maps.ls_events, NULL);
	if (hb->pin_counters[0])
		bpf_map__unpin(hb->skel->maps.ls_counters, NULL);
	hb->pin_beat[0] = hb->pin_live[0] = hb->pin_events[0] = hb->pin_counters[0] = 0;
}

int ls_hb_disarm_pinned(const char *pin_dir, struct ls_err *msg)
{
	char path[4096];
	int did = 0;
	ls_errf(msg, 0, "%s", "");
	snprintf(path, sizeof(path), "%s/hb_beat", pin_dir);
	if (access(path, F_OK) == 0) {
		if (unlink(path))
			return ls_errf(msg, -errno, "removing the stale beat timer pin %s: %s",
				       path, strerror(errno));
		did = 1;
	}
	snprintf(path, sizeof(path), "%s/liveness", pin_dir);
	int fd = bpf_obj_get(path);
	if (fd >= 0) {
		__u32 key = 0;
		struct ls_liveness l;
		if (bpf_map_lookup_elem(fd, &key, &l) == 0 && l.mode != LS_FAILSAFE_OFF) {
			int was_in = l.in_failsafe;
			memset(&l, 0, sizeof(l));
			l.mode = LS_FAILSAFE_OFF;
			if (bpf_map_update_elem(fd, &key, &l, BPF_ANY)) {
				int e = errno;
				close(fd);
				return ls_errf(msg, -e, "turning off the stale watchdog in %s: %s",
					       path, strerror(e));
			}
			did = 1 + was_in;
		}
		close(fd);
	}
	if (did) /* not an error: a note, with code 0 */
		ls_errf(msg, 0,
			"an earlier agent's heartbeat was armed on the pins in %s; this agent runs "
			"without --heartbeat, so it disarmed the watchdog%s (run with --heartbeat "
			"to keep fail-safe protection)",
			pin_dir, did > 1 ? " and left fail-safe" : "");
	return did ? 1 : 0;
}

int ls_hb_fd(struct ls_heartbeat *hb)
{
	return hb->rb ? ring_buffer__epoll_fd(hb->rb) : -1;
}

int ls_hb_poll(struct ls_heartbeat *hb, int timeout_ms)
{
	if (!hb->rb)
		return -EINVAL;
	int n = ring_buffer__poll(hb->rb, timeout_ms);
	if (n >= 0 && ls_hb_tick(hb) == 1)
		n++;
	return n;
}

int ls_hb_ping(struct ls_heartbeat *hb, struct ls_clock_sample *out)
{
	return ls_hb_ping_with(hb, hb->gc, out);
}

int ls_hb_ping_with(struct ls_heartbeat *hb, const struct ls_gclock *gc,
		    struct ls_clock_sample *out)
{
	struct ls_hb_ping p = {0};
	ls_g g1 = ls_gclock_now(gc);
	int rc = run_syscall_prog(hb->skel->progs.ls_hb_ping, &p, sizeof(p));
	ls_g g4 = ls_gclock_now(gc);
	if (rc)
		return rc;
	out->g1 = g1;
	out->k2 = ls_k_ns((int64_t)p.recv_k);
	out->k3 = ls_k_ns((int64_t)p.send_k);
	out->g4 = g4;
	return 0;
}

int ls_hb_record_alive(struct ls_heartbeat *hb, ls_k *beat_k)
{
	struct ls_hb_alive a = {0};
	int rc = run_syscall_prog(hb->skel->progs.ls_hb_alive, &a, sizeof(a));
	if (!rc && a.result)
		rc = -ENOENT;
	if (!rc && beat_k)
		*beat_k = ls_k_ns((int64_t)a.beat_k);
	return rc;
}

int ls_hb_sync_burst(struct ls_heartbeat *hb, struct ls_est_update *u)
{
	struct ls_clock_sample xs[16];
	struct ls_est_update dummy;
	int n = 0;
	if (!u)
		u = &dummy;
	memset(u, 0, sizeof(*u));
	for (int i = 0; i < hb->cfg.pings_per_beat; i++) {
		hb->stats.pings++;
		if (ls_hb_ping(hb, &xs[n]) == 0)
			n++;
		else
			hb->stats.ping_errors++;
	}
	if (n > 0 && ls_est_add_burst(&hb->est, xs, n, u) == 0 && u->step)
		hb->stats.steps++;
	if (n > 0) /* the workers read it while the next beat rewrites it */
		ls_mapping_publish(&hb->pub, ls_est_mapping(&hb->est));
	return n;
}

/* A coarse G read on the timer's exact grid shows the same phase of its
 * tick every beat, and the estimator could never average the quantum down.
 * So the burst waits its beat's dither (ls_est_dither_ns: 0 for a fine G,
 * at most min(q, interval / 10)) after the planned time. A recovered or late
 * beat is already past it and does not wait. */
static void dither(struct ls_heartbeat *hb, uint64_t seq, int64_t planned_k)
{
	int64_t d = ls_est_dither_ns(seq, hb->est.cfg.g_resolution_ns, hb->cfg.interval_ns);
	if (d <= 0)
		return;
	int64_t at = planned_k + d;
	if (at <= ls_k_now().ns)
		return;
	struct timespec ts = {.tv_sec = at / LS_NS_PER_S, .tv_nsec = at % LS_NS_PER_S};
	while (clock_nanosleep(CLOCK_BOOTTIME, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
	hb->stats.dither_ns += (uint64_t)d;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Median of the recent observed intervals (robust to one late wake-up). */
static int64_t observed_interval(struct ls_heartbeat *hb)
{
	if (hb->nivl < 3)
		return 0;
	int64_t v[LS_HB_IVL_RING];
	memcpy(v, hb->ivl, sizeof(int64_t) * (size_t)hb->nivl);
	qsort(v, (size_t)hb->nivl, sizeof(int64_t), cmp_i64);
	return v[hb->nivl / 2];
}

static void on_beat(struct ls_heartbeat *hb, const struct ls_event_beat *b, bool recovered)
{
	struct ls_hb_beat_info in = {0};
	struct ls_hb_stats *st = &hb->stats;
	/* already handled (recovered from the map before its event arrived),
	 * or an old event delivered late: a re-arm plans later, never earlier */
	if (hb->have_last && (int64_t)b->planned_k <= hb->last_planned_k) {
		st->duplicates++;
		return;
	}
	in.delivered_k = ls_k_now();
	hb->last_handled_k = in.delivered_k.ns;
	in.seq = b->seq;
	in.recovered = recovered;
	in.planned_k = ls_k_ns((int64_t)b->planned_k);
	in.fired_k = ls_k_ns((int64_t)b->fired_k);
	in.delivery_ns = ls_k_sub(in.delivered_k, in.fired_k);
	st->beats++;
	if (recovered) {
		st->recovered++;
	} else {
		st->delivery_last_ns = in.delivery_ns;
		if (in.delivery_ns > st->delivery_max_ns)
			st->delivery_max_ns = in.delivery_ns;
		st->delivery_sum_ns += (double)in.delivery_ns;
		st->delivered++;
	}

	/* interval actually observed between fire times, per sequence step
	 * (a recovered beat has no fire time of its own: not an observation) */
	if (hb->have_last && b->seq > hb->last_seq && !recovered) {
		uint64_t dseq = b->seq - hb->last_seq;
		in.missed = dseq - 1;
		st->missed += in.missed;
		hb->ivl[hb->ivl_head] = ((int64_t)b->fired_k - hb->last_fired_k) / (int64_t)dseq;
		hb->ivl_head = (hb->ivl_head + 1) % LS_HB_IVL_RING;
		if (hb->nivl < LS_HB_IVL_RING)
			hb->nivl++;
	} else if (hb->have_last && b->seq > hb->last_seq) {
		in.missed = b->seq - hb->last_seq - 1;
		st->missed += in.missed;
	} else if (hb->have_last) {
		/* the sequence restarted: the beat was re-armed */
		hb->nivl = 0;
	}
	hb->have_last = true;
	hb->last_seq = b->seq;
	hb->last_fired_k = (int64_t)b->fired_k;
	hb->last_planned_k = (int64_t)b->planned_k;
	in.observed_interval_ns = observed_interval(hb);
	if (in.observed_interval_ns) {
		int64_t d = in.observed_interval_ns - hb->cfg.expect_interval_ns;
		/* 10%: far beyond timer jitter, far below a real misconfiguration */
		if (llabs(d) * 10 > hb->cfg.expect_interval_ns) {
			in.interval_mismatch = true;
			st->mismatches++;
		}
	}

	if (!hb->paused) {
		dither(hb, b->seq, (int64_t)b->planned_k);
		in.pings_ok = ls_hb_sync_burst(hb, &in.est);
		in.unhealthy = hb->health ? hb->health(hb->health_arg) : NULL;
		if (in.unhealthy) {
			st->unhealthy++;
		} else if (in.pings_ok > 0 && in.est.used) {
			if (ls_hb_record_alive(hb, NULL) == 0) {
				in.good = true;
				st->good++;
			}
		}
		int64_t step = 0;
		if (ls_wall_refresh(&hb->wall, &step) == 1) {
			in.wall_step = true;
			in.wall_step_ns = step;
			st->wall_steps++;
		}
		ls_wall_publish(&hb->wall_pub, &hb->wall);
	}
	if (hb->observer)
		hb->observer(hb->observer_arg, &in);
}

int ls_hb_handle_event(struct ls_heartbeat *hb, const struct ls_event *ev)
{
	if (ev->version != LS_WIRE_VERSION)
		return 0;
	if (ev->kind == LS_EV_BEAT) {
		on_beat(hb, &ev->u.beat, false);
		return 1;
	}
	if (ev->kind == LS_EV_FAILSAFE) {
		if (ev->u.failsafe.shard) /* one worker's shard: not the beats' */
			return 1;
		if (ev->u.failsafe.entered)
			hb->stats.failsafe_enter++;
		else
			hb->stats.failsafe_leave++;
		return 1;
	}
	return 0;
}

int ls_hb_tick(struct ls_heartbeat *hb)
{
	if (!hb->started_k)
		return 0;
	int64_t now = ls_k_now().ns;
	int64_t ref = hb->last_handled_k ? hb->last_handled_k : hb->started_k;
	if (now - ref < hb->cfg.interval_ns + hb->cfg.interval_ns / 2)
		return 0;
	struct ls_hb_state bs;
	__u32 key = 0;
	if (bpf_map_lookup_elem(bpf_map__fd(hb->skel->maps.ls_beat), &key, &bs))
		return -errno;
	if (!bs.interval_ns || !bs.seq)
		return 0;
	/* the latest beat the kernel fired: seq - 1, planned one interval
	 * before the next */
	struct ls_event_beat b = {
		.seq = bs.seq - 1,
		.planned_k = bs.next_k - bs.interval_ns,
		.fired_k = bs.next_k - bs.interval_ns,
		.interval_ns = bs.interval_ns,
	};
	if (hb->have_last && (int64_t)b.planned_k <= hb->last_planned_k)
		return 0;
	on_beat(hb, &b, true);
	return 1;
}

void ls_hb_set_paused(struct ls_heartbeat *hb, bool paused)
{
	hb->paused = paused;
}

void ls_hb_set_observer(struct ls_heartbeat *hb, ls_hb_observer fn, void *arg)
{
	hb->observer = fn;
	hb->observer_arg = arg;
}

void ls_hb_set_health(struct ls_heartbeat *hb, ls_hb_health_fn fn, void *arg)
{
	hb->health = fn;
	hb->health_arg = arg;
}

const struct ls_mapping *ls_hb_mapping(const struct ls_heartbeat *hb)
{
	return ls_est_mapping(&hb->est);
}

const struct ls_mapping_pub *ls_hb_mapping_pub(const struct ls_heartbeat *hb)
{
	return &hb->pub;
}

const struct ls_estimator *ls_hb_estimator(const struct ls_heartbeat *hb)
{
	return &hb->est;
}

const struct ls_wallclock *ls_hb_wallclock(const struct ls_heartbeat *hb)
{
	return &hb->wall;
}

const struct ls_wall_pub *ls_hb_wall_pub(const struct ls_heartbeat *hb)
{
	return &hb->wall_pub;
}

const struct ls_hb_stats *ls_hb_stats(const struct ls_heartbeat *hb)
{
	return &hb->stats;
}

int ls_hb_liveness_fd(const struct ls_heartbeat *hb)
{
	return bpf_map__fd(hb->skel->maps.ls_liveness);
}

int ls_hb_events_fd(const struct ls_heartbeat *hb)
{
	return bpf_map__fd(hb->skel->maps.ls_events);
}

int ls_hb_beat_fd(const struct ls_heartbeat *hb)
{
	return bpf_map__fd(hb->skel->maps.ls_beat);
}

int ls_hb_counters_fd(const struct ls_heartbeat *hb)
{
	return bpf_map__fd(hb->skel->maps.ls_counters);
}
