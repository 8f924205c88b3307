/* wire.h - the contract between the kernel side (bpf/) and user space (src/).
 *
 * Everything that crosses the kernel/user boundary is declared here and only
 * here: map value layouts, ring-buffer event records, counters and constants.
 * Fixed-width fields, explicit padding, natural alignment; the layout is
 * versioned by LS_WIRE_VERSION and every event carries it. Time fields carry
 * their clock domain in their name: `_k` is clock K (CLOCK_BOOTTIME ns, what
 * bpf_ktime_get_boot_ns() returns). No guest-clock (G) value ever appears here.
 *
 * Compiled both by clang -target bpf (with <linux/types.h>) and by the host C
 * compiler, so it uses only the __u8..__u64 kernel types.
 */
#ifndef LOCKSTEP_WIRE_H
#define LOCKSTEP_WIRE_H

#include <linux/types.h>

#define LS_WIRE_VERSION 1

/* bpffs directory holding the pins; the version in the path lets a future
 * incompatible layout live beside an old agent's pins instead of clobbering. */
#define LS_PIN_ROOT "/sys/fs/bpf/lockstep"
#define LS_PIN_DIR LS_PIN_ROOT "/v1"

/* ---- flow identity ------------------------------------------------------ */

/* Canonical (direction-free) 5-tuple: the (addr, port) pair that sorts lower
 * (memcmp of the 16-byte address, then port) is `lo`. IPv4 addresses are
 * stored IPv4-mapped (::ffff:a.b.c.d). Ports are host byte order. */
struct ls_flow_key {
	__u8 lo_addr[16];
	__u8 hi_addr[16];
	__u16 lo_port;
	__u16 hi_port;
	__u8 proto;  /* IPPROTO_TCP, _UDP, _ICMP, _ICMPV6 */
	__u8 family; /* 4 or 6 */
	__u8 pad[2];
};

/* Direction index into per-direction counters: 0 = packet sent from lo to hi. */
enum ls_dir { LS_DIR_LO_TO_HI = 0, LS_DIR_HI_TO_LO = 1 };

enum ls_flow_state {
	LS_FLOW_NEW = 0,         /* first packet seen */
	LS_FLOW_ESTABLISHED = 1, /* packets seen both ways (or UDP/ICMP traffic) */
	LS_FLOW_CLOSING = 2,     /* FIN seen */
	LS_FLOW_CLOSED = 3,      /* RST, or FIN both ways */
};

/* Value of the `flows` LRU hash. Owned by the kernel; user space only reads.
 * Counters are updated without atomics by design (approximate under
 * concurrency on several CPUs; exact in tests). */
struct ls_flow {
	__u64 first_seen_k;
	__u64 last_seen_k;
	__u64 pkts[2];
	__u64 bytes[2];
	__u64 flow_id;       /* unique per flow for the life of the pins */
	__u8 tcp_flags[2];   /* OR of flags seen per direction */
	__u8 state;          /* enum ls_flow_state */
	__u8 dpi_pkts;       /* payload packets inspected so far */
	__u8 dpi_done;       /* bitmask of enum ls_dpi_kind already reported */
	__u8 init_dir;       /* direction of the first packet (the client side) */
	__u8 last_verdict;   /* enum ls_verdict applied to the last packet: an
			      * undecided flow that has passed keeps passing */
	__u8 pad;
};

/* ---- verdicts ----------------------------------------------------------- */

enum ls_verdict {
	LS_VERDICT_UNDECIDED = 0,
	LS_VERDICT_PASS = 1,
	LS_VERDICT_DROP = 2,
};

/* Value of the `verdicts` hash (key: struct ls_flow_key). Written by user
 * space; the kernel reads it and, on expiry, deletes it and announces it.
 * deadline_k == 0 means "no deadline". */
struct ls_verdict_rec {
	__u64 deadline_k;
	__u64 set_k;   /* when user space wrote it (K), for latency metrics */
	__u32 verdict; /* enum ls_verdict */
	__u32 pad;
};

/* ---- verdict generation (array map `verdict_gen`, one __u64, key 0) ----- */

/* Added within wire version 1. User space adds 1 to this number after every
 * write or delete it makes in `verdicts` (atomically: the map is
 * BPF_F_MMAPABLE), and the kernel after deleting the verdict of a flow that
 * ended. The data plane keeps the verdict it last read for a flow in a
 * per-CPU cache and trusts it only while this number is unchanged, within
 * the same scheduler tick, and not near the verdict's deadline: a write
 * through lockstep takes effect at the next packet; a write into the pinned
 * map that does not bump this number, within a tick. */
#define LS_VERDICT_GEN_MAP_FLAGS 1024u /* BPF_F_MMAPABLE */

/* ---- configuration and liveness (array maps, one entry, key 0) ---------- */

#define LS_DPI_MAX_PKTS_DEFAULT 4
#define LS_DPI_ALWAYS 0xffffffffu /* benchmarks and debugging only */
#define LS_IDLE_TIMEOUT_NS_DEFAULT (120ull * 1000000000ull)

