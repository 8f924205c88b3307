// lockstep.ts - the lockstep guest SDK for AssemblyScript: the host imports
// (module "lockstep"), the numbers of docs/abi.md (ABI version 2) and a few
// helpers, so that a policy in AssemblyScript does not declare them again.
// include/lockstep/guest.h is the C form and normative where this is not.
//
//   import { ruleAdd, RULE_DNS, REJECT } from "./sdk/lockstep";
//
// A module still exports lockstep_abi_version and lockstep_event_buffer
// itself (see guests/as/blocklist.ts): the event buffer is its memory.

// ---- imports ---------------------------------------------------------------
@external("lockstep", "set_verdict")
export declare function set_verdict(flow: i32, verdict: i32, ttl_ns: i64): i32;
@external("lockstep", "log")
export declare function log(level: i32, msg: usize, len: u32): i32;
@external("lockstep", "metric_define")
export declare function metric_define(kind: i32, name: usize, name_len: u32, help: usize, help_len: u32): i32;
@external("lockstep", "metric_add")
export declare function metric_add(id: i32, v: f64): i32;
@external("lockstep", "metric_set")
export declare function metric_set(id: i32, v: f64): i32;
@external("lockstep", "metric_observe")
export declare function metric_observe(id: i32, v: f64): i32;
// Labelled metrics (docs/abi.md, "Labels"): label names at definition and
// the values of a series as packed lists, each item NUL-terminated. The
// helpers below (defineLabelled, lvReset/lvAdd, metricAddLv ...) build them.
@external("lockstep", "metric_define_l")
export declare function metric_define_l(kind: i32, name: usize, name_len: u32, help: usize, help_len: u32, labels: usize, labels_len: u32): i32;
@external("lockstep", "metric_add_l")
export declare function metric_add_l(id: i32, values: usize, values_len: u32, v: f64): i32;
@external("lockstep", "metric_set_l")
export declare function metric_set_l(id: i32, values: usize, values_len: u32, v: f64): i32;
@external("lockstep", "metric_observe_l")
export declare function metric_observe_l(id: i32, values: usize, values_len: u32, v: f64): i32;
@external("lockstep", "metric_delete_l")
export declare function metric_delete_l(id: i32, values: usize, values_len: u32): i32;
// Install (or replace) a kernel rule: the kernel gives matching new flows
// `verdict` itself, at their first packet (an address) or first DPI name,
// with no callback (docs/abi.md, "Kernel rules").
@external("lockstep", "rule_add")
export declare function rule_add(kind: i32, pattern: usize, len: u32, verdict: i32, ttl_ns: i64): i32;
@external("lockstep", "rule_del")
export declare function rule_del(kind: i32, pattern: usize, len: u32): i32;

// ---- numbers ---------------------------------------------------------------
export const ABI_VERSION: i32 = 2;
export const ABI_VERSION_MIN: i32 = 1; // the oldest a host still runs
export const EVENT_BUF_SIZE: i32 = 16384;

// verdicts
export const PASS: i32 = 1;
export const DROP: i32 = 2;
// dropped and answered by the kernel: DNS REFUSED, TCP RST, ICMP unreachable
export const REJECT: i32 = 4;
export const REJECT_NXDOMAIN: i32 = 0x100; // with REJECT: DNS gets NXDOMAIN

// rule kinds
export const RULE_HTTP: i32 = 1;   // HTTP Host (a :port ignored)
export const RULE_TLS: i32 = 2;    // TLS SNI
export const RULE_DNS: i32 = 4;    // DNS query name
export const RULE_CLIENT: i32 = 8; // the client's address or prefix
export const RULE_SERVER: i32 = 16;// the server's address or prefix

// status codes
export const OK: i32 = 0;
export const E_INVAL: i32 = -1;
export const E_BOUNDS: i32 = -2;
export const E_NOTFOUND: i32 = -5;
export const E_TOOBIG: i32 = -6;
export const E_FULL: i32 = -7;
export const E_NOTSUP: i32 = -8;

// log levels, metric kinds
export const DEBUG: i32 = 0;
export const INFO: i32 = 1;
export const WARN: i32 = 2;
export const ERROR: i32 = 3;
export const COUNTER: i32 = 1;
export const GAUGE: i32 = 2;
export const HISTOGRAM: i32 = 3;

// struct lsg_event offsets (guest.h)
export const EV_KIND: usize = 0;
export const EV_FLOW_ID: usize = 16;
export const EV_DPI_KIND: usize = 80;
export const EV_DPI_FLAGS: usize = 84;
export const EV_DPI_NAME_LEN: usize = 92;
export const EV_DPI_NAME: usize = 120;
export const EV_DPI_PATH_LEN: usize = 96;
export const EV_DPI_PATH: usize = 376;
export const DPI_F_PARTIAL: u32 = 1;
export const DPI_F_TRUNCATED: u32 = 2;
export const DPI_F_QUIC: u32 = 4;   // TLS: the ClientHello came in QUIC Initials
export const DPI_F_H2: u32 = 8;     // HTTP: an HTTP/2 request
export const DPI_F_GRPC: u32 = 16;  // with DPI_F_H2: gRPC (see EXT_GRPC_*)

