/* fmt.c - integers and addresses as text without printf (see fmt.h). */
#include "base/fmt.h"

#include <string.h>

/* two digits at a time: half the divisions of one at a time */
static const char digits2[201] = "00010203040506070809"
				 "10111213141516171819"
				 "20212223242526272829"
				 "30313233343536373839"
				 "40414243444546474849"
				 "50515253545556575859"
				 "60616263646566676869"
				 "70717273747576777879"
				 "80818283848586878889"
				 "90919293949596979899";

size_t ls_fmt_u64(char *out, uint64_t v)
{
	char tmp[LS_FMT_U64_MAX];
	char *p = tmp + sizeof(tmp);
	while (v >= 100) {
		unsigned d = (unsigned)(v % 100);
		v /= 100;
		p -= 2;
		memcpy(p, digits2 + 2 * d, 2);
	}
	if (v >= 10) {
		p -= 2;
		memcpy(p, digits2 + 2 * v, 2);
	} else {
		*--p = (char)('0' + v);
	}
	size_t n = (size_t)(tmp + sizeof(tmp) - p);
	memcpy(out, p, n);
	return n;
}

/* one writer for both: a u32 is a u64 */
size_t ls_fmt_u32(char *out, uint32_t v)
{
	return ls_fmt_u64(out, v);
}

size_t ls_fmt_ip4(char *out, const uint8_t *a4)
{
	size_t n = 0;
	for (int i = 0; i < 4; i++) {
		if (i)
			out[n++] = '.';
		n += ls_fmt_u32(out + n, a4[i]);
	}
	return n;
}

static size_t hex16(char *out, unsigned w)
{
	static const char hx[] = "0123456789abcdef";
	size_t n = 0;
	int shift = 12;
	while (shift > 0 && !(w >> shift))
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		out[n++] = hx[(w >> shift) & 0xf];
	return n;
}

size_t ls_fmt_ip6(char *out, const uint8_t *a16)
{
	unsigned w[8];
	for (int i = 0; i < 8; i++)
		w[i] = (unsigned)a16[2 * i] << 8 | a16[2 * i + 1];
	/* the longest run of zero words, the first of equal length */
	int best = -1, best_len = 0, cur = -1, cur_len = 0;
	for (int i = 0; i < 8; i++) {
		if (!w[i]) {
			if (cur < 0)
				cur = i, cur_len = 0;
			cur_len++;
			if (cur_len > best_len)
				best = cur, best_len = cur_len;
		} else {
			cur = -1;
		}
	}
	if (best_len < 2)
		best = -1;
	size_t n = 0;
	for (int i = 0; i < 8; i++) {
		if (best >= 0 && i >= best && i < best + best_len) {
			if (i == best)
				out[n++] = ':';
			continue;
		}
		if (i)
			out[n++] = ':';
		/* IPv4-compatible (::a.b.c.d) and IPv4-mapped (::ffff:a.b.c.d) */
		if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff)))
			return n + ls_fmt_ip4(out + n, a16 + 12);
		n += hex16(out + n, w[i]);
	}
	if (best >= 0 && best + best_len == 8)
		out[n++] = ':';
	return n;
}
