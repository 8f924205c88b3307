/* event_json.c - formats struct ls_event as one JSON line (schema:
 * docs/events.md). Pure formatting, no I/O except ls_event_json_print, so the
 * same code serves `lockstep inspect`, `lockstep run` and the tests. */
#include "dataplane/event_json.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <string.h>

#include "base/fmt.h"
#include "base/json.h"
#include "base/names.h"
#include "base/time.h"

/* A bounded output cursor: `ok` drops to 0 on overflow and stays there. */
struct jw {
	char *buf;
	size_t cap, len;
	int ok;
};

static void jw_raw(struct jw *w, const char *s, size_t n)
{
	if (!w->ok || w->len + n + 1 > w->cap) {
		w->ok = 0;
		return;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = 0;
}

static void jw_fmt(struct jw *w, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		w->ok = 0;
		return;
	}
	jw_raw(w, tmp, (size_t)n);
}

/* The hot paths append keys, names and numbers directly: jw_fmt's
 * vsnprintf for every field was most of the cost of a line (base/fmt.h). */
#define jw_lit(w, s) jw_raw((w), (s), sizeof(s) - 1)

static void jw_cstr(struct jw *w, const char *s)
{
	jw_raw(w, s, strlen(s));
}

static void jw_u64(struct jw *w, uint64_t v)
{
	char tmp[LS_FMT_U64_MAX];
	jw_raw(w, tmp, ls_fmt_u64(tmp, v));
}

static void jw_u32(struct jw *w, uint32_t v)
{
	char tmp[LS_FMT_U64_MAX];
	jw_raw(w, tmp, ls_fmt_u32(tmp, v));
}

static void jw_str(struct jw *w, const char *key, const void *s, size_t n)
{
	char tmp[LS_NAME_MAX * 6 + 8];
	int l = ls_json_escape(tmp, sizeof(tmp), s, n);
	if (l < 0) {
		w->ok = 0;
		return;
	}
	jw_lit(w, ",\"");
	jw_cstr(w, key);
	jw_lit(w, "\":\"");
	jw_raw(w, tmp, (size_t)l);
	jw_raw(w, "\"", 1);
}

static size_t addr_str(const struct ls_flow_key *k, const __u8 *a, char *out)
{
	return k->family == 4 ? ls_fmt_ip4(out, a + 12) : ls_fmt_ip6(out, a);
}

/* The flow fields, oriented as the packet that caused the event travelled. */
static void jw_flow(struct jw *w, const struct ls_event *ev)
{
	const struct ls_flow_key *k = &ev->key;
	char addr[LS_FMT_IP_MAX];
	const __u8 *sa = ev->dir == LS_DIR_LO_TO_HI ? k->lo_addr : k->hi_addr;
	const __u8 *da = ev->dir == LS_DIR_LO_TO_HI ? k->hi_addr : k->lo_addr;
	const char *proto = ls_proto_name(k->proto);
	jw_lit(w, ",\"proto\":\"");
	jw_cstr(w, proto);
	jw_lit(w, "\"");
	if (!strcmp(proto, "unknown")) {
		jw_lit(w, ",\"ipproto\":");
		jw_u32(w, k->proto);
	}
	jw_lit(w, ",\"src\":\"");
	jw_raw(w, addr, addr_str(k, sa, addr));
	jw_lit(w, "\",\"sport\":");
	jw_u32(w, ev->sport);
	jw_lit(w, ",\"dst\":\"");
	jw_raw(w, addr, addr_str(k, da, addr));
	jw_lit(w, "\",\"dport\":");
	jw_u32(w, ev->dport);
	jw_lit(w, ",\"flow_id\":");
	jw_u64(w, ev->flow_id);
}

/* The outer header (wire version 2): "tunnel" for the innermost tunnel the
 * packet came through, "encap" for every layer seen (VLAN, MPLS, ...). */
static void jw_tunnel(struct jw *w, const struct ls_event *ev)
{
	static const char *const layer[] = {"vlan",   "mpls", "pppoe", "vxlan",
					    "geneve", "gre",  "ipip",  "gtp-u"};
	const struct ls_tunnel *t = &ev->tun;
	if (!t->layers)
		return;
	jw_raw(w, ",\"encap\":[", 10);
	int n = 0;
	for (unsigned i = 0; i < sizeof(layer) / sizeof(layer[0]); i++)
		if (t->layers & (1u << i)) {
			if (n++)
				jw_lit(w, ",");
			jw_lit(w, "\"");
			jw_cstr(w, layer[i]);
			jw_lit(w, "\"");
		}
	jw_raw(w, "]", 1);
	if (!t->depth)
		return;
	jw_lit(w, ",\"tunnel\":{\"type\":\"");
	jw_cstr(w, ls_tun_name(t->type));
	jw_lit(w, "\",\"id\":");
	jw_u32(w, t->id);
	jw_lit(w, ",\"depth\":");
	jw_u32(w, t->depth);
	if (t->outer_family == 4 || t->outer_family == 6) {
		struct ls_flow_key k = {.family = t->outer_family};
		char addr[LS_FMT_IP_MAX];
		jw_lit(w, ",\"outer_src\":\"");
		jw_raw(w, addr, addr_str(&k, t->outer_src, addr));
		jw_lit(w, "\",\"outer_dst\":\"");
		jw_raw(w, addr, addr_str(&k, t->outer_dst, addr));
		jw_lit(w, "\"");
	}
	jw_raw(w, "}", 1);
}

