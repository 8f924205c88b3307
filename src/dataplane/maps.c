/* maps.c - reading and writing the data plane's maps: config, verdicts,
 * liveness (written by user space), flows and per-CPU counters (read). */
#include "dataplane/dp_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

static int map_err(struct ls_err *err, const char *what, int map)
{
	int rc = -errno;
	return ls_errf(err, rc, "%s map '%s': %s", what, ls_dp_map_names[map], strerror(-rc));
}

int ls_dp_config_read(struct ls_dp *dp, struct ls_config *cfg, struct ls_err *err)
{
	__u32 k = 0;
	if (bpf_map_lookup_elem(dp->map_fd[LS_MAP_CONFIG], &k, cfg))
		return map_err(err, "reading", LS_MAP_CONFIG);
	return 0;
}

int ls_dp_config_write(struct ls_dp *dp, const struct ls_config *cfg, struct ls_err *err)
{
	__u32 k = 0;
	if (bpf_map_update_elem(dp->map_fd[LS_MAP_CONFIG], &k, cfg, BPF_ANY))
		return map_err(err, "writing", LS_MAP_CONFIG);
	return 0;
}

int ls_dp_liveness_read(struct ls_dp *dp, struct ls_liveness *lv, struct ls_err *err)
{
	__u32 k = 0;
	if (bpf_map_lookup_elem(dp->map_fd[LS_MAP_LIVENESS], &k, lv))
		return map_err(err, "reading", LS_MAP_LIVENESS);
	return 0;
}

int ls_dp_liveness_write(struct ls_dp *dp, const struct ls_liveness *lv, struct ls_err *err)
{
	__u32 k = 0;
	if (bpf_map_update_elem(dp->map_fd[LS_MAP_LIVENESS], &k, lv, BPF_ANY))
		return map_err(err, "writing", LS_MAP_LIVENESS);
	return 0;
}

int ls_dp_verdict_set(struct ls_dp *dp, const struct ls_flow_key *key, uint32_t verdict,
		      uint64_t deadline_k, struct ls_err *err)
{
	if (!ls_verdict_valid(verdict))
		return ls_errf(err, -EINVAL, "verdict %#x is not pass, drop or reject", verdict);
	struct ls_verdict_rec rec = {
		.deadline_k = deadline_k,
		.set_k = ls_now_k(),
		.verdict = verdict,
	};
	if (bpf_map_update_elem(dp->map_fd[LS_MAP_VERDICTS], key, &rec, BPF_ANY))
		return map_err(err, "writing", LS_MAP_VERDICTS);
	ls_vgen_bump(dp->verdict_gen);
	return 0;
}

/* One by one, for the element a batch stopped at (its errno, then the rest
 * of the batch goes on) and for kernels without batch updates on hashes. */
static int verdict_write_one(struct ls_dp *dp, const struct ls_flow_key *key,
			     const struct ls_verdict_rec *rec, struct ls_err *err)
{
	if (!ls_verdict_valid(rec->verdict))
		return ls_errf(err, -EINVAL, "verdict %#x is not pass, drop or reject",
			       rec->verdict);
	if (bpf_map_update_elem(dp->map_fd[LS_MAP_VERDICTS], key, rec, BPF_ANY))
		return map_err(err, "writing", LS_MAP_VERDICTS);
	return 0;
}

int ls_dp_verdicts_write(struct ls_dp *dp, const struct ls_flow_key *keys,
			 struct ls_verdict_rec *recs, uint32_t n, int *rc, struct ls_err *err)
{
	uint64_t now = ls_now_k();
	uint32_t done = 0, written = 0;
	bool failed = false;

