/* metric_table.c - every metric family lockstep exports, in one table:
 * name, type, labels, HELP and the meaning docs/metrics.md gives it
 * (metric_table.h). The registrations (obs/hub.c, agent/hold.c,
 * agent/state_link.c) and the hand-written expositions (policy/policy.c,
 * agent/worker.c, obs/process.c) take their name, type and HELP from here,
 * and tests/tools/metrics_doc writes docs/metrics.md's tables from it
 * (scripts/metrics_doc.sh; tests/obs/metrics_doc.sh fails when they
 * differ). A family is added or renamed here, nowhere else. */
#include "obs/metric_table.h"

#include <string.h>

const struct ls_metric_def ls_metric_table[] = {
    {"events", "lockstep_events_total", LS_METRIC_COUNTER,
     "`kind`: flow_new, dpi_http, dpi_tls, dpi_dns, flow_end, verdict_expired, failsafe, beat, "
     "trace",
     "kernel events received from the ring buffer, by kind", "ring-buffer events received"},
    {"events", "lockstep_event_delivery_seconds", LS_METRIC_HISTOGRAM, "",
     "kernel event time to its receipt in user space",
     "event time `ts_k` to its receipt in user space"},
    {"events", "lockstep_ringbuf_lost_total", LS_METRIC_COUNTER, "",
     "events the kernel could not queue (ring buffer full)",
     "events the kernel could not queue (`bpf_ringbuf_reserve` failed)"},
    {"events", "lockstep_ringbuf_batch_events", LS_METRIC_GAUGE, "",
     "events handled in the last ring-buffer drain (queue depth)",
     "events handled in the last drain (queue depth)"},
    {"events", "lockstep_ringbuf_size_bytes", LS_METRIC_GAUGE, "",
     "size of the kernel's events ring buffer in effect",
     "size of the events ring buffer in effect (`--ringbuf-size`, or the pinned ring's when "
     "adopted)"},
    {"dataplane", "lockstep_packets_total", LS_METRIC_COUNTER,
     "`result`: pass, drop_verdict, drop_default, drop_failsafe, held, reject_tcp, reject_dns, "
     "reject_icmp, reject_none, reject_limited",
     "packets the data plane handled, by what it did with each (the results sum to every packet "
     "seen)",
     "every packet the XDP (and, with `--tc`, TC) program saw, by its one result: `pass`; dropped "
     "by a drop verdict (`drop_verdict`), the drop default (`drop_default`) or fail-closed "
     "fail-safe (`drop_failsafe`); handed to user space to hold (`held`); rejected with a TCP RST, "
     "a DNS answer or an ICMP unreachable (`reject_tcp`, `reject_dns`, `reject_icmp`), or dropped "
     "because the reject had no answer to give or was over its rate limit (`reject_none`, "
     "`reject_limited`). `sum()` is every packet (`lockstep counters`' `pkts`)"},
    {"dataplane", "lockstep_dataplane_unparsed_packets_total", LS_METRIC_COUNTER,
     "`reason`: eth, ethertype, ipv4, ipv6, ipv6_ext, l4, proto",
     "packets passed without a flow because they could not be parsed, by reason",
     "packets passed (in `result=\"pass\"`) without a flow: truncated Ethernet or too many VLAN "
     "tags, not IP (ARP …), a bad IPv4 or IPv6 header, an extension-header chain too long, a "
     "truncated TCP/UDP/ICMP header, another L4 protocol"},
    {"dataplane", "lockstep_dataplane_fragments_total", LS_METRIC_COUNTER, "",
     "non-first IP fragments passed (no L4 header to read)",
     "non-first fragments: no L4 header, passed"},
    {"dataplane", "lockstep_dataplane_tunnelled_packets_total", LS_METRIC_COUNTER, "",
     "packets parsed inside a tunnel",
     "packets parsed inside a tunnel (docs/dataplane.md, \"Encapsulations\")"},
    {"dataplane", "lockstep_dataplane_encap_errors_total", LS_METRIC_COUNTER,
     "`reason`: limit, malformed",
     "tunnel headers not descended into, by reason (the packet passed)",
     "encapsulations deeper or longer than the parser's limits (`limit`) or a truncated or invalid "
     "tunnel header (`malformed`): passed, never dropped"},
    {"dataplane", "lockstep_dataplane_flows_created_total", LS_METRIC_COUNTER, "",
     "flows added to the flow table (FLOW_NEW)",
     "flows the kernel recorded (each announced by a `flow_new` event)"},
    {"dataplane", "lockstep_dataplane_flows_ended_total", LS_METRIC_COUNTER, "",
     "flows whose end the kernel saw (FIN, RST or idle)", "flows ended (`flow_end` events)"},
    {"dataplane", "lockstep_dataplane_flow_insert_failures_total", LS_METRIC_COUNTER, "",
     "flow table updates that failed (the packet passed)",
     "flow table updates that failed: the packet passed untracked"},
    {"dataplane", "lockstep_dataplane_sticky_passes_total", LS_METRIC_COUNTER, "",
     "packets of undecided flows that kept passing because the flow had passed",
     "packets of an undecided flow that passed because the flow had passed before (expiry "
     "`sticky`: an expired verdict never cuts a live connection)"},
    {"dataplane", "lockstep_dataplane_dpi_results_total", LS_METRIC_COUNTER,
     "`protocol`: http, tls, dns", "payload inspections that found a request or name, by protocol",
     "DPI results reported (one per HTTP request, TLS ClientHello, DNS question)"},
    {"dataplane", "lockstep_dataplane_dpi_inconclusive_total", LS_METRIC_COUNTER,
     "`reason`: none, malformed, partial", "payload inspections that reported nothing, by reason",
     "inspected payloads that matched no protocol (`none`), looked like one but were bad inside "
     "(`malformed`), or continued past the packet (`partial`: a ClientHello or header block split "
     "across segments)"},
    {"dataplane", "lockstep_dataplane_dpi_cut_total", LS_METRIC_COUNTER, "",
     "DNS questions or pipelined HTTP requests past those inspected",
     "messages with more DNS questions or pipelined HTTP requests than are inspected: the rest is "
     "not reported"},
    {"dataplane", "lockstep_dataplane_dpi_handoffs_total", LS_METRIC_COUNTER, "",
     "payloads handed to user-space DPI (QUIC Initial, HTTP/2)",
     "payloads handed to user-space DPI (QUIC Initial, HTTP/2: docs/dataplane.md)"},
    {"dataplane", "lockstep_dataplane_verdicts_expired_total", LS_METRIC_COUNTER, "",
     "verdicts the kernel found past their deadline",
     "verdicts past their deadline when a packet met them (each a `verdict_expired` event)"},
    {"dataplane", "lockstep_dataplane_failsafe_transitions_total", LS_METRIC_COUNTER,
     "`direction`: enter, leave", "fail-safe transitions the kernel made, by direction",
     "the kernel's fail-safe transitions (kept in the pinned maps: they count across agent "
     "restarts, unlike `lockstep_failsafe_transitions_total`)"},
    {"dataplane", "lockstep_dataplane_failsafe_honoured_total", LS_METRIC_COUNTER, "",
     "expired verdicts honoured because the data plane was in fail-safe",
     "packets whose expired verdict was honoured because the data plane was in fail-safe"},
    {"dataplane", "lockstep_dataplane_failsafe_defaults_total", LS_METRIC_COUNTER, "",
     "packets of undecided flows given the fail-safe verdict",
     "packets of undecided flows given the fail-safe verdict"},
    {"dataplane", "lockstep_dataplane_beats_total", LS_METRIC_COUNTER, "",
     "heartbeat timer firings in the kernel", "the kernel heartbeat's timer firings"},
    {"dataplane", "lockstep_dataplane_hold_overflows_total", LS_METRIC_COUNTER, "",
     "packets that could not be held (per-flow limit, frame size, slot taken)",
     "packets that could not be held (the per-flow limit, the frame size, the slot taken): the "
     "hold fallback applied"},
    {"dataplane", "lockstep_dataplane_hold_stale_total", LS_METRIC_COUNTER, "",
     "abandoned holds the kernel closed", "holds the kernel found abandoned and closed"},
    {"dataplane", "lockstep_dataplane_hold_handshake_passes_total", LS_METRIC_COUNTER, "",
     "payload-less TCP packets of undecided flows passed under hold",
     "payload-less TCP packets (the handshake) of an undecided flow passed under hold"},
    {"dataplane", "lockstep_dataplane_rule_decisions_total", LS_METRIC_COUNTER,
     "`rule`: dns, tls, http, prefix", "flows decided by a kernel rule, by the rule's kind",
     "flows decided in the kernel by a rule (docs/abi.md, \"Kernel rules\"): a DNS name, a TLS "
     "SNI, an HTTP Host, a client or server prefix"},
    {"dataplane", "lockstep_dataplane_rules_expired_total", LS_METRIC_COUNTER, "",
     "matching kernel rules ignored because past their deadline",
     "matching rules past their deadline: ignored"},
    {"verdicts", "lockstep_verdicts_total", LS_METRIC_COUNTER, "`verdict`: pass, drop, reject",
     "verdicts written to the data plane, by verdict",
     "verdicts written to the data plane (decisions and TTL refreshes)"},
    {"verdicts", "lockstep_verdict_write_errors_total", LS_METRIC_COUNTER, "",
     "verdict map updates that failed", "verdict map updates that failed"},
    {"verdicts", "lockstep_verdict_latency_seconds", LS_METRIC_HISTOGRAM, "",
     "kernel event time to its verdict written in the map",
     "kernel event time to its verdict written in the map (only verdicts written while the guest "
     "handled that flow's event; refreshes from `on_tick` have no event)"},
    {"verdicts", "lockstep_event_to_guest_seconds", LS_METRIC_HISTOGRAM, "",
     "kernel event time to the guest call that handles it",
     "kernel event time to the start of the guest call that handles it (the queueing a lagging "
     "policy side adds)"},
    {"verdicts", "lockstep_policy_call_seconds", LS_METRIC_HISTOGRAM, "`call`: dispatch, tick",
     "time in the guest per host call, by call",
     "time in the guest per host call: a batch of events, or one event with `--trace-level 0,1`; "
     "its `_count` counts the calls"},
    {"policy", "lockstep_policy_events_total", LS_METRIC_COUNTER, "",
     "kernel events dispatched to the policy", "kernel events dispatched to the policy"},
    {"policy", "lockstep_policy_calls_total", LS_METRIC_COUNTER, "", "guest callbacks made",
     "guest callbacks made"},
    {"policy", "lockstep_policy_failures_total", LS_METRIC_COUNTER, "`kind`: trap, fuel, init",
     "guest failures by kind",
     "guest failures by kind: traps and fuel exhaustions (the storms' alarms count these), refused "
     "inits"},
    {"policy", "lockstep_policy_verdicts_total", LS_METRIC_COUNTER, "`source`: guest, default",
     "verdicts written", "verdicts written, by the guest or by the default while it was unhealthy"},
    {"policy", "lockstep_policy_restarts_total", LS_METRIC_COUNTER, "", "guest instances recreated",
     "guest instances recreated after a failure"},
    {"policy", "lockstep_policy_reloads_total", LS_METRIC_COUNTER, "`result`: ok, refused",
     "policy reloads by result", "policy reloads (`lockstep reload`, SIGHUP)"},
    {"policy", "lockstep_policy_abi_errors_total", LS_METRIC_COUNTER, "`error`: bounds, handle",
     "guest import calls refused",
     "guest import calls refused (a pointer out of bounds, a stale handle)"},
    {"policy", "lockstep_policy_healthy", LS_METRIC_GAUGE, "",
     "1 while the policy side is healthy: beats count as good (docs/clock.md)",
     "1 while the policy side is healthy by the heartbeat's rule — the one that decides whether a "
     "beat is good (docs/clock.md, \"What makes a beat good\"): an instance runs, its last "
     "`on_tick` and its last dispatch returned, its tick is not overdue. Evaluated at the scrape; "
     "0 also while an instance runs but, e.g., every tick burns its fuel"},
    {"policy", "lockstep_policy_unhealthy", LS_METRIC_GAUGE,
     "`reason`: no_module, backoff, tick_trapped, tick_out_of_fuel, tick_overdue, "
     "dispatch_trapped, dispatch_out_of_fuel",
     "1 for the reason the policy side is unhealthy, 0 for the others",
     "1 for the reason the rule fails (one at a time, the first row of the rule's table that "
     "applies), 0 for the others; all 0 while healthy. `lockstep status` gives the same reason and "
     "a phrase"},
    {"policy", "lockstep_policy_flows", LS_METRIC_GAUGE, "", "flows the policy knows",
     "flows the policy knows (until their `flow_end`)"},
    {"policy", "lockstep_policy_guest_series", LS_METRIC_GAUGE, "",
     "labelled series of the guest's metrics (all workers)",
     "labelled series the guest's metrics hold now, summed over the workers (each instance holds "
     "at most 4,000, 1,000 per metric: docs/abi.md, \"Labels\")"},
    {"policy", "lockstep_policy_guest_series_dropped_total", LS_METRIC_COUNTER, "",
     "guest metric updates refused because a new series was over a cap",
     "guest metric updates refused with `E_FULL` because they would have created a labelled "
     "series past a cap (1,000 per metric, 4,000 per instance): the guest's label values are "
     "unbounded (a client address, a path); nothing was allocated"},
    {"policy", "lockstep_guest_<name>", LS_METRIC_ANY,
     "the guest's (gauges with N workers: also `worker`)",
     "a metric the guest defined (docs/abi.md)",
     "metrics the guest defines through the ABI, with the label names it declared (a counter gets "
     "`_total` if its name lacks it); with N workers merged over the instances, per label set, "
     "below"},
    {"heartbeat", "lockstep_heartbeat_beats_total", LS_METRIC_COUNTER, "",
     "kernel heartbeats handled", "beats handled"},
    {"heartbeat", "lockstep_heartbeat_missed_total", LS_METRIC_COUNTER, "",
     "kernel heartbeats never seen (sequence gaps)", "beats never seen (sequence gaps)"},
    {"heartbeat", "lockstep_heartbeat_unhealthy_total", LS_METRIC_COUNTER, "",
     "beats not recorded as good because the policy side was unhealthy",
     "beats not recorded as good because the policy side was unhealthy (`ls_policy_health`, "
     "docs/clock.md \"What makes a beat good\")"},
    {"heartbeat", "lockstep_heartbeat_round_trip_seconds", LS_METRIC_HISTOGRAM, "",
     "guest -> kernel -> guest ping round trip (kept sample)",
     "guest → kernel → guest ping round trip (the kept, minimum-delay sample of each beat)"},
    {"heartbeat", "lockstep_heartbeat_delivery_seconds", LS_METRIC_HISTOGRAM, "",
     "beat fire time to its receipt in user space", "beat fire time to receipt in user space"},
    {"heartbeat", "lockstep_heartbeat_observed_interval_seconds", LS_METRIC_GAUGE, "",
     "beat interval the agent observed", "the beat interval observed between the last two beats"},
    {"heartbeat", "lockstep_heartbeat_interval_seconds", LS_METRIC_GAUGE, "",
     "beat interval configured", "the beat interval configured (`--beat-interval`)"},
    {"heartbeat", "lockstep_clock_offset_seconds", LS_METRIC_GAUGE, "",
     "estimated offset G - K of the guest clock", "estimated offset G − K"},
    {"heartbeat", "lockstep_clock_rate_ratio", LS_METRIC_GAUGE, "",
     "estimated rate error r of G = (1 + r) K + offset",
     "estimated rate error r of G = (1 + r)·K + θ (1e-6 = 1 ppm)"},
    {"heartbeat", "lockstep_clock_rate_uncertainty_ratio", LS_METRIC_GAUGE, "",
     "bound on the error of the rate estimate", "bound on the rate's error"},
    {"heartbeat", "lockstep_clock_uncertainty_seconds", LS_METRIC_GAUGE, "",
     "uncertainty of the mapping at the last beat",
     "uncertainty ε of the mapping at the last beat"},
    {"heartbeat", "lockstep_clock_steps_total", LS_METRIC_COUNTER, "",
     "steps of the guest clock detected", "steps of the guest clock detected"},
    {"agent", "lockstep_failsafe_active", LS_METRIC_GAUGE, "",
     "1 while the data plane is in fail-safe", "1 while the data plane is in fail-safe"},
    {"agent", "lockstep_failsafe_transitions_total", LS_METRIC_COUNTER, "`direction`: enter, leave",
     "fail-safe transitions, by direction", "fail-safe transitions"},
    {"agent", "lockstep_alarms_total", LS_METRIC_COUNTER,
     "`kind`: beat_interval, offset, offset_jump, rate, verdict_latency, early_expiry, "
     "ringbuf_loss, trap_storm, fuel_storm, failsafe, output_write",
     "alarms raised by the detectors, by kind", "alarms raised (docs/observability.md)"},
    {"agent", "lockstep_alarm_active", LS_METRIC_GAUGE, "`kind`",
     "1 while an alarm of this kind is open",
     "1 while an alarm of that kind is open (until `clear` passes without a new one)"},
    {"agent", "lockstep_pass_expiries_total", LS_METRIC_COUNTER,
     "`judged`: early, idle, ended, reused, unknown, unanswered",
     "pass verdicts that expired, by the early-expiry detector's judgement",
     "pass verdicts that expired, by what the early-expiry detector made of them: `early` (the "
     "flow was open across its deadline: the alarm), `idle` (the packet that found it came more "
     "than `active` after the deadline), `ended` (its end came first), `reused` (a new connection "
     "on the 5-tuple found the previous one's lease), `unknown` (its records were gone: not "
     "judged; docs/observability.md), `unanswered` (with `--tc`, the flow table says it never had "
     "a packet back: a SYN nobody answered, one-way UDP; no connection to hurt)"},
    {"agent", "lockstep_log_lines_total", LS_METRIC_COUNTER, "", "structured log lines written",
     "structured log lines written"},
    {"agent", "lockstep_output_write_errors_total", LS_METRIC_COUNTER, "`file`: log, trace",
     "writes to an output file that failed (ENOSPC, EIO ...): log lines lost, trace dumps not "
     "written",
     "writes to an output file that failed (ENOSPC, EIO, EBADF ...): for `log`, lines lost (a line "
     "that cannot be written whole is cut back out, never left half); for `trace`, dumps not "
     "written. The failure is said once until writes work again (the log's on stderr, "
     "`log_write_error`; the trace's in the log, `trace_write_error`), the recovery once "
     "(`log_write_recovered` with the lines lost, `trace_write_recovered`), and raises the "
     "`output_write` alarm"},
    {"agent", "lockstep_log_suppressed_total", LS_METRIC_COUNTER, "",
     "log lines dropped by the per-kind rate limit", "log lines dropped by the rate limit"},
    {"agent", "lockstep_trace_records", LS_METRIC_GAUGE, "", "trace records held in the ring",
     "trace records in the ring"},
    {"agent", "lockstep_trace_kernel_level", LS_METRIC_GAUGE, "",
     "kernel per-packet trace level (0 or 1)",
     "current kernel trace level (`--trace-level K,G`, `lockstep trace level`)"},
    {"agent", "lockstep_trace_guest_level", LS_METRIC_GAUGE, "",
     "guest per-call trace level (0 or 1)", "current guest trace level"},
    {"agent", "lockstep_metrics_scrapes_total", LS_METRIC_COUNTER, "", "scrapes of this endpoint",
     "scrapes of the endpoint"},
    {"agent", "lockstep_metrics_connections_cut_total", LS_METRIC_COUNTER, "",
     "connections to this endpoint shut down without a complete request in 3 s, or to make room "
     "for a newcomer (slow clients)",
     "connections to the endpoint shut down without a complete request within 3 s of connecting "
     "(or of their last answer), or to make room for a newcomer once 48 are open: slow clients "
     "(docs/observability.md)"},
    {"agent", "lockstep_metrics_dropped_total", LS_METRIC_COUNTER, "",
     "metric updates refused because a family had no room for another label value",
     "updates refused because a family ran out of label values (48 per family; never expected)"},
    {"process", "lockstep_build_info", LS_METRIC_GAUGE, "`version`, `commit`, `wire`, `abi`",
     "Always 1; the labels say which lockstep is running.",
     "always 1; the labels are `lockstep --version`'s: the release (VERSION), the git commit built "
     "(`-dirty` for a modified tree), the wire format and the guest ABI versions"},
    {"process", "process_cpu_seconds_total", LS_METRIC_COUNTER, "",
     "Total user and system CPU time spent in seconds.", "user and system CPU time of the agent"},
    {"process", "process_resident_memory_bytes", LS_METRIC_GAUGE, "",
     "Resident memory size in bytes.", "resident memory"},
    {"process", "process_virtual_memory_bytes", LS_METRIC_GAUGE, "",
     "Virtual memory size in bytes.", "virtual memory"},
    {"process", "process_open_fds", LS_METRIC_GAUGE, "", "Number of open file descriptors.",
     "open file descriptors (maps, rings, sockets, the policy's files)"},
    {"process", "process_max_fds", LS_METRIC_GAUGE, "", "Maximum number of open file descriptors.",
     "the descriptor limit (`RLIMIT_NOFILE`); absent when unlimited"},
    {"process", "process_start_time_seconds", LS_METRIC_GAUGE, "",
     "Start time of the process since unix epoch in seconds.",
     "when the agent started, Unix time: a restart shows as a step"},
    {"hold", "lockstep_hold_held_total", LS_METRIC_COUNTER, "",
     "packets received from the kernel to hold", "packets received from the kernel to hold"},
    {"hold", "lockstep_hold_released_total", LS_METRIC_COUNTER, "",
     "held packets re-injected after a pass",
     "held packets re-injected after a pass (or the pass fallback)"},
    {"hold", "lockstep_hold_dropped_total", LS_METRIC_COUNTER, "",
     "held packets dropped after a drop verdict or fallback",
     "held packets dropped after a drop verdict (or the drop fallback)"},
    {"hold", "lockstep_hold_overflow_total", LS_METRIC_COUNTER, "",
     "packets over the byte limit: the fallback at once",
     "packets over `--hold-max-bytes`: the fallback at once"},
    {"hold", "lockstep_hold_timeout_total", LS_METRIC_COUNTER, "",
     "holds that reached the hold timeout",
     "holds that reached `--hold-timeout` (also a `hold_timeout` log line)"},
    {"hold", "lockstep_hold_reinject_errors_total", LS_METRIC_COUNTER, "",
     "held packets the kernel refused to re-inject",
     "held packets the kernel refused to re-inject"},
    {"hold", "lockstep_hold_flows", LS_METRIC_GAUGE, "", "holds open now", "what is held now"},
    {"hold", "lockstep_hold_packets", LS_METRIC_GAUGE, "", "packets held now", "what is held now"},
    {"hold", "lockstep_hold_bytes", LS_METRIC_GAUGE, "", "bytes held now", "what is held now"},
    {"hold", "lockstep_hold_seconds", LS_METRIC_HISTOGRAM, "`verdict`: pass, drop",
     "time a packet was held, by its fate", "time a packet was held, by its fate (`pass`, `drop`)"},
    {"state", "lockstep_state_writes_total", LS_METRIC_COUNTER, "",
     "state file writes (the key-value store, --state-dir)",
     "writes of `DIR/kv.state`, the guests' key-value store (each second it changed, and on a "
     "clean stop: docs/abi.md)"},
    {"state", "lockstep_state_write_errors_total", LS_METRIC_COUNTER, "",
     "state file writes that failed (the store stays in memory; tried again each second)",
     "writes of the state file that failed: the store stays in memory and is tried again each "
     "second; the failure and the recovery are said once on stderr"},
    {"workers", "lockstep_worker_ring_events_total", LS_METRIC_COUNTER, "`worker`",
     "records the worker drained from its ring",
     "records the worker drained from its ring (its shard's events)"},
    {"workers", "lockstep_worker_calls_total", LS_METRIC_COUNTER, "`worker`",
     "guest callbacks the worker made", "guest callbacks the worker made"},
    {"workers", "lockstep_worker_verdicts_total", LS_METRIC_COUNTER, "`worker`",
     "verdicts the worker's guest wrote", "verdicts the worker's guest wrote"},
    {"workers", "lockstep_worker_restarts_total", LS_METRIC_COUNTER, "`worker`",
     "the worker's guest instance recreated after a failure",
     "the worker's guest instance recreated after a trap or fuel stop"},
    {"workers", "lockstep_worker_healthy", LS_METRIC_GAUGE, "`worker`",
     "1 while the worker's policy is healthy",
     "1 while the worker's policy is healthy (the rule of `lockstep_policy_healthy`, for its "
     "instance)"},
    {"workers", "lockstep_worker_live", LS_METRIC_GAUGE, "`worker`",
     "1 while the heartbeat publishes the worker's sign of life to its shard",
     "1 while the heartbeat publishes the worker's sign of life to its shard (0: a batch or tick "
     "that has lasted over 1.5 tick intervals, or an unhealthy policy; its shard fails safe after "
     "the detect timeout)"},
    {"workers", "lockstep_worker_flows", LS_METRIC_GAUGE, "`worker`",
     "flows the worker's policy knows", "flows the worker's policy knows"},
    {"workers", "lockstep_worker_failsafe", LS_METRIC_GAUGE, "`worker`",
     "1 while the worker's shard is in fail-safe",
     "1 while the worker's shard is in fail-safe in the kernel (`shard_live`); the whole data "
     "plane's is `lockstep_failsafe_active`"},
    {"workers", "lockstep_worker_failsafe_transitions_total", LS_METRIC_COUNTER,
     "`worker`, `direction`: enter, leave",
     "the worker's shard entering and leaving fail-safe (kernel)",
     "the worker's shard entering and leaving fail-safe (kernel counts, which live in the pinned "
     "map)"},
    {"workers", "lockstep_worker_failsafe_default_total", LS_METRIC_COUNTER, "`worker`",
     "packets of the worker's shard's undecided flows given the fail-safe verdict (kernel)",
     "packets of the shard's undecided flows given the fail-safe verdict (kernel count; also in "
     "`lockstep_dataplane_total{counter=\"failsafe_default\"}`)"},
    {"workers", "lockstep_worker_wakeups_total", LS_METRIC_COUNTER, "`worker`",
     "times the worker woke from epoll for its ring",
     "times the worker woke from epoll for its ring (docs/workers.md, \"Wake-ups\")"},
    {"workers", "lockstep_worker_stolen_batches_total", LS_METRIC_COUNTER, "`worker`",
     "batches of the worker's ring another worker drained (its thread ready but not running)",
     "batches of the worker's ring that another worker drained because its records had waited "
     "100 us undrained: the worker's thread was ready but not running (docs/workers.md, "
     "\"Stealing\")"},
    {"workers", "lockstep_worker_busy_polls_total", LS_METRIC_COUNTER,
     "`worker`, `result`: hit, miss, yield, backoff, pressure",
     "busy-poll windows after a batch, by whether records came within the window (hit: drained "
     "without sleeping), none came (miss) or the worker lost its CPU while polling (yield); "
     "backoff, pressure: wake-ups that did not poll, after a yield or while the CPUs were "
     "contended",
     "busy-poll windows after a batch: hit, records came within the window and were drained "
     "without sleeping; miss, none came and the worker slept (its window then halves); yield, "
     "the worker lost its CPU to another task while polling and slept (it then skips its next "
     "8, 16, ... up to 1024 windows while that repeats); backoff, a wake-up that did not poll "
     "because of such a yield; pressure, a wake-up that did not poll because the host's CPU "
     "pressure (/proc/pressure/cpu, some) was over 5% in its last 100 ms"},
};

