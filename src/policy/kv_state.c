/* kv_state.c - the key-value store's state file (kv_state.h): encoding,
 * checking and decoding it, and saving and loading it atomically. */
#include "policy/kv_state.h"
#include "base/file.h"
#include "base/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char MAGIC[8] = {'L', 'S', 'K', 'V', 'S', 'T', 'A', 'T'};

uint32_t ls_crc32(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	crc = ~crc;
	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
	}
	return ~crc;
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* the whole file's CRC, its own field read as zero */
static uint32_t file_crc(const uint8_t *buf, size_t len)
{
	static const uint8_t zero[4];
	uint32_t c = ls_crc32(0, buf, 24);
	c = ls_crc32(c, zero, 4);
	return ls_crc32(c, buf + 28, len - 28);
}

struct enc {
	uint8_t *b;
	size_t len, cap;
	uint32_t n;
};

static int enc_one(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
	struct enc *e = ctx;
	size_t need = e->len + 4 + klen + vlen;
	if (need > e->cap) {
		size_t cap = e->cap * 2 > need ? e->cap * 2 : need;
		uint8_t *b = realloc(e->b, cap);
		if (!b)
			return -ENOMEM;
		e->b = b, e->cap = cap;
	}
	put_le(e->b + e->len, klen, 2);
	put_le(e->b + e->len + 2, vlen, 2);
	memcpy(e->b + e->len + 4, key, klen);
	if (vlen)
		memcpy(e->b + e->len + 4 + klen, val, vlen);
	e->len = need;
	e->n++;
	return 0;
}

int ls_kv_state_encode(const struct ls_kv *kv, uint8_t **out, size_t *len, uint64_t *gen)
{
	struct enc e = {.cap = 4096};
	if (!(e.b = malloc(e.cap)))
		return -ENOMEM;
	e.len = LS_KV_STATE_HDR;
	int rc = ls_kv_each(kv, enc_one, &e, gen);
	if (rc) {
		free(e.b);
		return rc;
	}
	memset(e.b, 0, LS_KV_STATE_HDR);
	memcpy(e.b, MAGIC, 8);
	put_le(e.b + 8, LS_KV_STATE_VERSION, 4);
	put_le(e.b + 12, e.n, 4);
	put_le(e.b + 16, e.len - LS_KV_STATE_HDR, 8);
	put_le(e.b + 24, file_crc(e.b, e.len), 4);
	*out = e.b;
	*len = e.len;
	return 0;
}

/* Every check before anything is kept: the header, the CRC, then each
 * entry's lengths against the limits and the payload's end. */
static int check(const uint8_t *buf, size_t len, struct ls_err *err)
{
	if (len < LS_KV_STATE_HDR)
		return ls_errf(err, -EINVAL,
			       "truncated: %zu bytes, shorter than the %d-byte header", len,
			       LS_KV_STATE_HDR);
	if (memcmp(buf, MAGIC, 8))
		return ls_errf(err, -EINVAL,
			       "not a lockstep key-value state file (it does not begin with "
			       "\"LSKVSTAT\")");
	uint32_t ver = (uint32_t)get_le(buf + 8, 4), n = (uint32_t)get_le(buf + 12, 4);
	uint64_t plen = get_le(buf + 16, 8);
	if (ver != LS_KV_STATE_VERSION)
		return ls_errf(err, -EINVAL, "format version %u; this lockstep reads version %d",
			       ver, LS_KV_STATE_VERSION);
	if (plen != len - LS_KV_STATE_HDR)
		return ls_errf(err, -EINVAL,
			       "truncated or extended: the header says %llu payload bytes, the "
			       "file has %zu",
			       (unsigned long long)plen, len - LS_KV_STATE_HDR);
	uint32_t crc = (uint32_t)get_le(buf + 24, 4), want = file_crc(buf, len);
	if (crc != want)
		return ls_errf(err, -EINVAL,
			       "corrupt: CRC-32 0x%08x stored, 0x%08x computed over its %zu bytes",
			       crc, want, len);
	if (get_le(buf + 28, 4))
		return ls_errf(err, -EINVAL, "corrupt: the reserved header field is not 0");
	if (n > LS_KV_MAX_ENTRIES)
		return ls_errf(err, -EINVAL, "%u entries, over the store's limit of %d", n,
			       LS_KV_MAX_ENTRIES);
	size_t off = LS_KV_STATE_HDR, bytes = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (len - off < 4)
			return ls_errf(err, -EINVAL, "corrupt: entry %u of %u runs past the end",
				       i + 1, n);
		size_t kl = (size_t)get_le(buf + off, 2), vl = (size_t)get_le(buf + off + 2, 2);
		if (kl > LS_KV_KEY_MAX || vl > LS_KV_VAL_MAX)
			return ls_errf(err, -EINVAL,
				       "entry %u: key of %zu bytes or value of %zu bytes, over the "
				       "limits (%d, %d)",
				       i + 1, kl, vl, LS_KV_KEY_MAX, LS_KV_VAL_MAX);
		if (len - off - 4 < kl + vl)
			return ls_errf(err, -EINVAL, "corrupt: entry %u of %u runs past the end",
				       i + 1, n);
		bytes += kl + vl;
		off += 4 + kl + vl;
	}
	if (bytes > LS_KV_MAX_BYTES)
		return ls_errf(err, -EINVAL,
			       "%zu bytes of keys and values, over the store's limit "
			       "of %u",
			       bytes, LS_KV_MAX_BYTES);
	if (off != len)
		return ls_errf(err, -EINVAL, "corrupt: %zu bytes after the %u entries", len - off,
			       n);
	return 0;
}

