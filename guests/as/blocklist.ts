// blocklist.ts - a lockstep policy in AssemblyScript: the ABI is not C-only.
//
// Drops flows whose TLS SNI, HTTP Host or DNS query name matches one of the
// configured patterns ("bad.example", "*.ads.example"; separated by commas or
// spaces) and lets every other inspected flow pass. Layouts and codes are the
// ones docs/abi.md and include/lockstep/guest.h define (ABI version 2),
// through the AssemblyScript SDK (guests/as/sdk/lockstep.ts).
//
// By default it is made for a deny-by-default data plane (lockstep run
// --default-verdict hold): matching flows are
// rejected (DNS REFUSED, TCP RST) instead of dropped, and its init pushes
// every decision into kernel rules -- each pattern rejected for DNS, TLS
// and HTTP, every other name passed -- so the kernel decides a named flow
// at the packet that carries the name, with no round trip; a new flow is
// passed at once (on_flow_new), so a flow that never shows a name is not
// held either, and a rule still rejects it when its name comes. on_dpi
// decides the same way where the host has no kernel rules (rule_add
// answers E_NOTSUP: lockstep inspect without a data plane, an older host).
// With the word "passive" among the patterns it behaves as before holds
// existed, for a pass default data plane that only watches: no kernel
// rules, decisions in on_dpi, matching flows dropped. ("inline", the old
// word for the default, is accepted and changes nothing.)
// Each decision on_dpi makes is also counted by protocol and verdict in a
// labelled counter, blocklist_decisions_total{kind="http|tls|dns",
// verdict="pass|refuse"} (docs/abi.md, "Labels"; the SDK's lvAdd).

import {
  set_verdict, metric_add, logStr, defineCounter, ruleAdd, ruleAddBytes,
  defineLabelled, lvReset, lvAdd, metricAddLv, COUNTER, EV_DPI_KIND,
  ABI_VERSION, EVENT_BUF_SIZE, PASS, DROP, REJECT, RULE_HTTP, RULE_TLS, RULE_DNS,
  EV_DPI_FLAGS, EV_DPI_NAME_LEN, EV_DPI_NAME, DPI_F_PARTIAL, WARN, ERROR, OK,
} from "./sdk/lockstep";

const BUF_SIZE: i32 = EVENT_BUF_SIZE;
const BUF: usize = memory.data(BUF_SIZE, 16);
const KINDS: StaticArray<i32> = [RULE_DNS, RULE_TLS, RULE_HTTP];

const MAX_PATTERNS: i32 = 64;
const PATTERN_MAX: i32 = 256;
const PATTERNS: usize = memory.data(MAX_PATTERNS * PATTERN_MAX);
const PATTERN_LEN: usize = memory.data(MAX_PATTERNS * 4);
let npatterns: i32 = 0;
let mBlocked: i32 = -1;
let mPassed: i32 = -1;
let mDecisions: i32 = -1;
let inlineMode = false;

export function lockstep_abi_version(): i32 {
  return ABI_VERSION;
}

export function lockstep_event_buffer(): i32 {
  return <i32>BUF;
}

function isSep(c: u32): bool {
  return c == 44 || c == 59 || c == 32 || c == 9 || c == 10 || c == 13;
}

