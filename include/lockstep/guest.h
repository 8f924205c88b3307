/* guest.h - the lockstep policy SDK: everything a C policy module needs.
 *
 * A policy is a WebAssembly module that the lockstep host calls when the data
 * plane sees something (a new flow, a DPI result, a flow end, an expired
 * verdict, a tick). It answers by calling host imports (module "lockstep"):
 * set a verdict with a time-to-live, read counters, log, metrics, a key-value
 * store that survives reloads. docs/abi.md is the full description; this
 * header is the normative layout of every record (the host includes it too).
 *
 * Build a policy (one C file that includes this header):
 *   clang --target=wasm32-unknown-unknown -O2 -nostdlib \
 *         -Wl,--no-entry -Wl,--export-dynamic -o policy.wasm policy.c
 *
 *   #include <lockstep/guest.h>
 *   LSG_EXPORT(on_flow_new) int32_t on_flow_new(int32_t flow) {
 *           return lsg_set_verdict(flow, LSG_PASS, 5 * LSG_SEC);
 *   }
 *
 * Including the header (in exactly one file) also defines the two exports
 * every policy must have, `lockstep_abi_version` and `lockstep_event_buffer`;
 * define LSG_NO_DEFAULT_EXPORTS before including it to write them yourself.
 *
 * Conventions: all integers little-endian; times are nanoseconds; a time
 * value (`_g`) is in the guest clock G (the same clock WASI clock_time_get
 * reads); a TTL or interval is a duration, never a point in time. Every import
 * returns an int32: >= 0 is success (some return a value: a length, an id, a
 * handle), < 0 is one of the LSG_E_* status codes.
 */
#ifndef LOCKSTEP_GUEST_H
#define LOCKSTEP_GUEST_H

#include <stdint.h>

/* The version of the host <-> guest contract described here. A host runs
 * a module whose lockstep_abi_version() returns a version from
 * LSG_ABI_VERSION_MIN to LSG_ABI_VERSION and refuses any other. Version 2
 * adds struct lsg_dpi_ext after the event (ALPN, gRPC service and method,
 * tunnel id, DNS question index); a version-1 module gets exactly the
 * records it was built for. */
#define LSG_ABI_VERSION 2
#define LSG_ABI_VERSION_MIN 1

/* Size of the event buffer the guest exports (lockstep_event_buffer()). The
 * host writes one struct lsg_event there before each callback (and the
 * configuration string before init). */
#define LSG_EVENT_BUF_SIZE 16384

#define LSG_MSEC 1000000ull
#define LSG_SEC 1000000000ull

/* ---- status codes (returned by every import) ----------------------------- */
enum lsg_status {
	LSG_OK = 0,
	LSG_E_INVAL = -1,    /* an argument has a value the call does not accept */
	LSG_E_BOUNDS = -2,   /* a (pointer, length) is not inside guest memory */
	LSG_E_HANDLE = -3,   /* no such flow handle */
	LSG_E_STALE = -4,    /* the handle belonged to an earlier callback */
	LSG_E_NOTFOUND = -5, /* no such key / flow / metric */
	LSG_E_TOOBIG = -6,   /* a key, value, name or message is over its limit */
	LSG_E_FULL = -7,     /* the key-value store or metric table is full, or a series cap */
	LSG_E_NOTSUP = -8,   /* not available here (e.g. counters offline) */
	LSG_E_RATE = -9,     /* rate-limited (log lines); the call was dropped */
};

/* ---- verdicts --------------------------------------------------------------- */
enum lsg_verdict {
	LSG_PASS = 1, /* the flow's packets pass until the TTL runs out */
	LSG_DROP = 2, /* the flow's packets are dropped until the TTL runs out */
	/* dropped, and answered by the kernel so the client fails at once: a
	 * DNS query gets REFUSED (| LSG_REJECT_NXDOMAIN: NXDOMAIN), a TCP
	 * segment a RST, other UDP an ICMP port unreachable (docs/abi.md) */
	LSG_REJECT = 4,
};

/* A flag on LSG_REJECT: DNS queries get NXDOMAIN instead of REFUSED. */
#define LSG_REJECT_NXDOMAIN 0x100