static size_t bounded_len(const char *s, size_t claimed, size_t cap)
{
	/* never trust a length beyond the buffer, nor past the NUL */
	size_t n = claimed < cap ? claimed : cap;
	const char *z = memchr(s, 0, n);
	return z ? (size_t)(z - s) : n;
}

static void jw_dpi(struct jw *w, const struct ls_event_dpi *d)
{
	size_t nl = bounded_len(d->name, d->name_len, sizeof(d->name));
	switch (d->kind) {
	case LS_DPI_HTTP: {
		jw_raw(w, ",\"dpi\":\"http\"", 13);
		size_t ml = bounded_len(d->method, d->method_len, sizeof(d->method));
		size_t pl = bounded_len(d->path, d->path_len, sizeof(d->path));
		if (ml)
			jw_str(w, "http_method", d->method, ml);
		if (nl)
			jw_str(w, "http_host", d->name, nl);
		if (pl)
			jw_str(w, "http_path", d->path, pl);
		break;
	}
	case LS_DPI_TLS:
		jw_raw(w, ",\"dpi\":\"tls\"", 12);
		if (nl)
			jw_str(w, "tls_sni", d->name, nl);
		if (d->alpn_len)
			jw_str(w, "tls_alpn", d->alpn,
			       bounded_len(d->alpn, d->alpn_len, sizeof(d->alpn)));
		break;
	case LS_DPI_DNS:
		jw_raw(w, ",\"dpi\":\"dns\"", 12);
		if (nl)
			jw_str(w, "dns_qname", d->name, nl);
		break;
	default:
		jw_fmt(w, ",\"dpi\":\"unknown\",\"dpi_kind\":%u", d->kind);
	}
	if (d->flags & LS_DPI_F_PARTIAL)
		jw_raw(w, ",\"partial\":true", 15);
	if (d->flags & LS_DPI_F_QUIC)
		jw_raw(w, ",\"quic\":true", 12);
	if (d->flags & LS_DPI_F_H2)
		jw_raw(w, ",\"http2\":true", 13);
	if (d->flags & LS_DPI_F_GRPC)
		jw_raw(w, ",\"grpc\":true", 12);
	if (d->flags & LS_DPI_F_TRUNCATED)
		jw_raw(w, ",\"truncated\":true", 17);
}

/* Where the wall time beside ts_k comes from: the process's one source
 * (the tests' fixed one), default REALTIME - BOOTTIME read at the call. An
 * atomic pointer pair is not needed: it is set before any thread starts. */
static int64_t (*wall_fn)(void *ctx, uint64_t k);
static void *wall_ctx;

void ls_event_wall_source(int64_t (*fn)(void *ctx, uint64_t k), void *ctx)
{
	wall_fn = fn;
	wall_ctx = ctx;
}

const char *ls_event_ts(char *buf, size_t cap, uint64_t k)
{
	return ls_fmt_rfc3339(buf, cap, wall_fn ? wall_fn(wall_ctx, k) : ls_wall_of_k(k));
}

