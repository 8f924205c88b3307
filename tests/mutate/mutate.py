#!/usr/bin/env python3
"""mutate.py - the standing mutation check (docs/testing.md, "Mutations").

Applies each deliberate bug of tests/mutate/mutations.txt, one at a time, to a
mirror of the built tree (build/mutate/tree: the working tree is never edited,
so an interrupted run leaves nothing mutated), rebuilds only the targets its
suites need, runs those suites with tests/run.sh, and counts the mutation
killed when a suite fails. A mutation whose anchor text no longer occurs
exactly once, that does not build, or whose suites match nothing is broken: a
failure, never skipped. Prints TAP (so tests/run.sh can count a subset as a
suite) and last the line "mutations: K killed of N"; exits non-zero unless
every mutation was killed.

  tests/mutate/mutate.py                  every mutation (make mutate)
  tests/mutate/mutate.py ID[,ID...]       a subset (make mutate MUTATIONS=a,b)
  tests/mutate/mutate.py --ci [COUNT]     the rotating CI subset of the day
  tests/mutate/mutate.py --list           ids, files and suites
The tree must be built first (make tests-build; make mutate does it).
"""
import datetime
import fcntl
import os
import re
import shutil
import signal
import subprocess
import sys
import time

ROOT = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", ".."))
LIST = os.path.join(ROOT, "tests", "mutate", "mutations.txt")
WORK = os.path.join(ROOT, "build", "mutate")
TREE = os.path.join(WORK, "tree")
LOGS = os.path.join(WORK, "logs")
# never mirrored: the mirror itself, logs of test runs, fuzz corpora
SKIP_DIRS = {"build/mutate", "build/test-logs", "build/fuzz", ".git"}
KEYS = ("id", "file", "find", "replace", "kill", "build", "ci", "why")
# where #include'rs of a mutated header are looked for
SRC_DIRS = ("src", "bpf", "include", "tests/unit", "tests/tools")


def parse(path):
    """The list: blocks of "key value" lines separated by blank lines; '#'
    starts a comment line. find/replace are single lines, taken verbatim
    after the key and one run of blanks, where \\n is a newline, \\t a tab
    and \\\\ a backslash (so C's '\\n' is written '\\\\n')."""
    out, cur = [], {}
    with open(path) as f:
        lines = f.read().split("\n")
    for n, line in enumerate(lines + [""], 1):
        if line.startswith("#"):
            continue
        if not line.strip():
            if cur:
                out.append(cur)
                cur = {}
            continue
        m = re.match(r"(\w+)[ \t]+(.*)$", line)
        if not m or m.group(1) not in KEYS:
            sys.exit(f"{path}:{n}: expected one of {', '.join(KEYS)}: {line}")
        cur.setdefault("line", n)
        cur[m.group(1)] = m.group(2)
    ids = set()
    for m in out:
        for k in ("id", "file", "find", "replace", "kill"):
            if k not in m:
                sys.exit(f"{path}:{m['line']}: mutation without '{k}'")
        if m["id"] in ids:
            sys.exit(f"{path}:{m['line']}: id {m['id']} twice")
        ids.add(m["id"])
        m["kill"] = m["kill"].split()
        for k in ("find", "replace"):
            m[k] = re.sub(r"\\([nt\\])", lambda x: {"n": "\n", "t": "\t", "\\": "\\"}[x.group(1)], m[k])
    return out


def walk(top):
    """{relative path: lstat} of every file and symlink under top."""
    res = {}
    for d, dirs, files in os.walk(top):
        rel = os.path.relpath(d, top)
        rel = "" if rel == "." else rel + "/"
        dirs[:] = [x for x in dirs if rel + x not in SKIP_DIRS]
        for x in files + [x for x in dirs if os.path.islink(os.path.join(d, x))]:
            res[rel + x] = os.lstat(os.path.join(d, x))
    return res


