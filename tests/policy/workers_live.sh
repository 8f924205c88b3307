#!/usr/bin/env bash
# workers_live.sh - N policy workers (docs/workers.md) on the real data
# plane in network namespaces: `lockstep run --workers 2` with a guest that
# checks, inside each instance, that every callback of a flow reaches the
# instance that saw the flow start, and in order (guests/shardcheck.c).
#
# 40 HTTP requests, each from its own client port (a flow each). The
# workers each flow lands on are computed here again, in Python, from the
# hash docs/workers.md specifies (FNV-1a 32 of the canonical 5-tuple, times
# n, the high 32 bits): the two instances must have seen exactly those
# numbers of flows start, no callback for a flow they did not see start
# ("orphan") and none after its end ("late"); and the events the agent
# prints must come, per flow, as flow_new first and flow_end last.
set -uo pipefail
. "$(dirname "$0")/lib/policy.sh"
policy_init pwork
nginx_start || bail "nginx did not start"
SC=$LS_ROOT/build/guests/test/shardcheck.wasm
[ -f "$SC" ] || bail "$SC not built (make guests)"

if agent_start a1 --tc --workers 2 --policy "$SC" --tick-interval 200ms; then
	ok "agent runs with --workers 2"
else
	not_ok "agent runs with --workers 2"; diag "$TMP/a1.err"; exit 1
fi
check "  it says so" grep -q '2 policy workers, flows sharded by flow' "$TMP/a1.err"

P0=41000 N=40
for i in $(seq 0 $((N - 1))); do
	fetch "r$i" "http://$S4/" -H 'Host: w.test' --local-port $((P0 + i)) || echo "fetch $i failed" >>"$TMP/fetch.err"
done
check "$N HTTP requests answered, each from its own port" test ! -s "$TMP/fetch.err"

# the last "shardcheck" line of each instance: "ID NEW DPI END ORPHAN LATE"
last_counts() {
	sed -n 's/.*"msg":"shardcheck id=\([0-9]*\) new=\([0-9]*\) dpi=\([0-9]*\) end=\([0-9]*\) orphan=\([0-9]*\) late=\([0-9]*\)".*/\1 \2 \3 \4 \5 \6/p' \
		"$TMP/a1.err" | awk '{ last[$1] = $0 } END { for (k in last) print last[k] }' | sort
}
ends_seen() { [ "$(last_counts | awk '{ s += $4 } END { print s + 0 }')" -ge $N ]; }
check "every flow's end reached a guest" wait_for 15 ends_seen
last_counts >"$TMP/counts"
sed 's/^/# instance id new dpi end orphan late: /' "$TMP/counts"

# which worker each flow goes to, from docs/workers.md (not from lockstep)
python3 - "$C4" "$S4" $P0 $N 2 >"$TMP/expect" <<'PY'
import ipaddress, sys
c, s, p0, n, workers = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
def mapped(a): return b"\0" * 10 + b"\xff\xff" + ipaddress.IPv4Address(a).packed
def fnv1a(b):
    h = 2166136261
    for x in b: h = ((h ^ x) * 16777619) & 0xffffffff
    return h
per = [0] * workers
for port in range(p0, p0 + n):
    a, b = (mapped(c), port), (mapped(s), 80)
    lo, hi = (a, b) if (a[0], a[1]) <= (b[0], b[1]) else (b, a)
    key = lo[0] + hi[0] + lo[1].to_bytes(2, "big") + hi[1].to_bytes(2, "big") + bytes([6])
    per[(fnv1a(key) * workers) >> 32] += 1
print(" ".join(str(x) for x in sorted(per)))
PY
check "two instances reported (one per worker)" test "$(wc -l <"$TMP/counts")" -eq 2
got=$(awk '{ print $2 }' "$TMP/counts" | sort -n | tr '\n' ' ' | sed 's/ $//')
check "flows started per instance are the hash's split ($got; expected $(cat "$TMP/expect"))" \
	test "$got" = "$(cat "$TMP/expect")"