	for (uint32_t i = 0; i < n; i++)
		recs[i].set_k = now;
	while (done < n) {
		/* a batch stops before an invalid verdict: the kernel would
		 * store it as it is */
		uint32_t end = done;
		while (end < n && ls_verdict_valid(recs[end].verdict))
			end++;
		__u32 cnt = end - done;
		int batch_errno = 0;
		if (cnt && !dp->no_batch) {
			LIBBPF_OPTS(bpf_map_batch_opts, o, .elem_flags = BPF_ANY);
			if (bpf_map_update_batch(dp->map_fd[LS_MAP_VERDICTS], keys + done,
						 recs + done, &cnt, &o)) {
				batch_errno = errno;
				if (cnt > end - done)
					cnt = 0;
			}
		} else {
			cnt = 0;
		}
		for (uint32_t i = done; rc && i < done + cnt; i++)
			rc[i] = 0;
		written += cnt;
		done += cnt;
		if (done == n)
			break;
		/* element `done` stopped the batch, is invalid, or batches are
		 * off: write it alone, then go on after it */
		struct ls_err e1;
		int r1 = verdict_write_one(dp, &keys[done], &recs[done], &e1);
		if (r1 == 0 && cnt == 0 && batch_errno)
			dp->no_batch = true; /* no batch updates on this kernel's hashes */
		if (rc)
			rc[done] = r1;
		if (r1 == 0)
			written++;
		else if (!failed && err)
			*err = e1;
		failed = failed || r1;
		done++;
	}
	if (written)
		ls_vgen_bump(dp->verdict_gen); /* once for the batch, after it */
	return (int)written;
}

int ls_dp_verdict_del(struct ls_dp *dp, const struct ls_flow_key *key, struct ls_err *err)
{
	if (bpf_map_delete_elem(dp->map_fd[LS_MAP_VERDICTS], key)) {
		if (errno == ENOENT)
			return ls_errf(err, -ENOENT, "no verdict is set for that flow");
		return map_err(err, "deleting from", LS_MAP_VERDICTS);
	}
	ls_vgen_bump(dp->verdict_gen);
	return 0;
}

int ls_dp_verdict_get(struct ls_dp *dp, const struct ls_flow_key *key, struct ls_verdict_rec *rec,
		      struct ls_err *err)
{
	if (bpf_map_lookup_elem(dp->map_fd[LS_MAP_VERDICTS], key, rec)) {
		if (errno == ENOENT)
			return ls_errf(err, -ENOENT, "no verdict is set for that flow");
		return map_err(err, "reading", LS_MAP_VERDICTS);
	}
	return 0;
}

int ls_dp_flow_get(struct ls_dp *dp, const struct ls_flow_key *key, struct ls_flow *flow,
		   struct ls_err *err)
{
	/* a lookup from user space does not refresh the LRU's reference bit:
	 * looking does not keep a flow in the table */
	if (bpf_map_lookup_elem(dp->map_fd[LS_MAP_FLOWS], key, flow)) {
		if (errno == ENOENT)
			return ls_errf(err, -ENOENT, "no such flow in the flow table");
		return map_err(err, "reading", LS_MAP_FLOWS);
	}
	return 0;
}

int ls_dp_flows_foreach(struct ls_dp *dp, ls_dp_flow_fn fn, void *ctx, struct ls_err *err)
{
	struct ls_flow_key key, next;
	struct ls_flow flow;
	int fd = dp->map_fd[LS_MAP_FLOWS];
	void *prev = NULL;

	/* An LRU map changes under us: a key evicted between get_next and
	 * lookup is simply skipped. */
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &flow))
			continue;
		if (fn(ctx, &key, &flow))
			return 0;
	}
	if (errno != ENOENT)
		return map_err(err, "iterating", LS_MAP_FLOWS);
	return 0;
}

int ls_dp_counters_read(struct ls_dp *dp, uint64_t out[LS_CNT__MAX], struct ls_err *err)
{
	int n = dp->ncpus > 0 ? dp->ncpus : 1;
	__u64 *vals = calloc((size_t)n, sizeof(*vals));
	if (!vals)
		return ls_errf(err, -ENOMEM, "out of memory");
	for (__u32 i = 0; i < LS_CNT__MAX; i++) {
		out[i] = 0;
		if (bpf_map_lookup_elem(dp->map_fd[LS_MAP_COUNTERS], &i, vals)) {
			free(vals);
			return map_err(err, "reading", LS_MAP_COUNTERS);
		}
		for (int c = 0; c < n; c++)
			out[i] += vals[c];
	}
	free(vals);
	return 0;
}

