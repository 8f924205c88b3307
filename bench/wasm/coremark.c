/* coremark.c - benchmark kernel in the spirit of CoreMark: linked-list
 * find/reverse, integer matrix ops, a state machine over a byte stream and
 * CRC-16 of every result (branches, pointer chasing, small integer math). */
#include "kernel.h"

#define LIST_N 1000
#define MAT_N 32
#define STREAM_N 4096

struct node {
	struct node *next;
	int16_t data, idx;
};

static struct node nodes[LIST_N];
static int16_t ma[MAT_N * MAT_N], mb[MAT_N * MAT_N];
static int32_t mc[MAT_N * MAT_N];
static uint8_t stream[STREAM_N];

static uint16_t crc16(uint16_t crc, uint32_t v)
{
	for (int i = 0; i < 32; i++) {
		uint16_t bit = (uint16_t)((crc ^ v) & 1);
		v >>= 1;
		crc >>= 1;
		if (bit)
			crc ^= 0xa001;
	}
	return crc;
}

static struct node *reverse(struct node *l)
{
	struct node *r = 0;
	while (l) {
		struct node *n = l->next;
		l->next = r;
		r = l;
		l = n;
	}
	return r;
}

static int32_t list_work(int seed)
{
	for (int i = 0; i < LIST_N; i++) {
		nodes[i].next = i + 1 < LIST_N ? &nodes[i + 1] : 0;
		nodes[i].data = (int16_t)((i * 37 + seed) & 0x7fff);
		nodes[i].idx = (int16_t)i;
	}
	struct node *l = &nodes[0];
	int32_t found = 0;
	for (int k = 0; k < 20; k++) {
		int16_t want = (int16_t)((k * 131 + seed) & 0x7fff);
		for (struct node *p = l; p; p = p->next)
			if (p->data == want || p->idx == (int16_t)(want % LIST_N)) {
				found += p->idx;
				break;
			}
		l = reverse(l);
	}
	return found;
}

static int32_t matrix_work(int seed)
{
	for (int i = 0; i < MAT_N * MAT_N; i++) {
		ma[i] = (int16_t)((i * 3 + seed) % 255 - 127);
		mb[i] = (int16_t)((i * 7 + seed) % 127 - 63);
	}
	for (int i = 0; i < MAT_N; i++)
		for (int j = 0; j < MAT_N; j++) {
			int32_t s = 0;
			for (int k = 0; k < MAT_N; k++)
				s += ma[i * MAT_N + k] * mb[k * MAT_N + j];
			mc[i * MAT_N + j] = s;
		}
	int32_t acc = 0;
	for (int i = 0; i < MAT_N * MAT_N; i++)
		acc += (mc[i] >> 2) ^ (mc[i] & 0xff);
	return acc;
}

enum { S_START, S_INT, S_FRAC, S_EXP, S_INVALID };

static int32_t state_work(int seed)
{
	static const char alphabet[] = "0123456789.e-+,x";
	uint32_t x = (uint32_t)seed;
	for (int i = 0; i < STREAM_N; i++) {
		x = x * 1103515245u + 12345u;
		stream[i] = (uint8_t)alphabet[(x >> 16) & 15];
	}
	int counts[5] = {0};
	int st = S_START;
	for (int i = 0; i < STREAM_N; i++) {
		uint8_t c = stream[i];
		if (c == ',') {
			counts[st]++;
			st = S_START;
			continue;
		}
		switch (st) {
		case S_START: st = (c >= '0' && c <= '9') || c == '-' || c == '+' ? S_INT : S_INVALID; break;
		case S_INT: st = c == '.' ? S_FRAC : c == 'e' ? S_EXP : (c >= '0' && c <= '9') ? S_INT : S_INVALID; break;
		case S_FRAC: st = c == 'e' ? S_EXP : (c >= '0' && c <= '9') ? S_FRAC : S_INVALID; break;
		case S_EXP: st = (c >= '0' && c <= '9') || c == '-' ? S_EXP : S_INVALID; break;
		default: break;
		}
	}
	return counts[0] + counts[1] * 3 + counts[2] * 5 + counts[3] * 7 + counts[4] * 11;
}

KERNEL(coremark)
{
	uint16_t crc = 0;
	for (int it = 0; it < 300; it++) {
		crc = crc16(crc, (uint32_t)list_work(it));
		crc = crc16(crc, (uint32_t)matrix_work(it));
		crc = crc16(crc, (uint32_t)state_work(it));
	}
	return crc;
}