check "no callback reached an instance that did not see its flow start" \
	test "$(awk '{ s += $5 } END { print s + 0 }' "$TMP/counts")" -eq 0
check "no callback after a flow's end" test "$(awk '{ s += $6 } END { print s + 0 }' "$TMP/counts")" -eq 0
check "every flow's HTTP request reached a guest as DPI" \
	test "$(awk '{ s += $3 } END { print s + 0 }' "$TMP/counts")" -ge $N

# per flow, the events as printed: flow_new first, flow_end last
check "events printed in order per flow (flow_new first, flow_end last)" jq -e -n -R \
	--argjson p0 $P0 --argjson n $N '[inputs | fromjson? // empty] as $e
	| [$e[] | select(.event == "flow_new" and .sport >= $p0 and .sport < $p0 + $n) | .flow_id] as $ids
	| ($ids | length) == $n and all($ids[]; . as $id
		| [$e[] | select(.flow_id == $id and (.event == "flow_new" or .event == "dpi" or .event == "flow_end")) | .event] as $k
		| $k[0] == "flow_new" and $k[-1] == "flow_end" and ($k | map(select(. == "flow_new")) | length) == 1)' \
	"$TMP/a1.json"
check "every flow got the guest's pass verdict" bash -c "[ \$(grep -c '\"event\":\"verdict\".*\"verdict\":\"pass\"' '$TMP/a1.json') -ge $N ]"

ring_events() { policy_status "$TMP/st.json" && jq '[.workers[].ring_events] | add' "$TMP/st.json"; }
# A trickle of new flows, each alone, 0-1.5 ms apart: every one finds its
# worker asleep, about to sleep or still awake, over and over -- where a
# wake-up the kernel skips for an awake worker (shard_live.awake,
# bpf/shard.h) could strand a record behind a worker gone to sleep. A
# stranded record stalls its ring for good (no later record wakes a
# worker that has not caught up), so every flow must reach a worker.
trickle() { # PORT0: 2000 lone UDP flows from ports PORT0.., 0-1.5 ms apart
	in_c python3 - "$S4" "$1" <<'PY'
import random, socket, sys, time
for i in range(2000):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("", int(sys.argv[2]) + i))  # a port of its own: a new flow each
    s.sendto(b"x", (sys.argv[1], 9))
    s.close()
    time.sleep(random.random() * 0.0015)
PY
}
before=$(ring_events)
trickle 20000
trickled() { [ "$(ring_events)" -ge $((before + 2000)) ]; }
wait_for 15 trickled
after=$(ring_events)
check "2000 lone new flows 0-1.5 ms apart all reached a worker (records: $before before, $after after)" \
	test "$after" -ge $((before + 2000))
# the control socket's policy status lists both workers, each with events
policy_status "$TMP/status.json"
check "status: two workers, each drained records from its ring" jq -e \
	'(.workers | length) == 2 and all(.workers[]; .ring_events > 0)' "$TMP/status.json"
check "status: the policy is healthy" jq -e '.healthy == 1' "$TMP/status.json"
# --sched-slice (default 100us): every thread of the agent, the workers
# and the metrics server's included, carries it, as the kernel reports it
# (/proc/PID/task/TID/sched, EEVDF kernels 6.12+; older ones have no
# se.slice line and the option changes nothing there)
slices() { # PID: the distinct se.slice values of its threads
	for t in /proc/"$1"/task/*; do sed -n 's/^se\.slice *: *//p' "$t/sched"; done | sort -u | tr '\n' ' '
}
if grep -q '^se\.slice' /proc/self/sched; then
	check "every agent thread asks for a 100us slice (the default): $(slices "$AGENT")" \
		test "$(slices "$AGENT")" = "100000 "
	check "  the agent runs $(ls /proc/"$AGENT"/task | wc -l) threads (main, 2 workers, ...)" \
		test "$(ls /proc/"$AGENT"/task | wc -l)" -ge 3
