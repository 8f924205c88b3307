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

/* 2: the flow key carries the tunnel identity (tun_type, tun_id) and every
 * event the outer header (struct ls_tunnel): issue 16, encapsulations */
#define LS_WIRE_VERSION 2

/* bpffs directory holding the pins; the version in the path lets a future
 * incompatible layout live beside an old agent's pins instead of clobbering. */
#define LS_PIN_ROOT "/sys/fs/bpf/lockstep"
#define LS_PIN_DIR LS_PIN_ROOT "/v2"

/* ---- flow identity ------------------------------------------------------ */

/* Canonical (direction-free) 5-tuple: the (addr, port) pair that sorts lower
 * (memcmp of the 16-byte address, then port) is `lo`. IPv4 addresses are
 * stored IPv4-mapped (::ffff:a.b.c.d). Ports are host byte order.
 *
 * Wire version 2: a tunnelled packet's flow is its innermost 5-tuple plus
 * the identity of the innermost tunnel it was found in (tun_type, tun_id:
 * VNI, GRE key, ...; both 0 for a packet in no tunnel), so that the same
 * inner addresses in two overlays are two flows (docs/dataplane.md,
 * "Encapsulations"). */
struct ls_flow_key {
	__u8 lo_addr[16];
	__u8 hi_addr[16];
	__u16 lo_port;
	__u16 hi_port;
	__u8 proto;    /* IPPROTO_TCP, _UDP, _ICMP, _ICMPV6 */
	__u8 family;   /* 4 or 6 */
	__u8 tun_type; /* enum ls_tun_type of the innermost tunnel, 0: none */
	__u8 pad;
	__u32 tun_id;  /* its identity (see enum ls_tun_type), 0 when none */
	__u32 pad2;
};

/* The tunnels the parser descends through (bpf/parse_encap.h) and what
 * their tun_id is. MPLS and VLAN tags are not tunnels: they are walked
 * through and noted in ls_tunnel.layers, never keyed (labels differ per
 * direction and per hop). */
enum ls_tun_type {
	LS_TUN_NONE = 0,
	LS_TUN_VXLAN = 1,  /* UDP 4789, RFC 7348: id = VNI */
	LS_TUN_GENEVE = 2, /* UDP 6081, RFC 8926: id = VNI */
	LS_TUN_GRE = 3,    /* IP proto 47, RFC 2784/2890: id = key (K bit), else 0 */
	LS_TUN_GRE_UDP = 4,/* GRE in UDP 4754, RFC 8086: id = key, else 0 */
	LS_TUN_ERSPAN = 5, /* GRE 0x88BE (type I/II) / 0x22EB (III): id = session */
	LS_TUN_IPIP = 6,   /* IP proto 4 / 41: 4in4, 6in4, 4in6, 6in6: id 0 */
	LS_TUN_PPPOE = 7,  /* ethertype 0x8864 session: id = session id */
	LS_TUN_VXLAN_GPE = 8, /* UDP 4790, RFC 9663 (VXLAN-GPE): id = VNI */
	LS_TUN_GTPU = 9,   /* UDP 2152, 3GPP TS 29.281 G-PDU: id = TEID */
	LS_TUN_TEREDO = 10,/* UDP 3544 either way, RFC 4380: IPv6 in UDP, id 0 */
};

/* ls_tunnel.layers: every encapsulation the packet's headers went through */
#define LS_LAYER_VLAN 0x01   /* one or more 802.1Q / 802.1ad tags */
#define LS_LAYER_MPLS 0x02   /* an MPLS label stack */
#define LS_LAYER_PPPOE 0x04
#define LS_LAYER_VXLAN 0x08   /* VXLAN and VXLAN-GPE */
#define LS_LAYER_GENEVE 0x10
#define LS_LAYER_GRE 0x20    /* GRE, GRE in UDP, ERSPAN */
#define LS_LAYER_IPIP 0x40    /* IP in IP, and Teredo (IPv6 in UDP) */
#define LS_LAYER_GTPU 0x80

/* Limits of the descent (docs/dataplane.md "Encapsulations"): at most
 * LS_ENCAP_MAX tunnels (ls_tun_type) nested, LS_VLAN_MAX tags per Ethernet
 * header, LS_MPLS_MAX labels per stack, and an inner IP header starting
 * within LS_L3_OFF_MAX bytes of the frame. Beyond them the packet is
 * counted (LS_CNT_ENCAP_LIMIT) and passed, never dropped. */