// ABI version 2: struct lsg_dpi_ext, after the 512-byte event (on_dpi,
// on_flow_adopted; zero otherwise)
export const EXT_TUNNEL_ID: usize = 512;        // u64; 0: none
export const EXT_ALPN_LEN: usize = 520;         // u32
export const EXT_INDEX: usize = 524;            // u32: DNS question index
export const EXT_GRPC_SERVICE_LEN: usize = 528; // u32
export const EXT_GRPC_METHOD_LEN: usize = 532;  // u32
export const EXT_TUNNEL_TYPE: usize = 536;  // u32, lsg_tun_type
export const EXT_ALPN: usize = 544;             // char[16]
export const EXT_GRPC_SERVICE: usize = 560;     // char[128]
export const EXT_GRPC_METHOD: usize = 688;      // char[64]
export const DPI_HTTP: u32 = 1;
export const DPI_TLS: u32 = 2;
export const DPI_DNS: u32 = 4;

// A string of the event buffer at buf (its address): len bytes at off.
export function eventString(buf: usize, off: usize, lenOff: usize, max: u32): string {
  let n = load<u32>(buf + lenOff);
  if (n > max) n = max;
  return String.UTF8.decodeUnsafe(buf + off, n);
}

// Version 2: whether the current DPI event is a gRPC call to service/method
// (method "": any method of the service).
export function dpiIsGrpc(buf: usize, service: string, method: string): bool {
  if ((load<u32>(buf + EV_DPI_FLAGS) & DPI_F_GRPC) == 0) return false;
  if (eventString(buf, EXT_GRPC_SERVICE, EXT_GRPC_SERVICE_LEN, 127) != service) return false;
  return method.length == 0 || eventString(buf, EXT_GRPC_METHOD, EXT_GRPC_METHOD_LEN, 63) == method;
}

export const SEC: i64 = 1_000_000_000;
export const MSEC: i64 = 1_000_000;

// ---- helpers ---------------------------------------------------------------
export function logStr(level: i32, s: string): i32 {
  const b = String.UTF8.encode(s);
  return log(level, changetype<usize>(b), <u32>b.byteLength);
}

export function defineCounter(name: string, help: string): i32 {
  const n = String.UTF8.encode(name);
  const h = String.UTF8.encode(help);
  return metric_define(COUNTER, changetype<usize>(n), <u32>n.byteLength,
                       changetype<usize>(h), <u32>h.byteLength);
}

// ---- labelled metrics ------------------------------------------------------
// One static list, no allocation (a policy built with --runtime stub never
// frees): lvReset(), one lvAdd per label in the definition's order, then
// metricAddLv(id, v) & co. A string with a NUL in it, or a list that does
// not fit, poisons the list: lvAdd returns E_INVAL / E_TOOBIG and the update
// E_TOOBIG (the host reads nothing past its limit), never a misread value.
export const LABELS_MAX: i32 = 8;
export const LVALUE_MAX: i32 = 128;
export const LVALUES_MAX: i32 = 256;
const LNAMES_MAX: u32 = 520;
const LV_POISON: u32 = 0xffffffff;
const LV_BUF: usize = memory.data(520);
let lvLen: u32 = 0;

export function lvReset(): void {
  lvLen = 0;
}

function lvPut(s: string, cap: u32): i32 {
  if (lvLen == LV_POISON) return E_TOOBIG;
  if (s.indexOf("\0") >= 0) {
    lvLen = LV_POISON;
    return E_INVAL;
  }
  const n = <u32>String.UTF8.byteLength(s, true);
  if (n > cap - lvLen) {
    lvLen = LV_POISON;
    return E_TOOBIG;
  }
  lvLen += <u32>String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, LV_BUF + lvLen, true);
  return OK;
}

// appends one label value (UTF-8 encoded, NUL-terminated)
export function lvAdd(s: string): i32 {
  return lvPut(s, <u32>LVALUES_MAX);
}

export function metricAddLv(id: i32, v: f64): i32 {
  return metric_add_l(id, LV_BUF, lvLen, v);
}

export function metricSetLv(id: i32, v: f64): i32 {
  return metric_set_l(id, LV_BUF, lvLen, v);
}

export function metricObserveLv(id: i32, v: f64): i32 {
  return metric_observe_l(id, LV_BUF, lvLen, v);
}

export function metricDeleteLv(id: i32): i32 {
  return metric_delete_l(id, LV_BUF, lvLen);
}

// metric_define_l with the label names as strings, e.g.
// defineLabelled(COUNTER, "requests_total", "requests", ["host", "verdict"]);
// call it from init (the array is allocated once there).
export function defineLabelled(kind: i32, name: string, help: string, labels: string[]): i32 {
  lvReset();
  for (let i = 0; i < labels.length; i++) {
    const rc = lvPut(labels[i], LNAMES_MAX);
    if (rc != OK) return rc;
  }
  const n = String.UTF8.encode(name);
  const h = String.UTF8.encode(help);
  const rc = metric_define_l(kind, changetype<usize>(n), <u32>n.byteLength,
                             changetype<usize>(h), <u32>h.byteLength, LV_BUF, lvLen);
  lvReset();
  return rc;
}

// rule_add with the pattern as bytes in memory (e.g. read from the config)
export function ruleAddBytes(kind: i32, pattern: usize, len: u32, verdict: i32, ttl_ns: i64): i32 {
  return rule_add(kind, pattern, len, verdict, ttl_ns);
}

// rule_add with the pattern as a string: "www.a.test", "*.a.test", "*",
// "198.18.0.0/15"
export function ruleAdd(kind: i32, pattern: string, verdict: i32, ttl_ns: i64): i32 {
  const b = String.UTF8.encode(pattern);
  return rule_add(kind, changetype<usize>(b), <u32>b.byteLength, verdict, ttl_ns);
}

export function ruleDel(kind: i32, pattern: string): i32 {
  const b = String.UTF8.encode(pattern);
  return rule_del(kind, changetype<usize>(b), <u32>b.byteLength);
}