/* ---- kernel rules (rule_add / rule_del) ------------------------------------ */
/* What a rule matches. The name kinds are the DPI kinds. */
enum lsg_rule_kind {
	LSG_RULE_HTTP = 1,   /* HTTP Host (a :port ignored) */
	LSG_RULE_TLS = 2,    /* TLS SNI */
	LSG_RULE_DNS = 4,    /* DNS query name */
	LSG_RULE_CLIENT = 8, /* the client's address: "198.18.0.0/15", "2001:db8::/32" */
	LSG_RULE_SERVER = 16,/* the server's address */
};

#define LSG_RULE_PATTERN_MAX 256 /* bytes of a rule_add pattern */

/* ---- log levels --------------------------------------------------------- */
enum lsg_level {
	LSG_DEBUG = 0,
	LSG_INFO = 1,
	LSG_WARN = 2,
	LSG_ERROR = 3,
};

/* ---- metric kinds ------------------------------------------------------- */
enum lsg_metric_kind {
	LSG_COUNTER = 1,   /* lsg_metric_add with a value >= 0 */
	LSG_GAUGE = 2,     /* lsg_metric_set / lsg_metric_add (any sign) */
	LSG_HISTOGRAM = 3, /* lsg_metric_observe; buckets 1e-6 .. 1e3 by x10 */
};

/* ---- event records ------------------------------------------------------ */
enum lsg_event_kind {
	LSG_EV_FLOW_NEW = 1,
	LSG_EV_DPI = 2,
	LSG_EV_FLOW_END = 3,
	LSG_EV_VERDICT_EXPIRED = 4,
	LSG_EV_TICK = 5,
	/* a flow that was open before this instance started (a reload, an
	 * agent restart): on_flow_adopted, u.dpi the last DPI result seen
	 * (kind 0: none); added within version 1 */
	LSG_EV_FLOW_ADOPTED = 6,
};

enum lsg_dpi_kind {
	LSG_DPI_HTTP = 1, /* method, name (= Host header), path */
	LSG_DPI_TLS = 2,  /* name = ClientHello SNI */
	LSG_DPI_DNS = 4,  /* name = query name (no trailing dot) */
};

#define LSG_DPI_F_PARTIAL 0x1   /* the message continues in a later packet */
#define LSG_DPI_F_TRUNCATED 0x2 /* some field was longer than its buffer:
				 * lsg_dpi_name_cut() says whether the name */
/* Set in any version (a version-1 module may ignore them): */
#define LSG_DPI_F_QUIC 0x4 /* TLS: the ClientHello came in QUIC Initials (HTTP/3) */
#define LSG_DPI_F_H2 0x8   /* HTTP: an HTTP/2 request (HEADERS); method, name
			    * (= :authority) and path as for HTTP/1 */
#define LSG_DPI_F_GRPC 0x10 /* with F_H2: content-type application/grpc*;
			     * lsg_dpi_ext has the service and method */

enum lsg_end_reason {
	LSG_END_FIN = 1,
	LSG_END_RST = 2,
	LSG_END_IDLE = 3,
};

/* Who a flow is. "src" is the client: the side that sent the flow's first
 * packet. IPv4 addresses are IPv4-mapped (::ffff:a.b.c.d): bytes 12..15. */
struct lsg_flow_info {
	uint64_t flow_id;      /* unique and stable for the flow's life */
	uint8_t family;        /* 4 or 6 */
	uint8_t proto;         /* 6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6 */
	uint16_t sport;        /* client port (host byte order) */
	uint16_t dport;        /* server port */
	uint16_t pad0;
	uint8_t src[16];       /* client address */
	uint8_t dst[16];       /* server address */
	uint64_t first_seen_g; /* when the flow's first packet was seen */
	uint64_t pad1;
};

struct lsg_dpi {
	uint32_t kind;       /* enum lsg_dpi_kind */
	uint32_t flags;      /* LSG_DPI_F_* */
	uint32_t method_len; /* bytes in method (HTTP) */
	uint32_t name_len;   /* bytes in name */
	uint32_t path_len;   /* bytes in path (HTTP) */
	uint32_t pad;
	char method[16];     /* each string is also NUL-terminated */
	char name[256];
	char path[136];      /* the first 128 bytes of the URI */
};

struct lsg_end {
	uint64_t pkts[2];  /* [0] client -> server, [1] server -> client */
	uint64_t bytes[2];
	uint32_t reason;   /* enum lsg_end_reason */
	uint32_t pad;
};

