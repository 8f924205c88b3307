/* reinject.c - putting held frames back on their way (reinject.h). */
#include "dataplane/reinject.h"
#include "dataplane/dp_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <net/ethernet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "reinject.skel.h"

#define LO_TC_HANDLE 0x4c53
#define LO_TC_PRIO 0x4c53

struct ls_reinject {
	struct reinject_bpf *skel;
	int prog_fd;
	int pkt_fd;  /* AF_PACKET, send only, qdisc (and TC egress) bypassed */
	bool via_lo; /* live frames refused: through lo's TC ingress */
	int lo_ifindex;
	uint32_t mark; /* SO_MARK set on pkt_fd now */
	/* frames queued for one sendmmsg (ls_reinject_queue), all with the
	 * socket's mark `mark`; the frames are the caller's until the flush */
	uint32_t nq;
	struct mmsghdr q[LS_REINJECT_BATCH];
	struct iovec qiov[LS_REINJECT_BATCH];
	struct sockaddr_ll qsll[LS_REINJECT_BATCH];
	uint32_t qerr; /* queued frames the kernel refused, since the last take */
	int qerrno;    /* the last one's errno */
};

/* Whether the kernel runs XDP live frames for us (a dropping program, so
 * nothing is injected by asking). */
static bool live_frames_ok(struct ls_reinject *r)
{
	uint8_t f[64] = {0};
	struct xdp_md md = {.data = 0, .data_end = sizeof(f), .ingress_ifindex = 1};
	f[12] = 0x08;
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f, .data_size_in = sizeof(f), .ctx_in = &md,
		    .ctx_size_in = sizeof(md), .repeat = 1, .flags = BPF_F_TEST_XDP_LIVE_FRAMES);
	return !bpf_prog_test_run_opts(bpf_program__fd(r->skel->progs.ls_reinj_probe), &o);
}

/* The loopback route: ls_reinject_lo at lo's TC ingress (replacing the one
 * an earlier agent left). */
static int attach_lo(struct ls_reinject *r, struct ls_err *err)
{
	r->lo_ifindex = (int)if_nametoindex("lo");
	if (!r->lo_ifindex)
		return ls_errf(err, -ENODEV, "re-injection: no loopback device in this namespace");
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = r->lo_ifindex, .attach_point = BPF_TC_INGRESS);
	int rc = bpf_tc_hook_create(&hook);
	if (rc && rc != -EEXIST)
		return ls_errf(err, rc, "re-injection: clsact on lo: %s", strerror(-rc));
	LIBBPF_OPTS(bpf_tc_opts, o, .handle = LO_TC_HANDLE, .priority = LO_TC_PRIO,
		    .prog_fd = bpf_program__fd(r->skel->progs.ls_reinject_lo),
		    .flags = BPF_TC_F_REPLACE);
	if ((rc = bpf_tc_attach(&hook, &o)))
		return ls_errf(err, rc, "re-injection: TC ingress on lo: %s", strerror(-rc));
	r->via_lo = true;
	return 0;
}

bool ls_reinject_via_lo(const struct ls_reinject *r)
{
	return r->via_lo;
}

int ls_reinject_open(struct ls_reinject **out, struct ls_err *err)
{
	*out = NULL;
	struct ls_reinject *r = calloc(1, sizeof(*r));
	if (!r)
		return ls_errf(err, -ENOMEM, "out of memory");
	r->pkt_fd = -1;
	r->skel = reinject_bpf__open_and_load();
	if (!r->skel) {
		int rc =
		    ls_errf(err, -errno, "loading the re-injection program: %s", strerror(errno));
		free(r);
		return rc;
	}
	r->prog_fd = bpf_program__fd(r->skel->progs.ls_reinject);
	int lrc = live_frames_ok(r) ? 0 : attach_lo(r, err);
	if (lrc) {
		ls_reinject_close(r);
		return lrc;
	}
	/* protocol 0: this socket receives nothing */
	r->pkt_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	int one = 1;
	if (r->pkt_fd < 0 ||
	    setsockopt(r->pkt_fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one))) {
		int rc = ls_errf(err, -errno, "opening the egress re-injection socket: %s",
				 strerror(errno));
		ls_reinject_close(r);
		return rc;
	}
	*out = r;
	return 0;
}

