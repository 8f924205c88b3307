#!/usr/bin/env python3
"""sched_stalls.py - who kept the agent from its CPU: every time one of a
process's threads was runnable but not running for longer than a bound,
with what ran on that CPU meanwhile (docs/workers.md, "Where a 100k/s idle
miss goes"). Reads the kernel's own scheduler trace (perf's sched_wakeup
and sched_switch tracepoints); asserts nothing.

  bench/sched_stalls.py --pid PID [--secs S] [--min-ms MS]   records, then reports
  bench/sched_stalls.py --script FILE --pid PID [--min-ms MS] reports on
      `perf script -F comm,tid,cpu,time,event,trace` output already taken

Two kinds of stall are told apart:
  woken    the thread was woken (sched_wakeup on its CPU) and others ran
           first: a task picked before it, or one the kernel could not
           preempt (a PREEMPT_NONE kernel runs kernel threads to their
           next resched point)
  preempted  the thread was switched out runnable and others ran until it
           came back (on a busy CPU, an idle one pulls it only at the
           busy one's next tick: 4 ms at HZ=250)
A wake-up the kernel traces late (the target CPU's vCPU not running) is
not visible here: the trace starts when the CPU takes the wake-up in.
Needs root and perf."""
import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile

LINE = re.compile(r'^\s*(.+?)\s+(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+(\S+):\s+(.*)$')
SWITCH = re.compile(r'prev_comm=(.+?) prev_pid=(\d+) .*prev_state=(\S+) ==> next_comm=(.+?) next_pid=(\d+)')
WAKE = re.compile(r'comm=(.+?) pid=(\d+) .*target_cpu=(\d+)')


def parse(lines):
    for l in lines:
        m = LINE.match(l)
        if m:
            comm, tid, cpu, t, e, tr = m.groups()
            yield float(t), int(cpu), e, tr


def stalls(events, tids, min_s):
    """(kind, tid, start, seconds, cpu, [tasks that ran on cpu meanwhile])"""
    pending = {}  # tid -> (kind, start, cpu, [names])
    for t, cpu, e, tr in events:
        if e == 'sched:sched_wakeup':
            m = WAKE.search(tr)
            if m and int(m.group(2)) in tids:
                pending[int(m.group(2))] = ('woken', t, int(m.group(3)), [])
            continue
        if e != 'sched:sched_switch':
            continue
        m = SWITCH.search(tr)
        if not m:
            continue
        prev, state, nxt_comm, nxt = int(m.group(2)), m.group(3), m.group(4), int(m.group(5))
        for tid, (kind, start, pcpu, ran) in pending.items():
            if pcpu == cpu and nxt != tid and nxt_comm not in ran and not nxt_comm.startswith('swapper'):
                ran.append(nxt_comm)
        if prev in tids and state.startswith('R'):
            pending[prev] = ('preempted', t, cpu, [nxt_comm] if not nxt_comm.startswith('swapper') else [])
        elif prev in tids:
            pending.pop(prev, None)
        if nxt in tids and nxt in pending:
            kind, start, pcpu, ran = pending.pop(nxt)
            if t - start >= min_s:
                yield kind, nxt, start, t - start, pcpu, ran


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--pid', type=int, required=True, help="the process (all its threads)")
    ap.add_argument('--secs', type=float, default=10)
    ap.add_argument('--min-ms', type=float, default=0.5)
    ap.add_argument('--script', help="perf script output already taken")
    a = ap.parse_args()
    try:
        tids = {int(t) for t in os.listdir('/proc/%d/task' % a.pid)}
    except OSError:
        tids = {a.pid}  # gone by now: its main thread only
    if a.script:
        lines = open(a.script).read().splitlines()
    else:
        with tempfile.TemporaryDirectory() as d:
            data = os.path.join(d, 'perf.data')
            rc = subprocess.call(['perf', 'record', '-q', '-a', '-o', data, '-e', 'sched:sched_wakeup',
                                  '-e', 'sched:sched_switch', '--', 'sleep', str(a.secs)],
                                 stdout=subprocess.DEVNULL)
            if rc:
                sys.exit('sched_stalls: perf record failed (root? perf installed?)')
            lines = subprocess.run(['perf', 'script', '-i', data, '-F', 'comm,tid,cpu,time,event,trace'],
                                   capture_output=True, text=True).stdout.splitlines()
    by = collections.Counter()
    total = collections.Counter()
    n = 0
    for kind, tid, start, secs, cpu, ran in stalls(parse(lines), tids, a.min_ms / 1e3):
        n += 1
        who = ' '.join(ran) or '(nothing traced: the CPU idle or the vCPU not running)'
        print('%-9s tid %-7d at %.6f for %7.3f ms on cpu %d; ran meanwhile: %s' % (kind, tid, start, secs * 1e3, cpu, who))
        for r in ran or ['(none)']:
            key = re.sub(r'[/:.]?\d+$', '', r)
            by[key] += 1
            total[key] += secs
    print('# %d stalls >= %.2f ms of pid %d (%d threads)' % (n, a.min_ms, a.pid, len(tids)))
    for k, c in by.most_common():
        print('#   %-20s in %3d of them (%.1f ms in all)' % (k, c, total[k] * 1e3))


if __name__ == '__main__':
    main()