struct lsg_expired {
	uint64_t deadline_g; /* the deadline that passed */
	uint32_t verdict;    /* the verdict that expired */
	uint32_t pad;
};

struct lsg_tick {
	uint64_t interval_ns; /* configured tick interval */
	uint64_t seq;         /* 1, 2, 3, ... since the instance started */
	uint32_t active_flows;/* flows the host knows as open */
	uint32_t pad;
};

/* One event, written at lockstep_event_buffer() before each callback. */
struct lsg_event {
	uint32_t kind;             /* enum lsg_event_kind */
	int32_t flow;              /* the flow handle; -1 for ticks */
	uint64_t ts_g;             /* when it happened (the kernel's stamp, in G) */
	struct lsg_flow_info info; /* zero for ticks */
	union {
		struct lsg_dpi dpi;
		struct lsg_end end;
		struct lsg_expired expired;
		struct lsg_tick tick;
		uint8_t raw[432];
	} u;
};

/* The overlay a flow came through (lsg_dpi_ext.tunnel_type); the numbers
 * are the data plane's (docs/dataplane.md, "Encapsulations"). */
enum lsg_tun_type {
	LSG_TUN_NONE = 0,
	LSG_TUN_VXLAN = 1,    /* tunnel_id: the VNI */
	LSG_TUN_GENEVE = 2,   /* the VNI */
	LSG_TUN_GRE = 3,      /* the GRE key, else 0 */
	LSG_TUN_GRE_UDP = 4,  /* the GRE key, else 0 */
	LSG_TUN_ERSPAN = 5,   /* the session id */
	LSG_TUN_IPIP = 6,     /* 0 */
	LSG_TUN_PPPOE = 7,    /* the session id */
	LSG_TUN_VXLAN_GPE = 8, /* the VNI */
	LSG_TUN_GTPU = 9,     /* the TEID */
	LSG_TUN_TEREDO = 10,  /* 0 */
};

/* Version 2: written right after struct lsg_event (at byte 512 of the
 * event buffer) for on_dpi and on_flow_adopted, all zero for the other
 * callbacks; lsg_dpi_ext() reads it. A version-1 module never gets it. */
struct lsg_dpi_ext {
	uint64_t tunnel_id;        /* the overlay the flow came through (VXLAN VNI,
				    * GRE key, ...); 0: none */
	uint32_t alpn_len;         /* TLS: bytes in alpn */
	uint32_t index;            /* DNS: the question's index in its message
				    * (0: the first) */
	uint32_t grpc_service_len; /* bytes in grpc_service */
	uint32_t grpc_method_len;  /* bytes in grpc_method */
	uint32_t tunnel_type;      /* enum lsg_tun_type of that overlay */
	uint32_t pad;
	char alpn[16];             /* TLS: the client's most preferred ALPN
				    * protocol ("h3", "h2", "http/1.1") */
	char grpc_service[128];    /* gRPC: "pkg.Service" of :path
				    * "/pkg.Service/Method" */
	char grpc_method[64];      /* gRPC: "Method" */
};

/* Written by lsg_flow_verdict: the verdict the data plane holds for the
 * flow now (added within version 1). */
struct lsg_verdict_info {
	uint32_t verdict;    /* enum lsg_verdict (| flags); 0: none, undecided */
	uint32_t pad;
	uint64_t deadline_g; /* when it runs out; 0: it does not */
};

/* Written by lsg_flow_counters. */
struct lsg_counters {
	uint64_t pkts[2];    /* [0] client -> server, [1] server -> client */
	uint64_t bytes[2];
	uint64_t last_seen_g;
	uint64_t pad;
};

_Static_assert(sizeof(struct lsg_flow_info) == 64, "lsg_flow_info layout");
_Static_assert(sizeof(struct lsg_dpi) == 432, "lsg_dpi layout");
_Static_assert(sizeof(struct lsg_event) == 512, "lsg_event layout");
_Static_assert(sizeof(struct lsg_counters) == 48, "lsg_counters layout");
_Static_assert(sizeof(struct lsg_verdict_info) == 16, "lsg_verdict_info layout");
_Static_assert(sizeof(struct lsg_dpi_ext) == 240, "lsg_dpi_ext layout");

/* Everything below is for the guest (compiled to WebAssembly) only. */
#if defined(__wasm__)

