#!/usr/bin/env python3
"""make_trace.py OUT.json - writes a Chrome trace shaped like lockstep's
(docs/observability.md: counters offset_us/round_trip_us/uncertainty_us,
kernel events pid 1 tid 1, verdicts pid 2 tid 2, guest calls pid 2 tid 1,
flow arrows s/f, instants for beats, fail-safe and alarms) over an awkward
span (37.3 s from an odd start) with its records shuffled, and with flow ids
that fall as time rises, so that a report drawing records in file or id
order zigzags. Seeded: the same file every run."""
import json
import random
import sys

rng = random.Random(7)
T0 = 1234567.89  # us
SPAN = 37.3e6
ev = []
for i in range(373):  # a beat every 100 ms
    t = T0 + i * 1e5
    ev.append({"ph": "C", "name": "offset_us", "ts": t, "pid": 3, "tid": 1,
               "args": {"value": -2003100 + rng.uniform(-5, 5)}})
    ev.append({"ph": "C", "name": "round_trip_us", "ts": t, "pid": 3, "tid": 1,
               "args": {"value": 40 + rng.uniform(0, 30)}})
    ev.append({"ph": "C", "name": "uncertainty_us", "ts": t, "pid": 3, "tid": 1,
               "args": {"value": 20 + rng.uniform(0, 15)}})
    ev.append({"ph": "i", "name": "beat", "ts": t, "pid": 3, "tid": 1, "s": "t"})
N = 300
for i in range(N):
    t = T0 + 1e5 + i * (SPAN - 2e5) / N
    lat = rng.uniform(50, 3000)
    fid = N - i  # ids fall as time rises
    ev.append({"ph": "X", "name": "flow_new", "ts": t, "dur": 1, "pid": 1, "tid": 1})
    ev.append({"ph": "s", "name": "decide", "cat": "flow", "id": fid, "ts": t, "pid": 1, "tid": 1})
    ev.append({"ph": "X", "name": "dispatch", "ts": t + lat / 2, "dur": lat / 3, "pid": 2, "tid": 1})
    ev.append({"ph": "X", "name": "verdict", "ts": t + lat, "dur": 1, "pid": 2, "tid": 2})
    ev.append({"ph": "f", "name": "decide", "cat": "flow", "id": fid, "ts": t + lat, "pid": 2,
               "tid": 2, "bp": "e"})
ev.append({"ph": "i", "name": "failsafe enter", "ts": T0 + 20e6, "pid": 1, "tid": 1, "s": "g"})
ev.append({"ph": "i", "name": "failsafe leave", "ts": T0 + 21.5e6, "pid": 1, "tid": 1, "s": "g"})
ev.append({"ph": "i", "name": "alarm_offset_jump", "ts": T0 + 20.2e6, "pid": 1, "tid": 1, "s": "g"})
ev.append({"ph": "X", "name": "end", "ts": T0 + SPAN, "dur": 1, "pid": 1, "tid": 1})
rng.shuffle(ev)
ev.insert(0, {"ph": "M", "name": "process_name", "pid": 1, "args": {"name": "kernel"}})
with open(sys.argv[1], "w") as f:
    json.dump({"traceEvents": ev, "displayTimeUnit": "ms"}, f)