int ls_kv_state_decode(struct ls_kv *kv, const uint8_t *buf, size_t len, struct ls_err *err)
{
	int rc = check(buf, len, err);
	if (rc)
		return rc;
	struct ls_kv *tmp = ls_kv_new();
	if (!tmp)
		return ls_errf(err, -ENOMEM, "out of memory");
	uint32_t n = (uint32_t)get_le(buf + 12, 4);
	size_t off = LS_KV_STATE_HDR;
	for (uint32_t i = 0; i < n && !rc; i++) {
		size_t kl = (size_t)get_le(buf + off, 2), vl = (size_t)get_le(buf + off + 2, 2);
		if (ls_kv_put(tmp, buf + off + 4, kl, buf + off + 4 + kl, vl))
			rc = ls_errf(err, -ENOMEM, "out of memory at entry %u of %u", i + 1, n);
		off += 4 + kl + vl;
	}
	if (!rc && ls_kv_count(tmp) != n)
		rc = ls_errf(err, -EINVAL, "corrupt: %zu distinct keys in %u entries (a key twice)",
			     ls_kv_count(tmp), n);
	if (!rc)
		ls_kv_swap(kv, tmp);
	ls_kv_free(tmp);
	return rc;
}

/* After the rename: the directory entry itself reaches the disk. */
static int sync_dir(const char *path)
{
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s", path);
	int fd = open(dirname(buf), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int rc = fsync(fd) ? -errno : 0;
	close(fd);
	return rc;
}

int ls_kv_state_save(const struct ls_kv *kv, const char *path, uint64_t *gen, struct ls_err *err)
{
	uint8_t *buf;
	size_t len;
	int rc = ls_kv_state_encode(kv, &buf, &len, gen);
	if (rc)
		return ls_errf(err, rc, "%s: encoding the store: %s", path, strerror(-rc));
	struct ls_outfile o;
	rc = ls_outfile_begin(&o, path, 0600);
	if (rc) {
		free(buf);
		return ls_errf(err, rc, "%s: creating a file beside it: %s", path, strerror(-rc));
	}
	if (fwrite(buf, 1, len, o.f) != len) {
		rc = errno ? -errno : -EIO;
		ls_outfile_abort(&o);
		free(buf);
		return ls_errf(err, rc, "%s: writing %zu bytes: %s", path, len, strerror(-rc));
	}
	free(buf);
	if ((rc = ls_outfile_commit(&o)))
		return ls_errf(err, rc, "%s: %s", path, strerror(-rc));
	if ((rc = sync_dir(path)))
		return ls_errf(err, rc, "%s: syncing its directory: %s", path, strerror(-rc));
	return 0;
}

int ls_kv_state_load(struct ls_kv *kv, const char *path, struct ls_err *err)
{
	char *buf;
	size_t len;
	int rc = ls_read_file(path, LS_KV_STATE_MAX, &buf, &len, err);
	if (rc == -ENOENT)
		return rc;
	if (rc)
		return rc; /* err names the path */
	rc = ls_kv_state_decode(kv, (const uint8_t *)buf, len, err);
	free(buf);
	if (rc)
		ls_err_prefix(err, "%s: ", path);
	return rc;
}