const char *ls_counter_name(unsigned idx)
{
	static const char *const names[LS_CNT__MAX] = {
		[LS_CNT_PKTS] = "pkts",
		[LS_CNT_PASS] = "pass",
		[LS_CNT_DROP_VERDICT] = "drop_verdict",
		[LS_CNT_DROP_DEFAULT] = "drop_default",
		[LS_CNT_DROP_FAILSAFE] = "drop_failsafe",
		[LS_CNT_UNPARSED_ETH] = "unparsed_eth",
		[LS_CNT_UNPARSED_ETHERTYPE] = "unparsed_ethertype",
		[LS_CNT_UNPARSED_IPV4] = "unparsed_ipv4",
		[LS_CNT_UNPARSED_IPV6] = "unparsed_ipv6",
		[LS_CNT_UNPARSED_IPV6_EXT] = "unparsed_ipv6_ext",
		[LS_CNT_UNPARSED_L4] = "unparsed_l4",
		[LS_CNT_UNPARSED_PROTO] = "unparsed_proto",
		[LS_CNT_FRAGMENT] = "fragment",
		[LS_CNT_FLOW_NEW] = "flow_new",
		[LS_CNT_FLOW_END] = "flow_end",
		[LS_CNT_DPI_HTTP] = "dpi_http",
		[LS_CNT_DPI_TLS] = "dpi_tls",
		[LS_CNT_DPI_DNS] = "dpi_dns",
		[LS_CNT_DPI_MALFORMED] = "dpi_malformed",
		[LS_CNT_DPI_PARTIAL] = "dpi_partial",
		[LS_CNT_VERDICT_EXPIRED] = "verdict_expired",
		[LS_CNT_RINGBUF_FULL] = "ringbuf_full",
		[LS_CNT_FAILSAFE_ENTER] = "failsafe_enter",
		[LS_CNT_FAILSAFE_LEAVE] = "failsafe_leave",
		[LS_CNT_FAILSAFE_HONOURED] = "failsafe_honoured",
		[LS_CNT_BEAT] = "beat",
		[LS_CNT_FLOW_INSERT_FAIL] = "flow_insert_fail",
		[LS_CNT_STICKY_PASS] = "sticky_pass",
		[LS_CNT_FAILSAFE_DEFAULT] = "failsafe_default",
		[LS_CNT_DPI_NONE] = "dpi_none",
		[LS_CNT_HELD] = "held",
		[LS_CNT_HOLD_OVERFLOW] = "hold_overflow",
		[LS_CNT_HOLD_STALE] = "hold_stale",
		[LS_CNT_HOLD_HANDSHAKE] = "hold_handshake",
		[LS_CNT_REJECT_DNS] = "reject_dns",
		[LS_CNT_REJECT_TCP] = "reject_tcp",
		[LS_CNT_REJECT_ICMP] = "reject_icmp",
		[LS_CNT_REJECT_LIMITED] = "reject_limited",
		[LS_CNT_REJECT_NONE] = "reject_none",
		[LS_CNT_RULE_DNS] = "rule_dns",
		[LS_CNT_RULE_TLS] = "rule_tls",
		[LS_CNT_RULE_HTTP] = "rule_http",
		[LS_CNT_RULE_PREFIX] = "rule_prefix",
		[LS_CNT_RULE_EXPIRED] = "rule_expired",
		[LS_CNT_DPI_CUT] = "dpi_cut",
		[LS_CNT_ENCAP_LIMIT] = "encap_limit",
		[LS_CNT_ENCAP_MALFORMED] = "encap_malformed",
		[LS_CNT_TUNNELLED] = "tunnelled",
		[LS_CNT_DPI_HANDOFF] = "dpi_handoff",
	};
	return idx < LS_CNT__MAX ? names[idx] : NULL;
}