int ls_event_json(const struct ls_event *ev, char *buf, size_t cap)
{
	char ts[LS_RFC3339_LEN];
	struct jw w = {buf, cap, 0, 1};
	if (cap)
		buf[0] = 0;
	const char *kind = ls_event_kind_name(ev->kind);
	jw_lit(&w, "{\"event\":\"");
	jw_cstr(&w, kind);
	jw_lit(&w, "\"");
	if (!strcmp(kind, "unknown")) {
		jw_lit(&w, ",\"kind\":");
		jw_u32(&w, ev->kind);
	}
	jw_lit(&w, ",\"v\":");
	jw_u32(&w, ev->version);
	jw_lit(&w, ",\"ts_k\":");
	jw_u64(&w, ev->ts_k);
	jw_lit(&w, ",\"ts\":\"");
	jw_cstr(&w, ls_event_ts(ts, sizeof(ts), ev->ts_k));
	jw_lit(&w, "\"");
	if (ev->key.family == 4 || ev->key.family == 6) {
		jw_flow(&w, ev);
		jw_tunnel(&w, ev);
	}
	switch (ev->kind) {
	case LS_EV_DPI:
		jw_dpi(&w, &ev->u.dpi);
		break;
	case LS_EV_FLOW_END:
		jw_lit(&w, ",\"reason\":\"");
		jw_cstr(&w, ls_end_reason_name(ev->u.end.reason));
		jw_lit(&w, "\",\"pkts\":[");
		jw_u64(&w, ev->u.end.pkts[0]);
		jw_lit(&w, ",");
		jw_u64(&w, ev->u.end.pkts[1]);
		jw_lit(&w, "],\"bytes\":[");
		jw_u64(&w, ev->u.end.bytes[0]);
		jw_lit(&w, ",");
		jw_u64(&w, ev->u.end.bytes[1]);
		jw_lit(&w, "]");
		break;
	case LS_EV_VERDICT_EXPIRED:
		jw_lit(&w, ",\"verdict\":\"");
		jw_cstr(&w, ls_verdict_name(ev->u.expired.verdict));
		jw_lit(&w, "\",\"deadline_k\":");
		jw_u64(&w, ev->u.expired.deadline_k);
		break;
	case LS_EV_FAILSAFE:
		jw_fmt(&w, ",\"state\":\"%s\",\"last_beat_k\":%" PRIu64,
		       ev->u.failsafe.entered ? "enter" : "leave",
		       (uint64_t)ev->u.failsafe.last_beat_k);
		if (ev->u.failsafe.shard) /* one worker's shard (docs/workers.md) */
			jw_fmt(&w, ",\"worker\":%u", ev->u.failsafe.shard - 1);
		break;
	case LS_EV_PAYLOAD: /* seen only when user-space DPI is bypassed */
		jw_fmt(&w, ",\"proto\":%u,\"pay_len\":%u,\"cap_len\":%u", ev->u.payload.proto,
		       ev->u.payload.pay_len, ev->u.payload.cap_len);
		break;
	case LS_EV_HELD: /* one a flow under --default-verdict hold */
		jw_lit(&w, ",\"hook\":\"");
		jw_cstr(&w, ev->u.held.hook == LS_HOLD_TC ? "tc" : "xdp");
		jw_lit(&w, "\",\"ifindex\":");
		jw_u32(&w, ev->u.held.ifindex);
		jw_lit(&w, ",\"seq\":");
		jw_u32(&w, ev->u.held.seq);
		jw_lit(&w, ",\"frame_len\":");
		jw_u32(&w, ev->u.held.frame_len);
		jw_lit(&w, ",\"pay_len\":");
		jw_u32(&w, ev->u.held.pay_len);
		break;
	case LS_EV_BEAT:
		jw_fmt(&w,
		       ",\"seq\":%" PRIu64 ",\"planned_k\":%" PRIu64 ",\"fired_k\":%" PRIu64
		       ",\"interval_ns\":%" PRIu64,
		       (uint64_t)ev->u.beat.seq, (uint64_t)ev->u.beat.planned_k,
		       (uint64_t)ev->u.beat.fired_k, (uint64_t)ev->u.beat.interval_ns);
		break;
	}
	jw_raw(&w, "}\n", 2);
	return w.ok ? (int)w.len : -1;
}

int ls_verdict_json(char *buf, size_t cap, uint64_t k, uint64_t flow_id, uint32_t verdict,
		    uint64_t deadline_k)
{
	char ts[LS_RFC3339_LEN];
	struct jw w = {buf, cap, 0, 1};
	if (cap)
		buf[0] = 0;
	jw_lit(&w, "{\"event\":\"verdict\",\"ts_k\":");
	jw_u64(&w, k);
	jw_lit(&w, ",\"ts\":\"");
	jw_cstr(&w, ls_event_ts(ts, sizeof(ts), k));
	jw_lit(&w, "\",\"flow_id\":");
	jw_u64(&w, flow_id);
	jw_lit(&w, ",\"verdict\":\"");
	jw_cstr(&w, ls_verdict_name(verdict));
	jw_lit(&w, "\",\"deadline_k\":");
	jw_u64(&w, deadline_k);
	jw_lit(&w, "}\n");
	return w.ok ? (int)w.len : -1;
}

/* set before any thread starts, and again by a SIGHUP's reload while the
 * workers print: one word, relaxed (a line printed under the old filter
 * just before the change is fine) */
static _Atomic uint32_t print_mask = LS_PRINT_ALL;

void ls_print_filter(uint32_t mask)
{
	atomic_store_explicit(&print_mask, mask, memory_order_relaxed);
}

bool ls_print_wants(uint32_t bit)
{
	return (atomic_load_explicit(&print_mask, memory_order_relaxed) & bit) != 0;
}

int ls_event_json_print(FILE *f, const struct ls_event *ev)
{
	char buf[LS_EVENT_JSON_MAX];
	if (ev->kind < 28 && !ls_print_wants(1u << ev->kind))
		return 1;
	int n = ls_event_json(ev, buf, sizeof(buf));
	if (n < 0)
		return -1;
	return fwrite(buf, 1, (size_t)n, f) == (size_t)n ? 0 : -1;
}
