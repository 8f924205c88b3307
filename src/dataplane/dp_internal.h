/* dp_internal.h - the struct behind the opaque struct ls_dp and the helpers
 * the dataplane files share. Not for use outside src/dataplane/. */
#ifndef LS_DP_INTERNAL_H
#define LS_DP_INTERNAL_H

#include "dataplane/dataplane.h"

#include <limits.h>
#include <linux/types.h>

struct lockstep_bpf;
struct ring_buffer;

enum ls_dp_map {
	LS_MAP_FLOWS,
	LS_MAP_VERDICTS,
	LS_MAP_CONFIG,
	LS_MAP_LIVENESS,
	LS_MAP_COUNTERS,
	LS_MAP_EVENTS,
	LS_MAP_VERDICT_GEN, /* optional when opened from pins (older data plane) */
	LS_MAP_HOLD_SLOTS,  /* optional when opened from pins (older data plane) */
	LS_MAP_RULES_NAME,  /* optional when opened from pins (older data plane) */
	LS_MAP_RULES_PREFIX, /* optional when opened from pins (older data plane) */
	LS_MAP_SHARD_CFG,   /* shards (docs/workers.md); optional from pins */
	LS_MAP_SHARD_RINGS, /* array of the workers' rings; optional from pins */
	LS_MAP_SHARD_LIVE,  /* per-shard liveness; optional from pins */
	LS_MAP__N,
};

extern const char *const ls_dp_map_names[LS_MAP__N];

/* A ring buffer's consumer and producer positions (the first word of its
 * first two pages), mapped read-only so that a busy-polling reader can ask
 * "records waiting?" with two loads and no system call; libbpf 1.1 has no
 * ring__avail_data_size. NULL pages: unknown (no busy-poll). ringbuf.c. */
struct ls_ring_pos {
	void *cons_pg, *prod_pg;
	size_t pg;
};
void ls_ring_pos_map(struct ls_ring_pos *p, int fd);
void ls_ring_pos_unmap(struct ls_ring_pos *p);
bool ls_ring_pos_pending(const struct ls_ring_pos *p);
unsigned long ls_ring_pos_consumed(const struct ls_ring_pos *p);

struct ls_dp {
	struct lockstep_bpf *skel; /* NULL when opened from pins only */
	int map_fd[LS_MAP__N];     /* owned: closed by ls_dp_close */
	int link_fd;               /* XDP link, -1 when none */
	int tc_link_fd;            /* TCX link at egress, -1 when none */
	int lock_fd;               /* flock on the pin dir (agent only) */
	int inner_fd;              /* shape of the workers' rings, while loading */
	int ncpus;                 /* possible CPUs, for per-CPU maps */
	uint64_t *verdict_gen;     /* mapped verdict_gen; NULL when there is none */
	struct ls_shard_live *shard_live; /* mapped shard_live (LS_SHARDS_MAX
					   * entries); NULL when there is none */
	bool no_batch;             /* the kernel refused a batch update: write
				    * verdicts one by one */
	char pin_dir[PATH_MAX];
	/* events */
	struct ring_buffer *rb;
	ls_dp_event_fn ev_fn;
	void *ev_ctx;
	uint64_t ev_bad;
	uint32_t ev_budget;        /* records per drain, 0: all (ls_dp_events_drain_max) */
	uint32_t ev_taken;         /* ... delivered in the drain in progress */
	struct ls_udpi *udpi;      /* user-space DPI of `events` (udpi.h) */
	struct ls_ring_pos ev_pos; /* its positions (ls_dp_events_pending) */
	/* shards (shards.c): ring fds of shard_rings[0..nshards-1] */
	uint32_t nshards;
	int shard_fd[LS_SHARDS_MAX];
};

/* shards.c: the workers' rings of shard_rings, owned by the ls_dp, and
 * the mapping of shard_live (made by the loader once its fds are set) */
void ls_shards_close(struct ls_dp *dp);
void ls_shard_live_map(struct ls_dp *dp);
void ls_shard_live_unmap(struct ls_dp *dp);

/* pins.c */
int ls_pins_prepare(const char *dir, struct ls_err *err);
int ls_pin_path(char *buf, size_t len, const char *dir, const char *name);
bool ls_pin_exists(const char *dir, const char *name);
/* Opens the link pinned as DIR/NAME (its path in path[PATH_MAX]) and reads
 * its info (info, len bytes: struct bpf_link_info or a newer kernel's
 * layout). Returns 1 with the link's fd in *fd, 0 when nothing is pinned
 * there, <0 with err set. */
int ls_pin_link_open(const char *dir, const char *name, char *path, void *info, __u32 len,
		     int *fd, struct ls_err *err);

/* verdict_gen.c: map the verdict generation of fd (NULL on failure or fd
 * < 0), unmap it, bump it after a verdict write (a NULL gen is ignored) */
uint64_t *ls_vgen_map(int fd);
void ls_vgen_unmap(uint64_t *gen);
void ls_vgen_bump(uint64_t *gen);

/* attach.c */
int ls_prog_tag(int prog_fd, __u8 tag[8]);
/* Do both programs use the same ones of the maps dp holds? */
bool ls_prog_same_maps(int old_fd, int new_fd, const struct ls_dp *dp);
int ls_attach_xdp(struct ls_dp *dp, int ifindex, enum ls_xdp_mode want, struct ls_dp_status *st,
		  struct ls_err *err);
/* attach_tc.c */
int ls_attach_tc_egress(struct ls_dp *dp, int ifindex, const struct ls_dp_opts *o,
			struct ls_dp_status *st, struct ls_err *err);
/* Detaches our netlink filters only when they run the program prog_fd
 * refers to. */
int ls_detach_tc_egress(int ifindex, int prog_fd);
/* Detaches and unpins DIR/link_tc_egress; 0 when there was none. */
int ls_detach_tcx_pinned(const char *dir, struct ls_err *err);
enum ls_xdp_mode ls_xdp_mode_of(int ifindex);

#endif