void ls_reinject_close(struct ls_reinject *r)
{
	if (!r)
		return;
	if (r->pkt_fd >= 0)
		close(r->pkt_fd);
	if (r->via_lo) {
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = r->lo_ifindex,
			    .attach_point = BPF_TC_INGRESS);
		LIBBPF_OPTS(bpf_tc_opts, o, .handle = LO_TC_HANDLE, .priority = LO_TC_PRIO);
		bpf_tc_detach(&hook, &o);
	}
	reinject_bpf__destroy(r->skel);
	free(r);
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

int ls_l4_csum_fix(uint8_t *f, uint32_t len, uint16_t l4_off)
{
	uint32_t l3 = 12;
	while (l3 + 4 <= len &&
	       ((f[l3] == 0x81 && f[l3 + 1] == 0x00) || (f[l3] == 0x88 && f[l3 + 1] == 0xa8)))
		l3 += 4;
	if (l3 + 2 > len)
		return -EINVAL;
	uint16_t et = (uint16_t)(f[l3] << 8 | f[l3 + 1]);
	l3 += 2;
	uint32_t s = 0, l4len;
	uint8_t proto;
	if (et == 0x0800) {
		if (l3 + 20 > len)
			return -EINVAL;
		const uint8_t *ip = f + l3;
		uint32_t ihl = (ip[0] & 15u) * 4, tot = (uint32_t)ip[2] << 8 | ip[3];
		if ((ip[6] & 0x3f) || ip[7]) /* MF or an offset: a fragment */
			return 1;
		if (l3 + ihl != l4_off || tot < ihl || l3 + tot > len)
			return -EINVAL;
		proto = ip[9];
		l4len = tot - ihl;
		s = sum16(ip + 12, 8, 0);
	} else if (et == 0x86dd) {
		if (l3 + 40 > len)
			return -EINVAL;
		const uint8_t *ip = f + l3;
		uint32_t end = l3 + 40 + ((uint32_t)ip[4] << 8 | ip[5]), off = l3 + 40;
		proto = ip[6];
		/* the extension chain up to l4_off; a fragment or AH: leave */
		while (off < l4_off) {
			if (proto == 44 || proto == 51 || off + 8 > len)
				return 1;
			if (proto != 0 && proto != 43 && proto != 60)
				return -EINVAL;
			uint8_t nxt = f[off];
			off += 8u + f[off + 1] * 8u;
			proto = nxt;
		}
		if (off != l4_off || end > len || end < l4_off)
			return -EINVAL;
		l4len = end - l4_off;
		s = sum16(ip + 8, 32, 0);
	} else {
		return -EINVAL;
	}
	uint32_t co;
	if (proto == 6 && l4len >= 20)
		co = 16;
	else if (proto == 17 && l4len >= 8)
		co = 6;
	else
		return 1;
	uint8_t *l4 = f + l4_off;
	if (proto == 17 && et == 0x0800 && !l4[6] && !l4[7])
		return 1; /* UDP over IPv4 without a checksum */
	s += proto + (l4len >> 16) + (l4len & 0xffff);
	l4[co] = l4[co + 1] = 0;
	uint16_t c = fold(sum16(l4, l4len, s));
	if (proto == 17 && !c)
		c = 0xffff;
	l4[co] = (uint8_t)(c >> 8), l4[co + 1] = (uint8_t)c;
	return 0;
}

int ls_reinject_frame(struct ls_reinject *r, const struct ls_event_held *h, uint8_t *frame)
{
	if (h->cap_len < ETH_HLEN)
		return -EINVAL;
	if (ls_l4_csum_fix(frame, h->cap_len, h->l4_off) < 0)
		return -EINVAL;
	return ls_reinject_send(r, h, frame);
}

/* What an AF_PACKET frame needs: its device (lo on the loopback route),
 * its address and the socket mark. 0 or -errno (nothing sent). */
static int packet_route(struct ls_reinject *r, const struct ls_event_held *h, const uint8_t *frame,
			struct sockaddr_ll *sll, uint32_t *mark)
{
	int ifindex = (int)h->ifindex;
	*mark = 0;
	if (h->hook == LS_HOLD_XDP) { /* the loopback route (live frames go elsewhere) */
		if (h->ifindex & LS_REINJECT_MARK_MASK)
			return -ERANGE;
		*mark = LS_REINJECT_MARK | (h->ifindex & ~LS_REINJECT_MARK_MASK);
		ifindex = r->lo_ifindex;
	}
	*sll = (struct sockaddr_ll){
	    .sll_family = AF_PACKET, .sll_ifindex = ifindex, .sll_halen = ETH_ALEN};
	memcpy(sll->sll_addr, frame, ETH_ALEN);
	memcpy(&sll->sll_protocol, frame + 12, 2);
	return 0;
}