struct ls_config {
	__u32 version;         /* LS_WIRE_VERSION once user space has filled it */
	__u32 default_verdict; /* for undecided flows: LS_VERDICT_PASS or _DROP */
	__u32 dpi_max_pkts;    /* payload packets inspected per flow (0: default,
				* LS_DPI_ALWAYS: every payload packet) */
	__u32 trace_level;     /* 0 off; >0 per-packet trace events (filtered) */
	__u64 idle_timeout_ns; /* flow end by idle, checked lazily on next packet */
	/* trace filter (trace_level > 0), added within wire version 1 in what
	 * was padding: packets with this port on either side (0: any) and
	 * this L4 protocol (0: any) */
	__u16 trace_port;
	__u8 trace_proto;
	/* what an expired verdict leaves (enum ls_expiry_mode), added within
	 * wire version 1 in what was padding: 0 keeps the old behaviour */
	__u8 expiry_mode;
	__u8 pad0[4];
	__u64 pad[3];
};

/* An undecided flow (no verdict, or its verdict expired) that has passed
 * before: STICKY keeps passing it until the policy decides again, so an
 * expiry alone never cuts a live connection; STRICT gives it the default
 * verdict like a new flow, for deployments where a verdict's TTL is a lease
 * that must be renewed (deny-by-default). Under STRICT only the clock
 * mapping keeps a lagging policy's deadlines from cutting live flows. */
enum ls_expiry_mode {
	LS_EXPIRY_STICKY = 0,
	LS_EXPIRY_STRICT = 1,
};

enum ls_failsafe_mode {
	LS_FAILSAFE_OFF = 0,  /* liveness not configured: never enter fail-safe */
	LS_FAILSAFE_PASS = 1, /* fail open: new flows pass */
	LS_FAILSAFE_DROP = 2, /* fail closed: new flows are dropped */
};

/* Filled by the heartbeat in user space after each good beat. When
 * now_k - last_beat_k > detect_timeout_ns the data plane is in fail-safe:
 * existing verdicts are honoured past their deadline, undecided flows get
 * failsafe_verdict per mode. */
struct ls_liveness {
	__u64 last_beat_k;
	__u64 detect_timeout_ns;
	__u32 mode;        /* enum ls_failsafe_mode */
	__u32 in_failsafe; /* kernel-maintained: 1 while in fail-safe */
	__u64 entered_k;   /* kernel-maintained: K of the last transition */
	__u64 pad[2];
};

/* ---- counters (per-CPU array, index = enum ls_counter) ------------------ */

enum ls_counter {
	LS_CNT_PKTS = 0,
	LS_CNT_PASS,
	LS_CNT_DROP_VERDICT,      /* dropped by a drop verdict */
	LS_CNT_DROP_DEFAULT,      /* dropped by the default verdict (undecided) */
	LS_CNT_DROP_FAILSAFE,     /* dropped by fail-closed fail-safe */
	LS_CNT_UNPARSED_ETH,      /* truncated Ethernet / too many VLAN tags */
	LS_CNT_UNPARSED_ETHERTYPE,/* not IPv4/IPv6 (ARP, ...) */
	LS_CNT_UNPARSED_IPV4,     /* truncated, IHL < 5, bad total length */
	LS_CNT_UNPARSED_IPV6,     /* truncated header */
	LS_CNT_UNPARSED_IPV6_EXT, /* ext header chain truncated or too long */
	LS_CNT_UNPARSED_L4,       /* truncated TCP/UDP/ICMP header, bad doff */
	LS_CNT_UNPARSED_PROTO,    /* other L4 protocol (GRE, ESP, ...) */
	LS_CNT_FRAGMENT,          /* non-first fragment: no L4, passed */
	LS_CNT_FLOW_NEW,
	LS_CNT_FLOW_END,
	LS_CNT_DPI_HTTP,
	LS_CNT_DPI_TLS,
	LS_CNT_DPI_DNS,
	LS_CNT_DPI_MALFORMED,     /* payload looked like the protocol, bad inside */
	LS_CNT_DPI_PARTIAL,       /* e.g. ClientHello split across segments */
	LS_CNT_VERDICT_EXPIRED,
	LS_CNT_RINGBUF_FULL,      /* bpf_ringbuf_reserve failed: event lost */
	LS_CNT_FAILSAFE_ENTER,
	LS_CNT_FAILSAFE_LEAVE,
	LS_CNT_FAILSAFE_HONOURED, /* expired verdict honoured in fail-safe */
	LS_CNT_BEAT,              /* heartbeat timer fired */
	/* added within wire version 1 (new indices only, never renumbered) */
	LS_CNT_FLOW_INSERT_FAIL,  /* flow table update failed: packet passed */
	LS_CNT_STICKY_PASS,       /* undecided flow that had passed kept passing */
	LS_CNT_FAILSAFE_DEFAULT,  /* undecided flow got the fail-safe verdict */
	LS_CNT_DPI_NONE,          /* inspected payload matched no protocol */
	LS_CNT__MAX = 32,
};

