#!/usr/bin/env python3
"""trace_events.py - an independent reader of a Chrome trace (the JSON
object form of the Trace Event Format, the one chrome://tracing and Perfetto
load), written from the format's description, not from lockstep's writer or
its jq checker (tests/obs/lib/chrome_trace.jq).

usage: trace_events.py FILE   -> exit 0 and a summary line, or exit 1 and
                                 the first problems on stdout

Reads strictly: RFC 8259 JSON (no NaN/Infinity, no duplicate keys, UTF-8),
then checks the schema: an object with a traceEvents array; each event an
object with a string name and ph, integer pid and tid, a number ts >= 0 in
microseconds (metadata aside); X with dur >= 0; B/E balanced per thread
(each E closes the innermost open B); i/I with scope g/p/t; C with numeric
args; s/t/f with an id; M process_name/thread_name with a string args.name;
args an object; displayTimeUnit ms or ns.
"""
import json, sys

PHASES = set("XBEiICstfMbenPOND") | {"(", ")"}


def strict_pairs(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            raise ValueError("duplicate key %r" % k)
        d[k] = v
    return d


def bad_constant(c):
    raise ValueError("%s is not JSON" % c)


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def check(doc):
    errs = []
    if not isinstance(doc, dict) or not isinstance(doc.get("traceEvents"), list):
        return ["top level is not an object with a traceEvents array"], {}
    if "displayTimeUnit" in doc and doc["displayTimeUnit"] not in ("ms", "ns"):
        errs.append("displayTimeUnit %r" % doc["displayTimeUnit"])
    open_b, phases = {}, {}
    for i, e in enumerate(doc["traceEvents"]):
        def err(msg):
            errs.append("event %d: %s: %s" % (i, msg, json.dumps(e)[:200]))
        if not isinstance(e, dict):
            err("not an object")
            continue
        ph = e.get("ph")
        phases[ph] = phases.get(ph, 0) + 1
        if not isinstance(ph, str) or ph not in PHASES:
            err("unknown ph")
            continue
        if ph != "E" and not isinstance(e.get("name"), str):
            err("name not a string")
        if not is_int(e.get("pid")) or not is_int(e.get("tid")):
            err("pid/tid not integers")
        if ph != "M" and (not is_num(e.get("ts")) or e["ts"] < 0):
            err("ts not a number >= 0")
        if "args" in e and not isinstance(e["args"], dict):
            err("args not an object")
        if ph == "X" and (not is_num(e.get("dur")) or e["dur"] < 0):
            err("X without dur >= 0")
        if ph in ("i", "I") and "s" in e and e["s"] not in ("g", "p", "t"):
            err("instant scope not g/p/t")
        if ph == "C" and (not isinstance(e.get("args"), dict) or not e["args"] or
                          not all(is_num(v) for v in e["args"].values())):
            err("counter args not numbers")
        if ph in ("s", "t", "f") and "id" not in e:
            err("flow event without id")
        if ph == "M" and e.get("name") in ("process_name", "thread_name") and \
                not isinstance((e.get("args") or {}).get("name"), str):
            err("metadata without args.name")
        key = (e.get("pid"), e.get("tid"))
        if ph == "B":
            open_b.setdefault(key, []).append(e.get("ts", 0))
        elif ph == "E":
            st = open_b.get(key)
            if not st:
                err("E without an open B on its thread")
            elif e.get("ts", 0) < st.pop():
                err("E before its B")
        if len(errs) > 20:
            break
    return errs, phases


def main(path):
    try:
        with open(path, "rb") as f:
            doc = json.loads(f.read().decode("utf-8"), object_pairs_hook=strict_pairs,
                             parse_constant=bad_constant)
    except (ValueError, UnicodeDecodeError) as ex:
        print("# %s: not strict JSON: %s" % (path, ex))
        return 1
    errs, phases = check(doc)
    for m in errs[:10]:
        print("# " + m)
    if errs:
        return 1
    n = len(doc["traceEvents"])
    print("# %s: %d events, phases %s" % (path, n, " ".join(
        "%s:%d" % (k, v) for k, v in sorted(phases.items()))))
    return 0 if n else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
