// blocklist.ts - a lockstep policy in AssemblyScript: the ABI is not C-only.
//
// Drops flows whose TLS SNI, HTTP Host or DNS query name matches one of the
// configured patterns ("bad.example", "*.ads.example"; separated by commas or
// spaces) and lets every other inspected flow pass. Layouts and codes are the
// ones docs/abi.md and include/lockstep/guest.h define (ABI version 1).

@external("lockstep", "set_verdict")
declare function set_verdict(flow: i32, verdict: i32, ttl_ns: i64): i32;
@external("lockstep", "log")
declare function log(level: i32, msg: usize, len: u32): i32;
@external("lockstep", "metric_define")
declare function metric_define(kind: i32, name: usize, name_len: u32, help: usize, help_len: u32): i32;
@external("lockstep", "metric_add")
declare function metric_add(id: i32, v: f64): i32;

const ABI_VERSION: i32 = 1;
const BUF_SIZE: i32 = 16384;
const BUF: usize = memory.data(BUF_SIZE, 16);

// struct lsg_event offsets (guest.h)
const EV_DPI_KIND: usize = 80;
const EV_DPI_FLAGS: usize = 84;
const EV_DPI_NAME_LEN: usize = 92;
const EV_DPI_NAME: usize = 120;
const DPI_F_PARTIAL: u32 = 1;
const PASS: i32 = 1;
const DROP: i32 = 2;
const COUNTER: i32 = 1;

const MAX_PATTERNS: i32 = 64;
const PATTERN_MAX: i32 = 256;
const PATTERNS: usize = memory.data(MAX_PATTERNS * PATTERN_MAX);
const PATTERN_LEN: usize = memory.data(MAX_PATTERNS * 4);
let npatterns: i32 = 0;
let mBlocked: i32 = -1;
let mPassed: i32 = -1;

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

function logStr(level: i32, s: string): void {
  const b = String.UTF8.encode(s);
  log(level, changetype<usize>(b), <u32>b.byteLength);
}

function defineCounter(name: string, help: string): i32 {
  const n = String.UTF8.encode(name);
  const h = String.UTF8.encode(help);
  return metric_define(COUNTER, changetype<usize>(n), <u32>n.byteLength,
                       changetype<usize>(h), <u32>h.byteLength);
}

export function init(len: i32): i32 {
  if (len > BUF_SIZE) len = BUF_SIZE;
  npatterns = 0;
  let i: i32 = 0;
  while (i < len) {
    while (i < len && isSep(load<u8>(BUF + i))) i++;
    const start = i;
    while (i < len && !isSep(load<u8>(BUF + i)) && load<u8>(BUF + i) != 0) i++;
    const n = i - start;
    if (n == 0) break;
    if (n >= PATTERN_MAX || npatterns == MAX_PATTERNS) {
      logStr(3, "blocklist: pattern too long or too many patterns");
      return 1;
    }
    memory.copy(PATTERNS + <usize>(npatterns * PATTERN_MAX), BUF + start, n);
    store<i32>(PATTERN_LEN + <usize>(npatterns * 4), n);
    npatterns++;
  }
  mBlocked = defineCounter("blocklist_blocked_total", "flows dropped by name");
  mPassed = defineCounter("blocklist_passed_total", "flows passed by name");
  return 0;
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
      return set_verdict(flow, DROP, 0);
    }
  }
  metric_add(mPassed, 1);
  return set_verdict(flow, PASS, 0);
}