const int ls_metric_table_n = sizeof(ls_metric_table) / sizeof(ls_metric_table[0]);

#define P "lockstep_packets_total", "result"
#define U "lockstep_dataplane_unparsed_packets_total", "reason"
#define DR "lockstep_dataplane_dpi_results_total", "protocol"
#define DI "lockstep_dataplane_dpi_inconclusive_total", "reason"
#define RD "lockstep_dataplane_rule_decisions_total", "rule"
#define ONE(f) "lockstep_dataplane_" f, NULL, NULL
const struct ls_dp_counter_metric ls_dp_counter_metrics[LS_CNT__MAX] = {
    [LS_CNT_PASS] = {P, "pass"},
    [LS_CNT_DROP_VERDICT] = {P, "drop_verdict"},
    [LS_CNT_DROP_DEFAULT] = {P, "drop_default"},
    [LS_CNT_DROP_FAILSAFE] = {P, "drop_failsafe"},
    [LS_CNT_HELD] = {P, "held"},
    [LS_CNT_REJECT_TCP] = {P, "reject_tcp"},
    [LS_CNT_REJECT_DNS] = {P, "reject_dns"},
    [LS_CNT_REJECT_ICMP] = {P, "reject_icmp"},
    [LS_CNT_REJECT_NONE] = {P, "reject_none"},
    [LS_CNT_REJECT_LIMITED] = {P, "reject_limited"},
    [LS_CNT_UNPARSED_ETH] = {U, "eth"},
    [LS_CNT_UNPARSED_ETHERTYPE] = {U, "ethertype"},
    [LS_CNT_UNPARSED_IPV4] = {U, "ipv4"},
    [LS_CNT_UNPARSED_IPV6] = {U, "ipv6"},
    [LS_CNT_UNPARSED_IPV6_EXT] = {U, "ipv6_ext"},
    [LS_CNT_UNPARSED_L4] = {U, "l4"},
    [LS_CNT_UNPARSED_PROTO] = {U, "proto"},
    [LS_CNT_FRAGMENT] = {ONE("fragments_total")},
    [LS_CNT_TUNNELLED] = {ONE("tunnelled_packets_total")},
    [LS_CNT_ENCAP_LIMIT] = {"lockstep_dataplane_encap_errors_total", "reason", "limit"},
    [LS_CNT_ENCAP_MALFORMED] = {"lockstep_dataplane_encap_errors_total", "reason", "malformed"},
    [LS_CNT_FLOW_NEW] = {ONE("flows_created_total")},
    [LS_CNT_FLOW_END] = {ONE("flows_ended_total")},
    [LS_CNT_FLOW_INSERT_FAIL] = {ONE("flow_insert_failures_total")},
    [LS_CNT_STICKY_PASS] = {ONE("sticky_passes_total")},
    [LS_CNT_DPI_HTTP] = {DR, "http"},
    [LS_CNT_DPI_TLS] = {DR, "tls"},
    [LS_CNT_DPI_DNS] = {DR, "dns"},
    [LS_CNT_DPI_NONE] = {DI, "none"},
    [LS_CNT_DPI_MALFORMED] = {DI, "malformed"},
    [LS_CNT_DPI_PARTIAL] = {DI, "partial"},
    [LS_CNT_DPI_CUT] = {ONE("dpi_cut_total")},
    [LS_CNT_DPI_HANDOFF] = {ONE("dpi_handoffs_total")},
    [LS_CNT_VERDICT_EXPIRED] = {ONE("verdicts_expired_total")},
    [LS_CNT_FAILSAFE_ENTER] = {"lockstep_dataplane_failsafe_transitions_total", "direction",
			       "enter"},
    [LS_CNT_FAILSAFE_LEAVE] = {"lockstep_dataplane_failsafe_transitions_total", "direction",
			       "leave"},
    [LS_CNT_FAILSAFE_HONOURED] = {ONE("failsafe_honoured_total")},
    [LS_CNT_FAILSAFE_DEFAULT] = {ONE("failsafe_defaults_total")},
    [LS_CNT_BEAT] = {ONE("beats_total")},
    [LS_CNT_HOLD_OVERFLOW] = {ONE("hold_overflows_total")},
    [LS_CNT_HOLD_STALE] = {ONE("hold_stale_total")},
    [LS_CNT_HOLD_HANDSHAKE] = {ONE("hold_handshake_passes_total")},
    [LS_CNT_RULE_DNS] = {RD, "dns"},
    [LS_CNT_RULE_TLS] = {RD, "tls"},
    [LS_CNT_RULE_HTTP] = {RD, "http"},
    [LS_CNT_RULE_PREFIX] = {RD, "prefix"},
    [LS_CNT_RULE_EXPIRED] = {ONE("rules_expired_total")},
};
#undef P
#undef U
#undef DR
#undef DI
#undef RD
#undef ONE