else
	skip "the kernel reports no se.slice (no EEVDF custom slices before 6.12)"
	skip "the kernel reports no se.slice"
fi
# --nice (default -10): every thread's nice value as the kernel reports it
# (field 19 of /proc/PID/task/TID/stat); the agent does not lead its
# session here, so the session's autogroup (this shell's) is left alone
nices() { # PID: the distinct nice values of its threads
	for t in /proc/"$1"/task/*; do awk '{ print $19 }' "$t/stat"; done | sort -u | tr '\n' ' '
}
own_group=$(cat /proc/self/autogroup 2>/dev/null)
check "every agent thread runs at nice -10 (the default --nice): $(nices "$AGENT")" \
	test "$(nices "$AGENT")" = "-10 "
check "  its session's autogroup, not its own, is left alone ($own_group)" \
	test "$(cat /proc/self/autogroup 2>/dev/null)" = "$own_group"
kill -TERM "$AGENT"; wait "$AGENT"
check "agent exits cleanly on SIGTERM (workers joined)" test $? -eq 0
check "no sanitizer report" bash -c "! grep -q 'Sanitizer' '$TMP/a1.err'"

# the default (no --workers): one worker per CPU the agent may run on,
# counted here by coreutils' nproc (its affinity mask, as the agent's)
CPUS=$(nproc)
if agent_start a2 --tc --policy "$SC" --tick-interval 200ms --sched-slice 0 --nice keep; then
	if [ "$CPUS" -gt 1 ]; then
		check "the default runs one worker per CPU ($CPUS)" \
			grep -q "lockstep: $CPUS policy workers" "$TMP/a2.err"
	else
		check "the default on one CPU is the single-threaded agent" \
			bash -c "! grep -q 'policy workers' '$TMP/a2.err'"
	fi
	if grep -q '^se\.slice' /proc/self/sched; then
		own=$(sed -n 's/^se\.slice *: *//p' /proc/self/sched)
		check "--sched-slice 0 leaves the kernel's default slice ($own, this shell's): $(slices "$AGENT")" \
			test "$(slices "$AGENT")" = "$own "
	else
		skip "the kernel reports no se.slice"
	fi
	check "--nice keep leaves the nice value it was started with ($(nice)): $(nices "$AGENT")" \
		test "$(nices "$AGENT")" = "$(nice) "
	kill -TERM "$AGENT"; wait "$AGENT"
else
	not_ok "agent runs with the default workers"; diag "$TMP/a2.err"
fi

# Leading its own session, as a service does, the agent's autogroup (the
# weight all its threads share against the other sessions) goes to -10 too
setsid nsenter --net=/run/netns/"$NS_S" "$LS_BIN" run --iface vs --pin-dir "$PIN_DIR" --tc \
	--workers 2 --policy "$SC" >"$TMP/a5.json" 2>"$TMP/a5.err" &
AGENT=$!
PIDS+=($AGENT)
if wait_for 20 grep -q 'lockstep: running' "$TMP/a5.err"; then
	check "  started by setsid, the agent leads its session" test "$(ps -o sid= -p "$AGENT" | tr -d ' ')" = "$AGENT"
	check "  its autogroup runs at nice -10 ($(cat /proc/"$AGENT"/autogroup))" \
		grep -q ' nice -10$' /proc/"$AGENT"/autogroup
	kill -TERM "$AGENT"; wait "$AGENT"
	check "  and it exits cleanly" test $? -eq 0
else
	not_ok "agent runs in a session of its own"; diag "$TMP/a5.err"
fi

# Busy-polling only with a CPU to spare (docs/workers.md, "Wake-ups"):
# while another session's CPU hogs keep the host's CPU pressure high
# (/proc/pressure/cpu, read here too), a worker woken by records sleeps
# again instead of spinning: its wake-ups count as result="pressure" (and
# "backoff" after it lost its CPU while polling, "yield"). Without
# PSI the gate has nothing to read: skipped, visibly.
bp_sum() { # FILE RESULT: the sum over workers
	sed -n "s/^lockstep_worker_busy_polls_total{worker=\"[0-9]*\",result=\"$2\"} //p" "$1" |
		awk '{ s += $1 } END { print s + 0 }'
}
udp_burst() { # N: N datagrams to the server, each from a fresh socket (a flow each)
	in_c python3 - "$S4" "$1" <<'PY'
import socket, sys
for _ in range(int(sys.argv[2])):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(b"x", (sys.argv[1], 9))
    s.close()
PY
}
if [ ! -r /proc/pressure/cpu ] || ! command -v stress-ng >/dev/null; then
	skip "no /proc/pressure/cpu or no stress-ng: the busy-poll gate is not testable here"
elif agent_start a3 --tc --workers 2 --policy "$SC" --metrics 127.0.0.1:0; then
	MP=$(sed -n 's/.*metrics on .*(port \([0-9]*\)).*/\1/p' "$TMP/a3.err" | head -1)
	setsid stress-ng --cpu 4 --timeout 30s >/dev/null 2>&1 &
	SP=$!
	PIDS+=($SP)
	sleep 1.5 # a few of the workers' 100 ms pressure readings
	p0=$(sed -n 's/^some .*total=\([0-9]*\)/\1/p' /proc/pressure/cpu)
	udp_burst 3000
	p1=$(sed -n 's/^some .*total=\([0-9]*\)/\1/p' /proc/pressure/cpu)
	kill "$SP"; wait "$SP" 2>/dev/null
	in_s curl -sS --max-time 5 -o "$TMP/bp.prom" "http://127.0.0.1:$MP/metrics"
	skips=$(bp_sum "$TMP/bp.prom" pressure) hits=$(bp_sum "$TMP/bp.prom" hit)
	echo "# busy polls under 4 CPU hogs: pressure $skips hit $hits miss $(bp_sum "$TMP/bp.prom" miss) yield $(bp_sum "$TMP/bp.prom" yield) backoff $(bp_sum "$TMP/bp.prom" backoff); CPU pressure during the burst $(((p1 - p0) / 1000)) ms"
	grep -E '^lockstep_worker_(wakeups|ring_events)' "$TMP/bp.prom" | sed 's/^/# /'
	check "under CPU hogs the workers' wake-ups skip busy-polling for the CPU pressure ($skips)" test "$skips" -gt 0
	# from the first wake-up of the burst on: the readings taken at the
	# workers' start and ticks judge the hogged spell before it (a first
	# reading at the burst left ~100 ms of polling: CI, stop 18)
	polls=$((hits + $(bp_sum "$TMP/bp.prom" miss)))
	check "  and hardly ever poll (windows $polls, at most 10% of $((skips + polls)))" \
		test $((polls * 10)) -le $((skips + polls))
	kill -TERM "$AGENT"; wait "$AGENT"
	check "  and the agent exits cleanly" test $? -eq 0
else
	not_ok "agent runs with --workers 2 and metrics"; diag "$TMP/a3.err"
fi

# One worker (the main loop reads `events`) skips the kernel's wake-ups
# while it drains just as a worker of N does (shard_live[0].awake,
# bpf/shard.h): the same trickle, 2000 lone new flows 0-1.5 ms apart, must
# all be printed -- a record stranded behind the loop gone to sleep would
# stall `events` for good (no later record wakes a reader that has not
# caught up; a timer's wake-up does not look at the ring).
lone_seen() { # the flow_new lines of ports 22000-23999 the agent printed
	jq -R -n '[inputs | fromjson? // empty | select(.event == "flow_new" and .sport >= 22000 and .sport < 24000)] | length' \
		"$TMP/a6.json" 2>/dev/null || echo 0
}
# An agent killed -9 while draining leaves shard_live[0].awake at 1, and
# the kernel then writes `events` without a wake-up: the next agent must
# clear it (ls_dp_shards_set) or it would never be woken. Left set here by
# hand (alive_k 0, in_failsafe 0, awake 1, the rest 0), as the kill would.
bpftool map update pinned "$PIN_DIR/shard_live" key 0 0 0 0 \
	value 0 0 0 0 0 0 0 0  0 0 0 0  1 0 0 0  $(printf '0 %.0s' $(seq 48)) 2>"$TMP/bpftool.err" ||
	diag "$TMP/bpftool.err"
awake0() { bpftool -j map lookup pinned "$PIN_DIR/shard_live" key 0 0 0 0 | jq -r '.value[12]'; }
check "a killed agent's awake word is left set before the next starts ($(awake0))" test "$(awake0)" = 0x01
if agent_start a6 --tc --workers 1 --metrics 127.0.0.1:0; then
	trickle 22000
	all_lone() { [ "$(lone_seen)" -ge 2000 ]; }
	wait_for 15 all_lone
	check "one worker: 2000 lone new flows 0-1.5 ms apart all printed ($(lone_seen))" all_lone
	# the main loop busy-polls after records as a worker of N does
	# (src/agent/busy_poll.c), counted as worker "0": every wake-up that
	# took records ends in one of the five results (a hit may add more)
	MP=$(sed -n 's/.*metrics on .*(port \([0-9]*\)).*/\1/p' "$TMP/a6.err" | head -1)
	in_s curl -sS --max-time 5 -o "$TMP/bp1.prom" "http://127.0.0.1:$MP/metrics"
	wk1=$(sed -n 's/^lockstep_worker_wakeups_total{worker="0"} //p' "$TMP/bp1.prom")
	bp1=0
	for res in hit miss yield backoff pressure; do bp1=$((bp1 + $(bp_sum "$TMP/bp1.prom" $res))); done
	check "  its loop's wake-ups are counted ($wk1) and each ends in a busy-poll result ($bp1: hit $(bp_sum "$TMP/bp1.prom" hit) miss $(bp_sum "$TMP/bp1.prom" miss) pressure $(bp_sum "$TMP/bp1.prom" pressure))" \
		test "${wk1:-0}" -ge 1000 -a "$bp1" -ge 1000
	kill -TERM "$AGENT"; wait "$AGENT"
	check "  and the agent exits cleanly" test $? -eq 0
else
	not_ok "agent runs with --workers 1"; diag "$TMP/a6.err"
fi

# Stealing (docs/workers.md, "Stealing"): a worker whose thread is ready
# but not running -- here pinned to CPU 0 under a SCHED_FIFO spinner that
# leaves it only the kernel's RT-throttle share (5%) -- has its ring
# drained by the other worker (pinned to CPU 1) once its records have
# waited 100 us undrained: every flow of its shard is still handled at
# once, and the batches are counted as stolen.
steal_flows() { # flow_new lines of the UDP flows from ports 30000.. to port 9 in a8's output
	jq -R -n '[inputs | fromjson? // empty | select(.event == "flow_new" and .dport == 9 and .sport >= 30000 and .sport < 30400)] | length' \
		"$TMP/a8.json" 2>/dev/null || echo 0
}
worker_tid() { grep -lx "ls-worker$1" /proc/"$AGENT"/task/*/comm 2>/dev/null | cut -d/ -f5; }
if [ "$(nproc)" -lt 2 ] || ! command -v chrt >/dev/null; then
	skip "fewer than 2 CPUs or no chrt: stealing is not testable here"
elif agent_start a8 --tc --workers 2 --policy "$SC" --metrics 127.0.0.1:0; then
	MP=$(sed -n 's/.*metrics on .*(port \([0-9]*\)).*/\1/p' "$TMP/a8.err" | head -1)
	t0=$(worker_tid 0) t1=$(worker_tid 1)
	check "the workers' threads are named ls-worker0 and ls-worker1 ($t0 $t1)" test -n "$t0" -a -n "$t1"
	taskset -p -c 0 "$t0" >/dev/null && taskset -p -c 1 "$t1" >/dev/null
	# timeout itself unpinned and normal: the spinner never lets a task
	# of its own class run on CPU 0
	timeout 10 chrt -f 50 taskset -c 0 sh -c 'while :; do :; done' &
	SP=$!
	PIDS+=($SP)
	sleep 0.3
	# 400 flows for sure: each from its own source port (fresh sockets may
	# reuse one, and a reused 5-tuple is the same flow)
	in_c python3 - "$S4" <<'PY'
import socket, sys
for i in range(400):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("", 30000 + i))
    s.sendto(b"x", (sys.argv[1], 9))
    s.close()
PY
	got_all() { [ "$(steal_flows)" -ge 400 ]; }
	wait_for 1 got_all # at once: the RT throttle would give it its share only after ~1 s
	n_seen=$(steal_flows)
	kill -0 "$SP" 2>/dev/null && spinning=yes || spinning=no
	in_s curl -sS --max-time 5 -o "$TMP/st.prom" "http://127.0.0.1:$MP/metrics"
	kill "$SP" 2>/dev/null; wait "$SP" 2>/dev/null
	stolen=$(sed -n 's/^lockstep_worker_stolen_batches_total{worker="0"} //p' "$TMP/st.prom")
	wk0=$(sed -n 's/^lockstep_worker_wakeups_total{worker="0"} //p' "$TMP/st.prom")
	grep -E '^lockstep_worker_(stolen|ring_events|wakeups)' "$TMP/st.prom" | sed 's/^/# /'
	check "a worker kept off its CPU: all 400 new flows handled while it was ($n_seen, kept off still: $spinning)" \
		test "$n_seen" -ge 400 -a $spinning = yes
	check "  its ring drained by the other worker, counted ($stolen stolen batches; its own wake-ups $wk0)" \
		test "${stolen:-0}" -ge 1
	kill -TERM "$AGENT"; wait "$AGENT"
	check "  and the agent exits cleanly" test $? -eq 0
else
	not_ok "agent runs with --workers 2 and metrics"; diag "$TMP/a8.err"
fi

# --cpu-latency-us N (docs/workers.md, "CPU latency"): the agent holds a
# PM QoS request while it runs; the kernel's aggregate, read back from
# /dev/cpu_dma_latency (the lowest of all requests), is N while it runs
# and what it was once it has exited.
qos() { python3 -c 'import os, struct; fd = os.open("/dev/cpu_dma_latency", os.O_RDONLY); print(struct.unpack("i", os.read(fd, 4))[0])'; }
if [ ! -e /dev/cpu_dma_latency ]; then
	skip "no /dev/cpu_dma_latency: --cpu-latency-us is not testable here"
else
	q0=$(qos)
	for want in 0 50; do
		if agent_start a7 --tc --workers 1 --cpu-latency-us $want; then
			q1=$(qos)
			exp=$((q0 < want ? q0 : want))
			check "--cpu-latency-us $want: the kernel's CPU latency target is $exp while the agent runs ($q0 before, $q1)" \
				test "$q1" -eq "$exp"
			check "  it says so" grep -q "CPU wake-up latency held at $want us" "$TMP/a7.err"
			kill -TERM "$AGENT"; wait "$AGENT"
			check "  and the agent exits cleanly" test $? -eq 0
			check "  after it, the target is $q0 again ($(qos))" test "$(qos)" -eq "$q0"
		else
			not_ok "agent runs with --cpu-latency-us $want"; diag "$TMP/a7.err"
		fi
	done
fi
"$LS_BIN" run --cpu-latency-us -1 >/dev/null 2>"$TMP/cl.err"
rc=$?
check "--cpu-latency-us -1 is refused, saying the range (exit $rc)" \
	bash -c "[ $rc -eq 2 ] && grep -q 'must be 0-1000000' '$TMP/cl.err'"
