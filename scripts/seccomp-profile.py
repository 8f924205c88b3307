#!/usr/bin/env python3
"""seccomp-profile.py [DEFAULT.json] - prints the seccomp profile lockstep's
container runs under: the container runtime's default profile (containers-
common's /usr/share/containers/seccomp.json unless named) with two changes.
The default lets bpf(2) and perf_event_open(2) through only with
CAP_SYS_ADMIN, the capability lockstep exists not to need; here bpf is
allowed with CAP_BPF and perf_event_open with CAP_PERFMON, and the rule that
refused them without CAP_SYS_ADMIN no longer names them (so without those
capabilities they still fall to the default action). Everything else of the
runtime's profile is kept as it is: derive it again when the runtime updates.
docs/operations.md ("Container") shows its use with podman and Kubernetes."""
import json
import sys

SYSCALLS = {"bpf": "CAP_BPF", "perf_event_open": "CAP_PERFMON"}


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/containers/seccomp.json"
    try:
        with open(src) as f:
            prof = json.load(f)
    except (OSError, ValueError) as e:
        sys.exit(f"seccomp-profile.py: cannot read {src}: {e}")
    rules = []
    for rule in prof.get("syscalls", []):
        names = [n for n in rule.get("names", []) if n not in SYSCALLS]
        if names:
            rules.append(dict(rule, names=names))
    for name, cap in SYSCALLS.items():
        rules.append({"names": [name], "action": "SCMP_ACT_ALLOW", "includes": {"caps": [cap]},
                      "comment": f"lockstep: {name} with {cap}, not CAP_SYS_ADMIN"})
    prof["syscalls"] = rules
    json.dump(prof, sys.stdout, indent=1)
    print()


main()