const struct ls_metric_def *ls_metric_def(const char *name)
{
	for (int i = 0; i < ls_metric_table_n; i++)
		if (!strcmp(ls_metric_table[i].name, name))
			return &ls_metric_table[i];
	return NULL;
}

const char *ls_metric_def_label_names(const struct ls_metric_def *d, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = 0;
	const char *p = d->labels, *colon = strchr(p, ':');
	while ((p = strchr(p, '`')) && (!colon || p < colon)) {
		const char *e = strchr(p + 1, '`');
		if (!e)
			break;
		int w = snprintf(buf + n, len - n, "%s%.*s", n ? "," : "", (int)(e - p - 1), p + 1);
		if (w < 0 || (size_t)w >= len - n)
			break;
		n += (size_t)w;
		p = e + 1;
	}
	return buf;
}

struct ls_metric *ls_metric_std(struct ls_metrics *reg, const char *name, const double *bounds,
				int nbounds)
{
	const struct ls_metric_def *d = ls_metric_def(name);
	char label[64];
	if (!d || d->type == LS_METRIC_ANY)
		return NULL;
	ls_metric_def_label_names(d, label, sizeof(label));
	const char *l = label[0] ? label : NULL;
	switch (d->type) {
	case LS_METRIC_COUNTER:
		return ls_metric_counter(reg, name, d->help, l);
	case LS_METRIC_GAUGE:
		return ls_metric_gauge(reg, name, d->help, l);
	default:
		if (!bounds) {
			bounds = ls_metric_latency_buckets;
			nbounds = ls_metric_latency_nbuckets;
		}
		return ls_metric_histogram(reg, name, d->help, l, bounds, nbounds);
	}
}

void ls_metric_head(FILE *f, const char *name)
{
	static const char *const types[] = {"counter", "gauge", "histogram", "untyped"};
	const struct ls_metric_def *d = ls_metric_def(name);
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, d ? d->help : "", name,
		types[d ? d->type : LS_METRIC_ANY]);
}
