/* kv_state.h - the guests' key-value store on disk, so that it survives an
 * agent restart (docs/abi.md, "Key-value store"; docs/policy.md, "State
 * file"). One file holds the whole store; it is written whole, atomically
 * (a fresh mkstemp name beside it, fsync, rename, fsync of the directory),
 * and read whole: a file that is not exactly what a save wrote -- another
 * program's file, a newer format, a truncated or corrupted one, one over
 * the store's limits -- is refused with a message saying why, and nothing
 * of it is loaded.
 *
 * Format, version 1, integers little-endian:
 *   0  8  magic "LSKVSTAT"
 *   8  4  version (1)
 *  12  4  entries (at most LS_KV_MAX_ENTRIES)
 *  16  8  payload bytes that follow the 32-byte header
 *  24  4  CRC-32 (IEEE 802.3, as zlib's crc32) of the whole file with these
 *         four bytes read as zero
 *  28  4  reserved, 0
 *  32     entries: u16 key length, u16 value length, key, value
 * Key and value lengths stay within LS_KV_KEY_MAX and LS_KV_VAL_MAX, keys
 * are distinct, and keys plus values add up to at most LS_KV_MAX_BYTES. */
#ifndef LS_POLICY_KV_STATE_H
#define LS_POLICY_KV_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "policy/kv.h"

#define LS_KV_STATE_HDR 32
#define LS_KV_STATE_VERSION 1
/* the largest file a full store makes */
#define LS_KV_STATE_MAX ((size_t)LS_KV_STATE_HDR + 4u * LS_KV_MAX_ENTRIES + (size_t)LS_KV_MAX_BYTES)

/* CRC-32 (reflected 0xEDB88320, init and final xor 0xFFFFFFFF): continue
 * from crc (0 to start). */
uint32_t ls_crc32(uint32_t crc, const void *buf, size_t len);

/* The store as a file's bytes (a new buffer, free() it); *gen gets the
 * generation they are of (ls_kv_generation). 0, or -ENOMEM. */
int ls_kv_state_encode(const struct ls_kv *kv, uint8_t **out, size_t *len, uint64_t *gen);
/* Checks buf whole and only then replaces kv's content with it (kv keeps
 * nothing it had). 0, or -EINVAL / -ENOMEM with err saying why; kv is then
 * untouched. */
int ls_kv_state_decode(struct ls_kv *kv, const uint8_t *buf, size_t len, struct ls_err *err);

/* Writes the store to path (mode 0600). 0, or -errno with err. */
int ls_kv_state_save(const struct ls_kv *kv, const char *path, uint64_t *gen, struct ls_err *err);
/* Reads path into kv. 0 (loaded), -ENOENT (no file: nothing to load), or
 * another -errno with err naming the path and the reason (kv untouched). */
int ls_kv_state_load(struct ls_kv *kv, const char *path, struct ls_err *err);

#endif