#define LSG_EXPORT(name) __attribute__((export_name(#name), used))
#define LSG_IMPORT(name)                                                       \
	__attribute__((import_module("lockstep"), import_name(#name)))

/* ---- host imports ------------------------------------------------------- */

/* Give `flow` a verdict that holds for ttl_ns (0: until the flow ends). When
 * it runs out the flow is undecided again and on_verdict_expired is called. */
LSG_IMPORT(set_verdict) int32_t lsg_set_verdict(int32_t flow, int32_t verdict,
						int64_t ttl_ns);
/* Copy the flow's identity / packet counters to *out. */
LSG_IMPORT(flow_info) int32_t lsg_flow_info(int32_t flow,
					    struct lsg_flow_info *out);
LSG_IMPORT(flow_counters) int32_t lsg_flow_counters(int32_t flow,
						    struct lsg_counters *out);
/* The verdict the data plane holds for the flow now (what an earlier
 * instance decided, e.g. in on_flow_adopted); LSG_E_NOTSUP where there is
 * no data plane to ask. */
LSG_IMPORT(flow_verdict) int32_t lsg_flow_verdict(int32_t flow, struct lsg_verdict_info *out);
/* A handle, valid for the current callback, for an open flow by its id (the
 * way to act on flows remembered from earlier callbacks, e.g. in on_tick). */
LSG_IMPORT(flow_lookup) int32_t lsg_flow_lookup(uint64_t flow_id);
/* The current time in the guest clock G. */
LSG_IMPORT(now) int32_t lsg_now(uint64_t *now_g);
/* One log line (UTF-8, at most 1024 bytes kept), rate-limited by the host. */
LSG_IMPORT(log) int32_t lsg_log(int32_t level, const char *msg, uint32_t len);
/* Define (or find again after a reload) a metric; returns its id. Names:
 * [a-zA-Z_][a-zA-Z0-9_]*, at most 64 bytes; exported as lockstep_guest_NAME. */
LSG_IMPORT(metric_define) int32_t lsg_metric_define(int32_t kind,
						    const char *name,
						    uint32_t name_len,
						    const char *help,
						    uint32_t help_len);
LSG_IMPORT(metric_add) int32_t lsg_metric_add(int32_t id, double v);
LSG_IMPORT(metric_set) int32_t lsg_metric_set(int32_t id, double v);
LSG_IMPORT(metric_observe) int32_t lsg_metric_observe(int32_t id, double v);

/* ---- labelled metrics (docs/abi.md, "Labels") ------------------------------
 * A label list -- the names at definition, the values of one series -- is
 * packed: each item followed by a NUL, the length covering the last NUL. A
 * string literal with NULs between its items is one, its sizeof the length:
 *   static const char lab[] = "model\0verdict";   // sizeof(lab) == 14
 *   int32_t id = lsg_metric_define_l(LSG_COUNTER, "requests", 8, "", 0, lab, sizeof(lab));
 * Values built at run time go through struct lsg_lvals below. Limits: 8
 * label names of 64 bytes ([a-zA-Z_][a-zA-Z0-9_]*, no "__" prefix, not
 * "worker", not "le" on a histogram); values valid UTF-8, 128 bytes each,
 * 256 packed; 1,000 series per metric, 4,000 per instance (E_FULL). */
#define LSG_LABELS_MAX 8
#define LSG_LVALUE_MAX 128
#define LSG_LVALUES_MAX 256
LSG_IMPORT(metric_define_l)
int32_t lsg_metric_define_l(int32_t kind, const char *name, uint32_t name_len, const char *help,
			    uint32_t help_len, const char *labels, uint32_t labels_len);
LSG_IMPORT(metric_add_l)
int32_t lsg_metric_add_l(int32_t id, const char *values, uint32_t values_len, double v);
LSG_IMPORT(metric_set_l)
int32_t lsg_metric_set_l(int32_t id, const char *values, uint32_t values_len, double v);
LSG_IMPORT(metric_observe_l)
int32_t lsg_metric_observe_l(int32_t id, const char *values, uint32_t values_len, double v);
/* Forget a series (a client or flow that went away): it is no longer
 * exported and frees its place under the caps; LSG_E_NOTFOUND if absent. */
LSG_IMPORT(metric_delete_l)
int32_t lsg_metric_delete_l(int32_t id, const char *values, uint32_t values_len);
/* Copy the configuration string into buf (at most cap bytes); returns its
 * full length. */
LSG_IMPORT(config_get) int32_t lsg_config_get(char *buf, uint32_t cap);
/* Key-value store kept by the host across reloads and instance restarts.
 * Keys <= 256 bytes, values <= 4096 bytes. kv_get returns the value's full
 * length (copying at most cap bytes) or LSG_E_NOTFOUND. */
LSG_IMPORT(kv_get) int32_t lsg_kv_get(const void *key, uint32_t key_len, void *val, uint32_t cap);
LSG_IMPORT(kv_put)
int32_t lsg_kv_put(const void *key, uint32_t key_len, const void *val, uint32_t val_len);
LSG_IMPORT(kv_del) int32_t lsg_kv_del(const void *key, uint32_t key_len);
/* Install (or replace) a kernel rule: the kernel itself gives matching new
 * flows `verdict` at their first packet (prefix) or first DPI name, with no
 * callback. Name patterns: "www.a.test" (exact), "*.a.test" (names under
 * a.test), "*" (every name of the kind); case-insensitive. Address
 * patterns: "ADDR/LEN" or "ADDR". ttl_ns: how long the rule stands (0 or
 * INT64_MAX: until deleted or the agent stops). Returns 0, LSG_E_INVAL (bad
 * kind, pattern or verdict), LSG_E_FULL, LSG_E_TOOBIG, LSG_E_BOUNDS, or
 * LSG_E_NOTSUP where the host has no data plane to put rules in. */
LSG_IMPORT(rule_add)
int32_t
    lsg_rule_add(int32_t kind, const char *pattern, uint32_t len, int32_t verdict, int64_t ttl_ns);
/* Remove a rule by the same kind and pattern; LSG_E_NOTFOUND if none. */
LSG_IMPORT(rule_del) int32_t lsg_rule_del(int32_t kind, const char *pattern, uint32_t len);

/* ---- small freestanding helpers (no libc needed) -------------------------- */

static inline uint32_t lsg_strlen(const char *s)
{
	uint32_t n = 0;
	while (s[n])
		n++;
	return n;
}

static inline int lsg_memeq(const void *a, const void *b, uint32_t n)
{
	const uint8_t *x = a, *y = b;
	for (uint32_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return 0;
	return 1;
}

/* Label values packed at run time: lsg_lvals_reset, one lsg_lvals_add per
 * label in the definition's order, then lsg_metric_add_lv & co. A value
 * with a NUL in it, or a list that does not fit, poisons the list: the
 * add returns LSG_E_INVAL or LSG_E_TOOBIG and the update that uses it
 * LSG_E_TOOBIG (never a truncated, misread value). */
struct lsg_lvals {
	uint32_t len;
	char buf[LSG_LVALUES_MAX];
};

#define LSG_LVALS_POISON 0xffffffffu

static inline void lsg_lvals_reset(struct lsg_lvals *l)
{
	l->len = 0;
}

static inline int32_t lsg_lvals_add(struct lsg_lvals *l, const char *v, uint32_t n)
{
	if (l->len == LSG_LVALS_POISON)
		return LSG_E_TOOBIG;
	for (uint32_t i = 0; i < n; i++)
		if (!v[i]) {
			l->len = LSG_LVALS_POISON;
			return LSG_E_INVAL;
		}
	if (n >= LSG_LVALUES_MAX - l->len) {
		l->len = LSG_LVALS_POISON;
		return LSG_E_TOOBIG;
	}
	for (uint32_t i = 0; i < n; i++)
		l->buf[l->len + i] = v[i];
	l->buf[l->len + n] = 0;
	l->len += n + 1;
	return LSG_OK;
}

/* the same for a NUL-terminated string */
static inline int32_t lsg_lvals_adds(struct lsg_lvals *l, const char *v)
{
	return lsg_lvals_add(l, v, lsg_strlen(v));
}

/* A poisoned list's length is over every limit: the host answers E_TOOBIG
 * without reading it. */
static inline int32_t lsg_metric_add_lv(int32_t id, const struct lsg_lvals *l, double v)
{
	return lsg_metric_add_l(id, l->buf, l->len, v);
}

static inline int32_t lsg_metric_set_lv(int32_t id, const struct lsg_lvals *l, double v)
{
	return lsg_metric_set_l(id, l->buf, l->len, v);
}

static inline int32_t lsg_metric_observe_lv(int32_t id, const struct lsg_lvals *l, double v)
{
	return lsg_metric_observe_l(id, l->buf, l->len, v);
}

static inline int32_t lsg_metric_delete_lv(int32_t id, const struct lsg_lvals *l)
{
	return lsg_metric_delete_l(id, l->buf, l->len);
}

static inline char lsg_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

/* Case-insensitive equality of two byte strings. */
static inline int lsg_ieq(const char *a, uint32_t alen, const char *b,
			  uint32_t blen)
{
	if (alen != blen)
		return 0;
	for (uint32_t i = 0; i < alen; i++)
		if (lsg_lower(a[i]) != lsg_lower(b[i]))
			return 0;
	return 1;
}

/* Does a host name match a pattern? "example.com" matches itself only;
 * "*.example.com" matches any name ending in ".example.com" (not the bare
 * domain); "*" matches everything. Case-insensitive; a trailing dot on the
 * name and a ":port" suffix (HTTP Host) are ignored. */
static inline int lsg_name_match(const char *pat, uint32_t plen,
				 const char *name, uint32_t nlen)
{
	for (uint32_t i = 0; i < nlen; i++)
		if (name[i] == ':') {
			nlen = i;
			break;
		}
	if (nlen && name[nlen - 1] == '.')
		nlen--;
	if (plen == 1 && pat[0] == '*')
		return 1;
	if (plen >= 2 && pat[0] == '*' && pat[1] == '.') {
		uint32_t sl = plen - 1; /* ".example.com" */
		return nlen > sl && lsg_ieq(pat + 1, sl, name + nlen - sl, sl);
	}
	return lsg_ieq(pat, plen, name, nlen);
}

/* Writes v in decimal to buf (at least 21 bytes); returns the length. */
static inline uint32_t lsg_fmt_u64(char *buf, uint64_t v)
{
	char tmp[21];
	uint32_t n = 0, i = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		buf[i++] = tmp[--n];
	buf[i] = 0;
	return i;
}

/* Parses a decimal number at *s (advancing it); returns 0 if there is none. */
static inline uint64_t lsg_parse_u64(const char **s, const char *end)
{
	uint64_t v = 0;
	while (*s < end && **s >= '0' && **s <= '9')
		v = v * 10 + (uint64_t)(*(*s)++ - '0');
	return v;
}

/* Configuration strings are tokens separated by commas, semicolons or white
 * space; "key=value" tokens are options. Returns 0 at the end. */
static inline int lsg_next_token(const char **p, const char *end,
				 const char **tok, uint32_t *len)
{
	while (*p < end && (**p == ',' || **p == ';' || **p == ' ' ||
			    **p == '\t' || **p == '\n' || **p == '\r'))
		(*p)++;
	if (*p >= end || !**p)
		return 0;
	*tok = *p;
	while (*p < end && **p && **p != ',' && **p != ';' && **p != ' ' &&
	       **p != '\t' && **p != '\n' && **p != '\r')
		(*p)++;
	*len = (uint32_t)(*p - *tok);
	return 1;
}

/* If token is "key=NUMBER", stores NUMBER and returns 1. */
static inline int lsg_opt_u64(const char *tok, uint32_t len, const char *key,
			      uint64_t *out)
{
	uint32_t kl = lsg_strlen(key);
	if (len <= kl || tok[kl] != '=' || !lsg_memeq(tok, key, kl))
		return 0;
	const char *s = tok + kl + 1;
	*out = lsg_parse_u64(&s, tok + len);
	return s == tok + len;
}

/* Was the DPI name cut short? TRUNCATED covers any field (often a long
 * HTTP path); the name itself is cut only when it filled its buffer. */
static inline int lsg_dpi_name_cut(const struct lsg_dpi *d)
{
	return (d->flags & LSG_DPI_F_TRUNCATED) && d->name_len >= sizeof(d->name) - 1;
}

/* Log a NUL-terminated string. */
static inline int32_t lsg_logs(int32_t level, const char *msg)
{
	return lsg_log(level, msg, lsg_strlen(msg));
}

/* The current G time, or 0 if the host refused (it never does for now). */
static inline uint64_t lsg_now_g(void)
{
	uint64_t t = 0;
	lsg_now(&t);
	return t;
}

/* ---- the event buffer and the mandatory exports ----------------------------- */

extern uint8_t lsg_event_buffer[LSG_EVENT_BUF_SIZE];

/* The event the current callback is about. */
static inline const struct lsg_event *lsg_event(void)
{
	return (const struct lsg_event *)lsg_event_buffer;
}

/* Version 2: the DPI extension of the current on_dpi / on_flow_adopted
 * event (zero in other callbacks). */
static inline const struct lsg_dpi_ext *lsg_dpi_ext(void)
{
	return (const struct lsg_dpi_ext *)(lsg_event_buffer + sizeof(struct lsg_event));
}

/* Whether the current DPI event is a gRPC call to service/method (both
 * NUL-terminated; method NULL: any method of the service). */
static inline int lsg_dpi_is_grpc(const char *service, const char *method)
{
	const struct lsg_event *ev = lsg_event();
	const struct lsg_dpi_ext *x = lsg_dpi_ext();
	if ((ev->kind != LSG_EV_DPI && ev->kind != LSG_EV_FLOW_ADOPTED) ||
	    !(ev->u.dpi.flags & LSG_DPI_F_GRPC))
		return 0;
	for (uint32_t i = 0;; i++) {
		if (i > x->grpc_service_len || x->grpc_service[i] != service[i])
			return 0;
		if (!service[i])
			break;
	}
	if (!method)
		return 1;
	for (uint32_t i = 0;; i++) {
		if (i > x->grpc_method_len || x->grpc_method[i] != method[i])
			return 0;
		if (!method[i])
			return 1;
	}
}

/* Memoisation: give `flow` the verdict and publish it for every new flow
 * with the same DPI name (this on_dpi event's Host, SNI or query name) for
 * ttl_ns, as a kernel rule. Returns set_verdict's status, or rule_add's
 * when that failed. Outside a complete DPI event, only the verdict. */
static inline int32_t lsg_memo(int32_t flow, int32_t verdict, int64_t ttl_ns)
{
	const struct lsg_event *ev = lsg_event();
	int32_t rc = lsg_set_verdict(flow, verdict, 0);
	if (rc || ev->kind != LSG_EV_DPI || !ev->u.dpi.name_len || lsg_dpi_name_cut(&ev->u.dpi))
		return rc;
	return lsg_rule_add((int32_t)ev->u.dpi.kind, ev->u.dpi.name, ev->u.dpi.name_len, verdict,
			    ttl_ns);
}

/* In init: the configuration string (NUL-terminated, len bytes); when it is
 * longer than the event buffer, read it with lsg_config_get instead. */
static inline const char *lsg_init_config(void)
{
	return (const char *)lsg_event_buffer;
}

#ifndef LSG_NO_DEFAULT_EXPORTS
__attribute__((aligned(16))) uint8_t lsg_event_buffer[LSG_EVENT_BUF_SIZE];

LSG_EXPORT(lockstep_abi_version) int32_t lockstep_abi_version(void)
{
	return LSG_ABI_VERSION;
}

LSG_EXPORT(lockstep_event_buffer) int32_t lockstep_event_buffer(void)
{
	return (int32_t)(uintptr_t)lsg_event_buffer;
}

/* The compiler may emit calls to these for struct copies and loops; without
 * a libc (wasm32-unknown-unknown) the policy has to provide them. */
#if !defined(__wasi__)
__attribute__((weak, no_builtin)) void *memcpy(void *d, const void *s, unsigned long n)
{
	uint8_t *dd = d;
	const uint8_t *ss = s;
	while (n--)
		*dd++ = *ss++;
	return d;
}

__attribute__((weak, no_builtin)) void *memset(void *d, int c, unsigned long n)
{
	uint8_t *dd = d;
	while (n--)
		*dd++ = (uint8_t)c;
	return d;
}

__attribute__((weak, no_builtin)) int memcmp(const void *a, const void *b, unsigned long n)
{
	const uint8_t *x = a, *y = b;
	for (unsigned long i = 0; i < n; i++)
		if (x[i] != y[i])
			return x[i] - y[i];
	return 0;
}
#endif /* !__wasi__ */
#endif /* LSG_NO_DEFAULT_EXPORTS */

#endif /* __wasm__ */
#endif /* LOCKSTEP_GUEST_H */