def same(p, s, d):
    """Whether the mirror's p is the working tree's: same type, size and
    time, and for a source (not under build/) the same bytes too, since a
    mutated header keeps its time and a mutation may keep the size."""
    if not d or d.st_size != s.st_size or d.st_mtime_ns != s.st_mtime_ns \
            or (d.st_mode & 0o170000) != (s.st_mode & 0o170000):
        return False
    if p.startswith("build/") or os.path.islink(os.path.join(ROOT, p)):
        return True
    # (not filecmp: it caches by size and time, exactly what a mutation keeps)
    with open(os.path.join(ROOT, p), "rb") as a, open(os.path.join(TREE, p), "rb") as b:
        return a.read() == b.read()


def sync():
    """Make TREE an exact copy of ROOT (content and mtimes), copying only
    what differs: make then sees the mirror exactly as the working tree."""
    src, dst = walk(ROOT), walk(TREE) if os.path.isdir(TREE) else {}
    for p in dst.keys() - src.keys():
        os.unlink(os.path.join(TREE, p))
    for p, s in src.items():
        if same(p, s, dst.get(p)):
            continue
        a, b = os.path.join(ROOT, p), os.path.join(TREE, p)
        os.makedirs(os.path.dirname(b), exist_ok=True)
        if os.path.lexists(b):
            os.unlink(b)
        if os.path.islink(a):
            os.symlink(os.readlink(a), b)
        else:
            shutil.copy2(a, b)
    # ../shared (test data) beside the mirror as beside the working tree
    shared = os.path.join(WORK, "shared")
    if not os.path.lexists(shared) and os.path.isdir(os.path.join(ROOT, "..", "shared")):
        os.symlink(os.path.realpath(os.path.join(ROOT, "..", "shared")), shared)


def includers(header):
    """Sources and headers that include `header` (relative path), directly or
    through other headers: a header mutation recompiles only these instead
    of everything the Makefile's blanket header dependency would."""
    found, todo = set(), [header]
    while todo:
        h = todo.pop()
        pat = re.compile(r'#\s*include\s*[<"]([^">]*/)?' + re.escape(os.path.basename(h)) + r'[">]')
        for top in SRC_DIRS:
            for d, _, files in os.walk(os.path.join(TREE, top)):
                for x in files:
                    if not x.endswith((".c", ".h")):
                        continue
                    p = os.path.relpath(os.path.join(d, x), TREE)
                    if p in found or p == header:
                        continue
                    with open(os.path.join(d, x), errors="replace") as f:
                        if pat.search(f.read()):
                            found.add(p)
                            if p.endswith(".h"):
                                todo.append(p)
    return found


def apply(m):
    """Edit the mirror; returns an error text for a broken anchor."""
    path = os.path.join(TREE, m["file"])
    if not os.path.isfile(path):
        return f"{m['file']} does not exist"
    with open(path) as f:
        text = f.read()
    n = text.count(m["find"])
    if n != 1:
        return f"anchor occurs {n} times in {m['file']} (want 1): {m['find']}"
    st = os.stat(path)
    with open(path, "w") as f:
        f.write(text.replace(m["find"], m["replace"]))
    if m["file"].endswith(".h"):
        # keep the header's time (so make's blanket header dependency does
        # not rebuild every object) and touch the sources that include it,
        # directly or through other headers (those keep their time too)
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
        for p in includers(m["file"]):
            if p.endswith(".c"):
                os.utime(os.path.join(TREE, p))
    return None


def targets(m):
    if "build" in m:
        return m["build"].split()
    t = []
    for k in m["kill"]:
        if k.startswith("test_tsan_"):
            t.append("build/tsan/tests/" + k)
        elif k.startswith("test_"):
            t.append("build/asan/tests/" + k)
        else:  # a shell suite: the agent, the tools, the guests
            t += ["build/asan/lockstep", "build/lockstep", "guests"]
            t += ["build/asan/tools/" + x[:-2] for x in sorted(os.listdir(os.path.join(ROOT, "tests", "tools")))
                  if x.endswith(".c")]
    return sorted(set(t))


