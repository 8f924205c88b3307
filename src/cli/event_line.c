/* event_line.c - minimal JSON rendering of struct ls_event (see
 * event_line.h): kind, the packet's own orientation, and the DPI names
 * under the field names of the documented schema. */
#include "cli/event_line.h"
#include "dataplane/dataplane.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct out {
	char *p;
	size_t len, n;
	bool overflow;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(o->p + o->n, o->len - o->n, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= o->len - o->n)
		o->overflow = true;
	else
		o->n += (size_t)k;
}

/* A bounded kernel string (not necessarily NUL-terminated), JSON-escaped. */
static void put_str(struct out *o, const char *key, const char *s, size_t max)
{
	put(o, ",\"%s\":\"", key);
	for (size_t i = 0; i < max && s[i] && !o->overflow; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			put(o, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			put(o, "\\u%04x", c);
		else
			put(o, "%c", c);
	}
	put(o, "\"");
}

static const char *kind_name(unsigned k)
{
	switch (k) {
	case LS_EV_FLOW_NEW: return "flow_new";
	case LS_EV_DPI: return "dpi";
	case LS_EV_FLOW_END: return "flow_end";
	case LS_EV_VERDICT_EXPIRED: return "verdict_expired";
	case LS_EV_FAILSAFE: return "failsafe";
	case LS_EV_BEAT: return "beat";
	case LS_EV_TRACE: return "trace";
	default: return "unknown";
	}
}

int ls_event_line(const struct ls_event *ev, char *buf, size_t len)
{
	struct out o = {.p = buf, .len = len};
	const struct ls_flow_key *k = &ev->key;
	bool lo_src = ev->dir == LS_DIR_LO_TO_HI;
	char src[64], dst[64];
	const char *proto = ls_proto_name(k->proto);

	ls_flow_addr_str(lo_src ? k->lo_addr : k->hi_addr, k->family, src, sizeof(src));
	ls_flow_addr_str(lo_src ? k->hi_addr : k->lo_addr, k->family, dst, sizeof(dst));
	put(&o, "{\"event\":\"%s\",\"ts_k\":%llu", kind_name(ev->kind), (unsigned long long)ev->ts_k);
	if (ev->kind != LS_EV_BEAT && ev->kind != LS_EV_FAILSAFE) {
		put(&o, ",\"flow_id\":%llu", (unsigned long long)ev->flow_id);
		if (proto)
			put(&o, ",\"proto\":\"%s\"", proto);
		else
			put(&o, ",\"proto\":%u", k->proto);
		put(&o, ",\"src\":\"%s\",\"sport\":%u,\"dst\":\"%s\",\"dport\":%u", src, ev->sport, dst,
		    ev->dport);
	}
	switch (ev->kind) {
	case LS_EV_DPI: {
		const struct ls_event_dpi *d = &ev->u.dpi;
		if (d->kind == LS_DPI_HTTP) {
			put_str(&o, "http_method", d->method, sizeof(d->method));
			put_str(&o, "http_host", d->name, sizeof(d->name));
			put_str(&o, "http_path", d->path, sizeof(d->path));
		} else if (d->kind == LS_DPI_TLS) {
			put_str(&o, "tls_sni", d->name, sizeof(d->name));
		} else if (d->kind == LS_DPI_DNS) {
			put_str(&o, "dns_qname", d->name, sizeof(d->name));
		}
		if (d->flags & LS_DPI_F_PARTIAL)
			put(&o, ",\"partial\":true");
		if (d->flags & LS_DPI_F_TRUNCATED)
			put(&o, ",\"truncated\":true");
		break;
	}
	case LS_EV_FLOW_END:
		put(&o, ",\"reason\":%u,\"pkts\":[%llu,%llu],\"bytes\":[%llu,%llu]", ev->u.end.reason,
		    (unsigned long long)ev->u.end.pkts[0], (unsigned long long)ev->u.end.pkts[1],
		    (unsigned long long)ev->u.end.bytes[0], (unsigned long long)ev->u.end.bytes[1]);
		break;
	case LS_EV_VERDICT_EXPIRED:
		put(&o, ",\"verdict\":%u,\"deadline_k\":%llu", ev->u.expired.verdict,
		    (unsigned long long)ev->u.expired.deadline_k);
		break;
	case LS_EV_FAILSAFE:
		put(&o, ",\"entered\":%s,\"last_beat_k\":%llu", ev->u.failsafe.entered ? "true" : "false",
		    (unsigned long long)ev->u.failsafe.last_beat_k);
		break;
	case LS_EV_BEAT:
		put(&o, ",\"seq\":%llu,\"fired_k\":%llu", (unsigned long long)ev->u.beat.seq,
		    (unsigned long long)ev->u.beat.fired_k);
		break;
	}
	put(&o, "}");
	return o.overflow ? -1 : (int)o.n;
}