#define LS_ENCAP_MAX 3
#define LS_MPLS_MAX 6

/* The outer header of a tunnelled packet, carried by every flow event as
 * context (zero for a packet in no tunnel): the innermost tunnel's type and
 * id (as in the key) and its outer IP addresses, as the packet travelled. */
struct ls_tunnel {
	__u8 outer_src[16]; /* IPv4-mapped for IPv4 (PPPoE: zero) */
	__u8 outer_dst[16];
	__u8 type;          /* enum ls_tun_type */
	__u8 depth;         /* tunnels descended through (1 .. LS_ENCAP_MAX) */
	__u8 outer_family;  /* 4 or 6 (0: PPPoE, no outer IP) */
	__u8 layers;        /* LS_LAYER_* */
	__u32 id;
};

/* A flow id is (CPU << LS_FLOW_ID_CPU_SHIFT) | n, n that CPU's count of new
 * flows (the flow_new counter): unique while the pinned counters live, and
 * below 2^53 for every CPU < 2^(53 - shift) = 8192 with n < 2^40, so that
 * JSON readers that hold numbers as doubles (jq, JavaScript) read it
 * exactly. */
#define LS_FLOW_ID_CPU_SHIFT 40
#define LS_FLOW_ID_N_MASK ((1ull << LS_FLOW_ID_CPU_SHIFT) - 1)

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
	__u64 flow_id;       /* unique per flow for the life of the pins;
			      * < 2^53 (LS_FLOW_ID_CPU_SHIFT) */
	__u8 tcp_flags[2];   /* OR of flags seen per direction */
	__u8 state;          /* enum ls_flow_state */
	__u8 dpi_pkts;       /* payload packets inspected so far */
	__u8 dpi_done;       /* bitmask of enum ls_dpi_kind already reported;
			      * LS_DPI_DONE_H2: the flow began HTTP/2 */
	__u8 init_dir;       /* direction of the first packet (the client side) */
	__u8 last_verdict;   /* enum ls_verdict applied to the last packet: an
			      * undecided flow that has passed keeps passing */
	__u8 hold;           /* 1: the flow opened a hold; its slot in
			      * hold_slots says whether it is still open
			      * (added within wire version 1 in what was pad) */
};

/* ---- verdicts ----------------------------------------------------------- */

enum ls_verdict {
	LS_VERDICT_UNDECIDED = 0,
	LS_VERDICT_PASS = 1,
	LS_VERDICT_DROP = 2,
	/* added within wire version 1: only as ls_config.default_verdict
	 * (never in `verdicts`): an undecided flow's packets are held until
	 * the policy decides (the hold section below) */
	LS_VERDICT_HOLD = 3,
	/* added within wire version 1: dropped, and answered from the kernel
	 * so that the client fails at once (bpf/reject.h, docs/dataplane.md):
	 * a DNS query gets REFUSED (or NXDOMAIN with LS_VERDICT_F_NXDOMAIN), a
	 * TCP segment a RST, other UDP an ICMP / ICMPv6 port unreachable */
	LS_VERDICT_REJECT = 4,
};

/* A verdict field (ls_verdict_rec.verdict, the default verdict) holds the
 * verdict in its low byte and flags above it. */
#define LS_VERDICT_MASK 0xffu
#define LS_VERDICT_F_NXDOMAIN 0x100u /* reject: DNS queries get NXDOMAIN */
#define LS_VERDICT_F_MASK 0x100u     /* every flag there is */

/* 1 when v is a verdict a writer may store: pass, drop or reject, flags
 * only on a reject. */
static inline int ls_verdict_valid(__u32 v)
{
	__u32 k = v & LS_VERDICT_MASK;
	if (v & ~(LS_VERDICT_MASK | LS_VERDICT_F_MASK))
		return 0;
	if (k == LS_VERDICT_PASS || k == LS_VERDICT_DROP)
		return v == k;
	return k == LS_VERDICT_REJECT;
}


/* Value of the `verdicts` hash (key: struct ls_flow_key). Written by user
 * space; the kernel reads it and, on expiry, deletes it and announces it.
 * deadline_k == 0 means "no deadline". */