def run_one(m, log):
    """'killed', 'survived' or 'broken', and a detail."""
    err = apply(m)
    if err:
        return "broken", err
    t = targets(m)
    r = subprocess.run(["make", "-j2", "--no-print-directory"] + t, cwd=TREE, stdout=log, stderr=subprocess.STDOUT)
    if r.returncode:
        return "broken", f"did not build (make {' '.join(t)}): a mutation must compile"
    env = dict(os.environ, LS_TEST_TIMEOUT=os.environ.get("LS_TEST_TIMEOUT", "300"), LS_MUTATING="1")
    for k in m["kill"]:
        log.write(f"\n==== tests/run.sh {k}\n".encode())
        log.flush()
        r = subprocess.run(["tests/run.sh", k], cwd=TREE, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        log.write(r.stdout)
        out = r.stdout.decode(errors="replace")
        if "### " not in out:
            return "broken", f"suite pattern {k} matches no suite"
        last = re.findall(r"^(\d+) passed, (\d+) failed, (\d+) skipped$", out, re.M)
        if r.returncode and last and int(last[-1][1]) > 0:
            # which tests failed: a kill for the wrong reason (a flake, a
            # program the verifier refused) shows here
            failed = re.findall(r"^  not ok \d* ?-? ?(.*)$", out, re.M)
            names = ", ".join(failed[:3]) + (", ..." if len(failed) > 3 else "")
            return "killed", f"by {k}" + (f" ({names})" if names else "")
    return "survived", f"{' '.join(m['kill'])} all passed"


def ci_subset(muts, count):
    """count mutations of the day: the ones whose suites are all C unit tests,
    whose file is not a header of src/ or include/ (those recompile much of
    the tree) and that do not say "ci no" (a slow rebuild), rotating by day
    of year so that every one is run within len/count days."""
    pool = [m for m in muts if all(k.startswith("test_") for k in m["kill"])
            and not (m["file"].endswith(".h") and m["file"].startswith(("src/", "include/")))
            and "build" not in m and m.get("ci") != "no"]
    if not pool:
        return []
    day = int(os.environ.get("LS_MUTATE_DAY", datetime.date.today().timetuple().tm_yday))
    start = day * count % len(pool)
    return [pool[(start + i) % len(pool)] for i in range(min(count, len(pool)))]


def main(argv):
    muts = parse(LIST)
    if argv[:1] == ["--list"]:
        for m in muts:
            print(f"{m['id']:32} {m['file']:34} {' '.join(m['kill'])}")
        return 0
    if argv[:1] == ["--ci"]:
        sel = ci_subset(muts, int(argv[1]) if len(argv) > 1 else 3)
    elif argv and argv[0]:
        want = [x for a in argv for x in a.split(",") if x]
        known = {m["id"]: m for m in muts}
        bad = [x for x in want if x not in known]
        if bad:
            sys.exit(f"unknown mutation(s): {', '.join(bad)} (tests/mutate/mutate.py --list)")
        sel = [known[x] for x in want]
    else:
        sel = muts
    os.makedirs(LOGS, exist_ok=True)
    lock = open(os.path.join(WORK, "lock"), "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        sys.exit("another mutation run holds build/mutate/lock")
    # SIGTERM (and SIGINT, which a background job starts with ignored) end
    # the run through the same restore as Ctrl-C
    def interrupted(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    print(f"1..{len(sel)}", flush=True)
    killed, bad = 0, []
    t0 = time.time()
    sync()
    try:
        for i, m in enumerate(sel, 1):
            s = time.time()
            with open(os.path.join(LOGS, m["id"] + ".log"), "wb") as log:
                res, detail = run_one(m, log)
            sync()  # undo the mutation and its build, whatever happened
            secs = time.time() - s
            if res == "killed":
                killed += 1
                print(f"ok {i} - {m['id']} killed {detail} ({secs:.0f}s)", flush=True)
            else:
                bad.append(m["id"])
                print(f"not ok {i} - {m['id']} {res}: {detail} ({secs:.0f}s)", flush=True)
                print(f"# {m['file']}: {m.get('why', '')}; log: build/mutate/logs/{m['id']}.log", flush=True)
    except KeyboardInterrupt:
        sync()
        print("# interrupted; the mirror is restored", flush=True)
        return 130
    if bad:
        print(f"# survived or broken: {', '.join(bad)}")
    print(f"# {time.time() - t0:.0f}s")
    print(f"mutations: {killed} killed of {len(sel)}")
    return 0 if killed == len(sel) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