static int set_mark(struct ls_reinject *r, uint32_t mark)
{
	if (mark == r->mark)
		return 0;
	if (setsockopt(r->pkt_fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)))
		return -errno;
	r->mark = mark;
	return 0;
}

static int live_frame(struct ls_reinject *r, const struct ls_event_held *h, uint8_t *frame)
{
	struct xdp_md md = {.data = 0, .data_end = h->cap_len, .ingress_ifindex = h->ifindex};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = h->cap_len,
		    .ctx_in = &md, .ctx_size_in = sizeof(md), .repeat = 1,
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES);
	return bpf_prog_test_run_opts(r->prog_fd, &o) ? -errno : 0;
}

int ls_reinject_send(struct ls_reinject *r, const struct ls_event_held *h, uint8_t *frame)
{
	uint32_t len = h->cap_len, mark;
	struct sockaddr_ll sll;
	if (len < ETH_HLEN)
		return -EINVAL;
	if (h->hook == LS_HOLD_XDP && !r->via_lo)
		return live_frame(r, h, frame);
	int rc = ls_reinject_flush(r); /* what was queued goes first */
	if (rc < 0 || (rc = packet_route(r, h, frame, &sll, &mark)) || (rc = set_mark(r, mark)))
		return rc;
	ssize_t n = sendto(r->pkt_fd, frame, len, 0, (struct sockaddr *)&sll, sizeof(sll));
	return n == (ssize_t)len ? 0 : n < 0 ? -errno : -EIO;
}

int ls_reinject_queue(struct ls_reinject *r, const struct ls_event_held *h, uint8_t *frame)
{
	uint32_t len = h->cap_len, mark;
	if (len < ETH_HLEN)
		return -EINVAL;
	if (ls_l4_csum_fix(frame, len, h->l4_off) < 0)
		return -EINVAL;
	if (h->hook == LS_HOLD_XDP && !r->via_lo) {
		/* one syscall per frame either way; what was queued goes first */
		int rc = ls_reinject_flush(r);
		return rc < 0 ? rc : live_frame(r, h, frame);
	}
	struct sockaddr_ll sll;
	int rc = packet_route(r, h, frame, &sll, &mark);
	if (rc)
		return rc;
	/* the mark is the socket's: a frame with another one starts a batch */
	if ((mark != r->mark && r->nq) || r->nq == LS_REINJECT_BATCH) {
		if ((rc = ls_reinject_flush(r)) < 0)
			return rc;
	}
	if ((rc = set_mark(r, mark)))
		return rc;
	uint32_t i = r->nq++;
	r->qsll[i] = sll;
	r->qiov[i] = (struct iovec){.iov_base = frame, .iov_len = len};
	r->q[i] = (struct mmsghdr){.msg_hdr = {.msg_name = &r->qsll[i],
					       .msg_namelen = sizeof(r->qsll[i]),
					       .msg_iov = &r->qiov[i],
					       .msg_iovlen = 1}};
	return 0;
}

int ls_reinject_flush(struct ls_reinject *r)
{
	uint32_t off = 0;
	while (off < r->nq) {
		int n = sendmmsg(r->pkt_fd, r->q + off, r->nq - off, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) { /* this frame refused: count it, go on past it */
			r->qerr++;
			r->qerrno = n < 0 ? errno : EIO;
			off++;
			continue;
		}
		for (int k = 0; k < n; k++)
			if (r->q[off + k].msg_len != r->qiov[off + k].iov_len) {
				r->qerr++;
				r->qerrno = EIO;
			}
		off += (uint32_t)n;
	}
	r->nq = 0;
	return 0;
}

uint32_t ls_reinject_take_errors(struct ls_reinject *r, int *err_no)
{
	uint32_t n = r->qerr;
	if (n)
		*err_no = r->qerrno;
	r->qerr = 0;
	return n;
}