function lower(c: u32): u32 {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

export function init(len: i32): i32 {
  if (len > BUF_SIZE) len = BUF_SIZE;
  npatterns = 0;
  inlineMode = true;
  let i: i32 = 0;
  while (i < len) {
    while (i < len && isSep(load<u8>(BUF + i))) i++;
    const start = i;
    while (i < len && !isSep(load<u8>(BUF + i)) && load<u8>(BUF + i) != 0) i++;
    const n = i - start;
    if (n == 0) break;
    if (n == 7 && String.UTF8.decodeUnsafe(BUF + start, 7) == "passive") {
      inlineMode = false;
      continue;
    }
    if (n == 6 && String.UTF8.decodeUnsafe(BUF + start, 6) == "inline") continue;
    if (n >= PATTERN_MAX || npatterns == MAX_PATTERNS) {
      logStr(ERROR, "blocklist: pattern too long or too many patterns");
      return 1;
    }
    memory.copy(PATTERNS + <usize>(npatterns * PATTERN_MAX), BUF + start, n);
    store<i32>(PATTERN_LEN + <usize>(npatterns * 4), n);
    npatterns++;
  }
  mBlocked = defineCounter("blocklist_blocked_total", "flows refused by name in on_dpi");
  mPassed = defineCounter("blocklist_passed_total", "flows passed by name in on_dpi");
  mDecisions = defineLabelled(COUNTER, "blocklist_decisions_total",
                              "on_dpi decisions by protocol and verdict", ["kind", "verdict"]);
  // the decisions, into the kernel: every name passes, the patterns (more
  // specific than "*") are rejected
  if (!inlineMode) return 0;
  let rc: i32 = OK;
  for (let k = 0; k < KINDS.length && rc == OK; k++) {
    rc = ruleAdd(KINDS[k], "*", PASS, 0);
    for (let p = 0; p < npatterns && rc == OK; p++)
      rc = ruleAddBytes(KINDS[k], PATTERNS + <usize>(p * PATTERN_MAX),
                        <u32>load<i32>(PATTERN_LEN + <usize>(p * 4)), REJECT, 0);
  }
  if (rc != OK)
    logStr(WARN, "blocklist: no kernel rules here (" + rc.toString() + "): on_dpi decides");
  return 0;
}

// A new flow passes until a name says otherwise: a rule rejects it at the
// packet carrying a blocked name, whatever its verdict was.
export function on_flow_new(flow: i32): i32 {
  return inlineMode ? set_verdict(flow, PASS, 0) : 0;
}

// Case-insensitive compare of n bytes.
function ieq(a: usize, b: usize, n: i32): bool {
  for (let i = 0; i < n; i++)
    if (lower(load<u8>(a + i)) != lower(load<u8>(b + i))) return false;
  return true;
}

function matches(p: i32, name: usize, nlen: i32): bool {
  const pat = PATTERNS + <usize>(p * PATTERN_MAX);
  const plen = load<i32>(PATTERN_LEN + <usize>(p * 4));
  if (plen >= 2 && load<u8>(pat) == 42 && load<u8>(pat + 1) == 46) {
    const sl = plen - 1; // ".domain"
    return nlen > sl && ieq(pat + 1, name + <usize>(nlen - sl), sl);
  }
  return plen == nlen && ieq(pat, name, nlen);
}

// blocklist_decisions_total{kind, verdict}: two small fixed sets of values
function countDecision(verdict: string): void {
  const k = load<u32>(BUF + EV_DPI_KIND);
  lvReset();
  lvAdd(k == 1 ? "http" : k == 2 ? "tls" : k == 4 ? "dns" : "other");
  lvAdd(verdict);
  metricAddLv(mDecisions, 1);
}

export function on_dpi(flow: i32): i32 {
  const flags = load<u32>(BUF + EV_DPI_FLAGS);
  let nlen = <i32>load<u32>(BUF + EV_DPI_NAME_LEN);
  if ((flags & DPI_F_PARTIAL) != 0 && nlen == 0) return 0;
  const name = BUF + EV_DPI_NAME;
  // an HTTP Host may carry a port; a DNS name may end in a dot
  for (let i = 0; i < nlen; i++)
    if (load<u8>(name + i) == 58) { nlen = i; break; }
  if (nlen > 0 && load<u8>(name + nlen - 1) == 46) nlen--;
  for (let p = 0; p < npatterns; p++) {
    if (matches(p, name, nlen)) {
      metric_add(mBlocked, 1);
      countDecision("refuse");
      return set_verdict(flow, inlineMode ? REJECT : DROP, 0);
    }
  }
  metric_add(mPassed, 1);
  countDecision("pass");
  return set_verdict(flow, PASS, 0);
}