struct ls_verdict_rec {
	__u64 deadline_k;
	__u64 set_k;   /* when user space wrote it (K), for latency metrics */
	__u32 verdict; /* enum ls_verdict | LS_VERDICT_F_* */
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

/* ---- kernel rules (LPM tries `rules_name`, `rules_prefix`; bpf/rules.h) -- */

/* Added within wire version 1. Written by user space (the policy's
 * rule_add), read by the kernel on a flow's first packet (prefix) or its
 * first complete DPI result (name). */
#define LS_RULES_MAX 16384     /* entries per trie */
#define LS_RULE_NAME_MAX 251   /* bytes of a reversed name in a key */

/* rules_name key: the DPI kind (LS_DPI_HTTP/_TLS/_DNS), then the name
 * reversed and lower-cased ("www.a.test" -> "tset.a.www"), then NUL. An
 * exact rule's prefix covers the NUL, a suffix rule's ("*.a.test") ends at
 * the '.' ("tset.a."), the catch-all's ("*") is the kind byte alone.
 * prefixlen counts bits from `kind` on; lookups use the whole key. */
struct ls_rule_name_key {
	__u32 prefixlen;
	__u8 kind;
	char name[LS_RULE_NAME_MAX];
};

enum ls_rule_side {
	LS_RULE_SIDE_CLIENT = 1, /* the flow's first packet came from it */
	LS_RULE_SIDE_SERVER = 2,
};

/* rules_prefix key: side, then the 16-byte address (IPv4 mapped:
 * ::ffff:a.b.c.d, so an IPv4 /n is prefixlen 8 + 96 + n). */
struct ls_rule_prefix_key {
	__u32 prefixlen;
	__u8 side;
	__u8 addr[16];
	__u8 pad[3];
};

struct ls_rule {
	__u64 deadline_k; /* 0: no deadline */
	__u32 verdict;    /* LS_VERDICT_PASS, _DROP or _REJECT (| flags) */
	__u32 pad;
};

/* ---- configuration and liveness (array maps, one entry, key 0) ---------- */

#define LS_DPI_MAX_PKTS_DEFAULT 4
#define LS_DPI_ALWAYS 0xffffffffu /* benchmarks and debugging only */
#define LS_IDLE_TIMEOUT_NS_DEFAULT (120ull * 1000000000ull)

struct ls_config {
	__u32 version;         /* LS_WIRE_VERSION once user space has filled it */
	__u32 default_verdict; /* for undecided flows: LS_VERDICT_PASS, _DROP or
				* _REJECT (| LS_VERDICT_F_*) */
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
	/* hold (default_verdict LS_VERDICT_HOLD), added within wire version
	 * 1 in what was padding: packets held per flow at most (0: the
	 * default), what a packet that cannot be held gets (LS_VERDICT_PASS
	 * or _DROP; 0: drop), and after how long the kernel considers a hold
	 * abandoned (its agent gone: the hold timeout plus a grace) */
	__u16 hold_max_pkts;
	__u8 hold_fallback;
	__u8 pad0;
	__u64 hold_stale_ns; /* 0: LS_HOLD_STALE_NS_DEFAULT */
	/* rejects answered per second per CPU (token bucket, burst
	 * LS_REJECT_BURST(rate)); beyond it a reject is a plain drop,
	 * counted as reject_limited. Added within wire version 1 in what was
	 * padding: 0 means LS_REJECT_RATE_DEFAULT */
	__u32 reject_rate;
	__u32 pad1;
	__u64 pad[1];
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

#define LS_REJECT_RATE_DEFAULT 1000u
#define LS_REJECT_BURST(rate) ((rate) / 10 + 1)

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
	LS_CNT_HELD,              /* packet handed to user space to hold (not a drop) */
	LS_CNT_HOLD_OVERFLOW,     /* could not be held (per-flow limit, no slot,
				   * too big): the hold fallback applied */
	LS_CNT_HOLD_STALE,        /* a hold the kernel found abandoned and closed */
	LS_CNT_HOLD_HANDSHAKE,    /* payload-less TCP packet of an undecided flow
				   * passed under hold (no SYN retransmit) */
	LS_CNT_REJECT_DNS,        /* reject answered: DNS REFUSED / NXDOMAIN */
	LS_CNT_REJECT_TCP,        /* reject answered: TCP RST */
	LS_CNT_REJECT_ICMP,       /* reject answered: ICMP(v6) port unreachable */
	LS_CNT_REJECT_LIMITED,    /* reject over the rate limit: plain drop */
	LS_CNT_REJECT_NONE,       /* reject with no answer to give (an ICMP
				   * packet, a RST, a multicast destination,
				   * a tunnel not answered inside -- ERSPAN,
				   * MPLS, PPPoE, GTP-U, Teredo, nested --,
				   * no room to build it): plain drop */
	LS_CNT_RULE_DNS,          /* a flow decided by a DNS name rule */
	LS_CNT_RULE_TLS,          /* ... by a TLS SNI rule */
	LS_CNT_RULE_HTTP,         /* ... by an HTTP Host rule */
	LS_CNT_RULE_PREFIX,       /* ... by a client / server prefix rule */
	LS_CNT_RULE_EXPIRED,      /* a matching rule past its deadline: ignored */
	LS_CNT_DPI_CUT,           /* a message with more DNS questions or pipelined
				   * HTTP requests than are inspected: the rest
				   * is not reported */
	/* added in wire version 2 */
	LS_CNT_ENCAP_LIMIT,       /* encapsulation deeper or longer than the
				   * parser's limits (LS_ENCAP_MAX, ...): passed */
	LS_CNT_ENCAP_MALFORMED,   /* a truncated or invalid tunnel header
				   * (VXLAN, Geneve, GRE, MPLS, PPPoE): passed */
	LS_CNT_TUNNELLED,         /* packets parsed inside a tunnel */
	LS_CNT_DPI_HANDOFF,       /* payload handed to user-space DPI (QUIC
				   * Initial, HTTP/2): LS_EV_PAYLOAD */
	LS_CNT__MAX = 64,
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
	LS_EV_HELD = 8,     /* a held packet: u.held, the frame follows the record */
	LS_EV_PAYLOAD = 9,  /* a payload for user-space DPI: u.payload, the L4
			     * payload follows the record (added within wire
			     * version 1; consumed by src/dataplane, which turns
			     * it into LS_EV_DPI: docs/dataplane.md) */
};

enum ls_dpi_kind {
	LS_DPI_HTTP = 1,
	LS_DPI_TLS = 2,
	LS_DPI_DNS = 4,
};

/* ls_flow.dpi_done: the client sent the HTTP/2 preface; its next
 * LS_H2_SEGS payload segments past dpi_max_pkts go to user space
 * (LS_PAY_H2). Added within wire version 2 in a bit no kind uses. The
 * preface is looked for in a TCP client's first LS_H2_SEGS segments past
 * dpi_max_pkts too (h2c: after the Upgrade request and the 101). */
#define LS_DPI_DONE_H2 0x80
#define LS_H2_SEGS 8

/* ls_event_dpi.flags */
#define LS_DPI_F_PARTIAL 0x1   /* message continues in a later segment */
#define LS_DPI_F_TRUNCATED 0x2 /* a field was longer than its buffer */
/* added within wire version 1: set by user-space DPI (src/dataplane/udpi.c) */
#define LS_DPI_F_QUIC 0x4 /* kind TLS: the ClientHello came in QUIC Initials */
#define LS_DPI_F_H2 0x8   /* kind HTTP: an HTTP/2 request (HEADERS, HPACK) */
#define LS_DPI_F_GRPC 0x10 /* with F_H2: content-type application/grpc* */

enum ls_flow_end_reason {
	LS_END_FIN = 1,
	LS_END_RST = 2,
	LS_END_IDLE = 3,
};

#define LS_NAME_MAX 256 /* host / SNI / qname incl. NUL */
#define LS_PATH_MAX 132 /* 128 bytes of URI + NUL, padded */
#define LS_METHOD_MAX 16
#define LS_ALPN_MAX 11 /* the first ALPN protocol (no NUL when 11 long) */

struct ls_event_dpi {
	__u8 kind;  /* enum ls_dpi_kind */
	__u8 flags; /* LS_DPI_F_* */
	__u16 name_len;
	__u16 path_len;
	__u8 method_len;
	__u8 index; /* DNS: the question's index in its message (0: the
		     * first); added within wire version 1 in what was pad */
	char method[LS_METHOD_MAX]; /* HTTP only */
	char path[LS_PATH_MAX];     /* HTTP only, first 128 bytes of the URI */
	char name[LS_NAME_MAX];     /* HTTP Host / TLS SNI / DNS qname */
	/* added within wire version 1, in the union's unused tail: the
	 * client's most preferred ALPN protocol (TLS), NUL-padded */
	__u8 alpn_len;
	char alpn[LS_ALPN_MAX];
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
	__u64 last_beat_k; /* the whole data plane: the last good beat; a
			    * shard: its worker's last published sign of life */
	__u32 entered;     /* 1 enter, 0 leave */
	__u32 shard;       /* 0: the whole data plane (`liveness`); i + 1:
			    * shard i alone (`shard_live`, docs/workers.md).
			    * Added within wire version 1 in what was padding */
};

/* LS_EV_TRACE: one packet, at trace_level > 0, matching the trace filter */
struct ls_event_trace {
	__u32 verdict;   /* enum ls_verdict applied to the packet */
	__u32 frame_len;
	__u8 tcp_flags;
	__u8 pad[7];
};
/* LS_EV_HELD: the record is sizeof(struct ls_event) + cap_len bytes; the
 * frame's first cap_len bytes (from the Ethernet header) follow it. */
struct ls_event_held {
	__u32 ifindex;   /* device the frame arrived on (XDP) or leaves by (TC) */
	__u32 frame_len; /* whole frame */
	__u32 cap_len;   /* bytes that follow (== frame_len: only whole frames
			  * are held) */
	__u32 seq;       /* index of this packet in its hold (0, 1, ...) */
	__u32 slot;      /* hold slot (ls_hold_slot_of) */
	__u32 ctl_hi;    /* the slot's tag and generation for this hold
			  * (bits 32-63 of ctl) */
	__u8 hook;       /* enum ls_hold_hook */
	__u8 tcp_flags;
	__u8 family;     /* 4 or 6 */
	__u8 proto;      /* IPPROTO_* */
	__u16 l4_off;    /* TCP/UDP/ICMP header, from the frame start */
	__u16 pay_len;   /* L4 payload bytes */
};

/* LS_EV_PAYLOAD: the record is sizeof(struct ls_event) + cap_len bytes;
 * the packet's L4 payload (first cap_len bytes) follows it. The kernel
 * sends it for payloads it recognises but cannot decode (bpf/
 * dpi_handoff.h); user space decodes them and delivers LS_EV_DPI. */
enum ls_payload_proto {
	LS_PAY_QUIC = 1, /* a UDP datagram starting with a QUIC v1/v2 Initial */
	LS_PAY_H2 = 2,   /* a TCP segment of a flow that began as HTTP/2 */
};
#define LS_PAYLOAD_MAX 2048 /* longer payloads: the first LS_PAYLOAD_MAX */

struct ls_event_payload {
	__u32 cap_len; /* bytes that follow */
	__u32 pay_len; /* the whole L4 payload */
	__u32 seq;     /* TCP: the segment's sequence number; UDP: 0 */
	__u8 proto;    /* enum ls_payload_proto */
	__u8 pad[3];
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
	struct ls_tunnel tun; /* wire version 2: the outer header, if any */
	union {
		struct ls_event_dpi dpi;
		struct ls_event_flow_end end;
		struct ls_event_expired expired;
		struct ls_event_failsafe failsafe;
		struct ls_event_beat beat;
		struct ls_event_trace trace;
		struct ls_event_held held;
		struct ls_event_payload payload;
		__u8 raw[424];
	} u;
};

/* ---- hold (`hold_slots`, mmapable array of struct ls_hold_slot) -------- */

/* Added within wire version 1. Under --default-verdict hold the kernel
 * hands a packet of an undecided flow to user space (LS_EV_HELD, the frame
 * copied into the ring) and drops its own copy; user space queues it and,
 * when the policy decides, re-injects the queue in order or frees it.
 * While a flow's hold is open every packet of the flow is held behind the
 * first, whatever its verdict by now; the hold closes only when user space
 * has seen every packet of it. Both sides change `ctl` with compare-and-swap
 * only (the map is mmapable: user space works on the same memory):
 *
 *   ctl = tag << 40 | gen << 32 | closed << 31 | count
 *
 * tag (24 bits, never 0) names the owning flow (from its flow_id), gen
 * counts the holds begun in the slot, count is the packets held so far in
 * this hold (the next packet's seq). The kernel opens a hold on a slot
 * that is closed or never used (tag 0) and adds 1 per packet; user space
 * closes it by a CAS from exactly the count it has received, so a packet
 * held after its last look makes the CAS fail and is waited for. A hold
 * the kernel finds open longer than hold_stale_ns (its agent gone) is
 * closed by the kernel; a starting agent closes every open hold. */
#define LS_HOLD_SLOTS 4096 /* power of two */
#define LS_HOLD_FRAME_MAX 2048 /* larger frames are not held (fallback) */
#define LS_HOLD_MAX_PKTS_DEFAULT 16
#define LS_HOLD_STALE_NS_DEFAULT (5ull * 1000000000ull)
#define LS_HOLD_CLOSED (1ull << 31)
#define LS_HOLD_COUNT_MASK (LS_HOLD_CLOSED - 1)

struct ls_hold_slot {
	__u64 ctl;     /* see above */
	__u64 flow_id; /* owner of the current (or last) hold, informative */
	__u64 since_k; /* K of its first packet */
	__u64 last_k;  /* K of its last packet */
};

/* The skb mark of a held frame re-injected through the loopback device
 * (bpf/reinject.bpf.c): this in the top 16 bits, the target ifindex in the
 * low 16. */
#define LS_REINJECT_MARK 0x4c530000u
#define LS_REINJECT_MARK_MASK 0xffff0000u

/* ls_event_held.hook: which program held it, i.e. how to re-inject */
enum ls_hold_hook {
	LS_HOLD_XDP = 0, /* ingress: back into the device's stack */
	LS_HOLD_TC = 1,  /* egress: out of the device */
};

static inline __u64 ls_hold_hash(__u64 flow_id)
{
	return flow_id * 0x9E3779B97F4A7C15ull;
}

static inline __u32 ls_hold_slot_of(__u64 flow_id)
{
	return (__u32)(ls_hold_hash(flow_id) >> 52) & (LS_HOLD_SLOTS - 1);
}

/* 24 bits, never 0 (tag 0 is a slot never used) */
static inline __u64 ls_hold_tag_of(__u64 flow_id)
{
	return ((ls_hold_hash(flow_id) >> 16) & 0xffffffull) | 1;
}

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

/* Value of `shard_live` (array, LS_SHARDS_MAX entries, mmapable: one page),
 * entry i = shard i's liveness (docs/workers.md, "Liveness per shard").
 * User space stores alive_k and awake alone (aligned stores into the
 * mapping); the kernel owns the rest. While `liveness` is on (mode != OFF)
 * and shard_cfg.n > 1, a packet of a flow of shard i is in fail-safe when
 * the whole data plane is, or when now_k - alive_k > the liveness
 * detect_timeout_ns; alive_k == 0 means "not judged" (no worker published
 * yet). */
struct ls_shard_live {
	__u64 alive_k;     /* user: K when the heartbeat last saw worker i free
			    * (not inside a batch or tick that began before) */
	__u32 in_failsafe; /* kernel: 1 while shard i is in fail-safe */
	__u32 awake;	   /* user: 1 while worker i is off its epoll (draining or
			    * busy-polling): the kernel writes its records with
			    * BPF_RB_NO_WAKEUP then (docs/workers.md, "Wake-ups
			    * the kernel does not send"); 0 in a build before it.
			    * With one worker (shard_cfg.n <= 1) entry 0's is the
			    * reader of `events` */
	__u64 entered_k;   /* kernel: K of the last transition */
	__u64 enters;      /* kernel: transitions into fail-safe */
	__u64 leaves;      /* kernel: transitions out of it */
	__u64 defaults;    /* kernel: packets of undecided flows of shard i
			    * given the fail-safe verdict (also counted in
			    * LS_CNT_FAILSAFE_DEFAULT) */
	__u64 pad[2];
};

#ifndef __bpf__
_Static_assert(sizeof(struct ls_flow_key) == 48, "ls_flow_key layout");
_Static_assert(sizeof(struct ls_tunnel) == 40, "ls_tunnel layout");
_Static_assert(sizeof(struct ls_event) % 8 == 0, "ls_event alignment");
_Static_assert(sizeof(struct ls_event_held) <= 424, "ls_event_held fits the union");
_Static_assert(sizeof(struct ls_event_dpi) == 424, "ls_event_dpi fills the union exactly");
_Static_assert(sizeof(struct ls_config) == 56, "ls_config layout");
_Static_assert(sizeof(struct ls_shard_live) == 64, "ls_shard_live layout: one page for LS_SHARDS_MAX");
#endif

#endif /* LOCKSTEP_WIRE_H */