/* ---- ring-buffer events -------------------------------------------------- */

enum ls_event_kind {
	LS_EV_FLOW_NEW = 1,
	LS_EV_DPI = 2,
	LS_EV_FLOW_END = 3,
	LS_EV_VERDICT_EXPIRED = 4,
	LS_EV_FAILSAFE = 5, /* enter/leave: u.failsafe */
	LS_EV_BEAT = 6,     /* kernel heartbeat: u.beat */
	LS_EV_TRACE = 7,    /* per-packet trace (trace_level > 0) */
};

enum ls_dpi_kind {
	LS_DPI_HTTP = 1,
	LS_DPI_TLS = 2,
	LS_DPI_DNS = 4,
};

/* ls_event_dpi.flags */
#define LS_DPI_F_PARTIAL 0x1   /* message continues in a later segment */
#define LS_DPI_F_TRUNCATED 0x2 /* a field was longer than its buffer */

enum ls_flow_end_reason {
	LS_END_FIN = 1,
	LS_END_RST = 2,
	LS_END_IDLE = 3,
};

#define LS_NAME_MAX 256 /* host / SNI / qname incl. NUL */
#define LS_PATH_MAX 132 /* 128 bytes of URI + NUL, padded */
#define LS_METHOD_MAX 16

struct ls_event_dpi {
	__u8 kind;  /* enum ls_dpi_kind */
	__u8 flags; /* LS_DPI_F_* */
	__u16 name_len;
	__u16 path_len;
	__u8 method_len;
	__u8 pad;
	char method[LS_METHOD_MAX]; /* HTTP only */
	char path[LS_PATH_MAX];     /* HTTP only, first 128 bytes of the URI */
	char name[LS_NAME_MAX];     /* HTTP Host / TLS SNI / DNS qname */
};

struct ls_event_flow_end {
	__u64 pkts[2];
	__u64 bytes[2];
	__u32 reason; /* enum ls_flow_end_reason */
	__u32 pad;
};

struct ls_event_expired {
	__u64 deadline_k;
	__u32 verdict;
	__u32 pad;
};

struct ls_event_failsafe {
	__u64 last_beat_k;
	__u32 entered; /* 1 enter, 0 leave */
	__u32 pad;
};

/* LS_EV_TRACE: one packet, at trace_level > 0, matching the trace filter */
struct ls_event_trace {
	__u32 verdict;   /* enum ls_verdict applied to the packet */
	__u32 frame_len;
	__u8 tcp_flags;
	__u8 pad[7];
};
struct ls_event_beat {
	__u64 seq;
	__u64 planned_k;
	__u64 fired_k;
	__u64 interval_ns;
};

/* Every event is this one fixed-size record; `kind` selects the union arm. */
struct ls_event {
	__u16 version; /* LS_WIRE_VERSION */
	__u16 kind;    /* enum ls_event_kind */
	__u8 dir;      /* enum ls_dir of the packet that caused it */
	__u8 pad[3];
	__u64 ts_k;    /* when the kernel produced it */
	__u64 flow_id;
	struct ls_flow_key key;
	/* the packet's own orientation, for printing: src/dst as seen */
	__u16 sport;
	__u16 dport;
	__u32 pad2;
	union {
		struct ls_event_dpi dpi;
		struct ls_event_flow_end end;
		struct ls_event_expired expired;
		struct ls_event_failsafe failsafe;
		struct ls_event_beat beat;
		struct ls_event_trace trace;
		__u8 raw[424];
	} u;
};

/* ---- shards: N policy workers (docs/workers.md) ------------------------ */

/* Added within wire version 1. With n > 1 workers the data plane writes
 * every record about a flow into shard_rings[shard(flow)] (an array of ring
 * buffers, one per worker) and the rest (beats, fail-safe) into `events`;
 * with n <= 1 everything goes to `events`, as before. shard(flow) is
 * (FNV-1a-32 (LS_FNV_*) of the key selected by `by`) * n >> 32: the canonical
 * 5-tuple (lo_addr, hi_addr, lo_port and hi_port big-endian, proto: 37
 * bytes) or the client's address (16 bytes, the side of ls_flow.init_dir). */
#define LS_SHARDS_MAX 64
#define LS_FNV_BASIS 2166136261u
#define LS_FNV_PRIME 16777619u

enum ls_shard_by {
	LS_SHARD_BY_FLOW = 0,   /* canonical 5-tuple */
	LS_SHARD_BY_CLIENT = 1, /* the client's address */
};

/* Value of `shard_cfg` (array, one entry, key 0), written by user space
 * after it has filled shard_rings[0..n-1]. */
struct ls_shard_cfg {
	__u32 n;  /* workers; 0 or 1: everything goes to `events` */
	__u32 by; /* enum ls_shard_by */
	__u64 pad[3];
};

#ifndef __bpf__
_Static_assert(sizeof(struct ls_flow_key) == 40, "ls_flow_key layout");
_Static_assert(sizeof(struct ls_event) % 8 == 0, "ls_event alignment");
#endif

#endif /* LOCKSTEP_WIRE_H */
