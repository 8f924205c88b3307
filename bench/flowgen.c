/* flowgen.c - a paced generator of new UDP flows and the receiver that
 * times them, for bench/flow_rate_bench.sh: what a held first packet adds
 * at a given rate of new flows (issue 12, "Bench").
 *
 *   flowgen --client-ns NS --server-ns NS --dst IPV4 --rate R --count N
 *           [--port P] [--src-first K] [--drain-ms MS]
 *           [--pace sleep|spin] [--no-rx] [--gen ip|packet [--dev IF] [--burst-us US]]
 *
 * One process, two threads. The receiver's UDP socket is opened in the
 * server namespace, the sender's raw socket in the client namespace (a
 * socket keeps the namespace it was made in, so one process can stand on
 * both sides and compare timestamps from one clock). Packet i is a UDP
 * datagram from 198.18.1.(K + i % 240) port 1024 + i / 240 -- a 5-tuple
 * never used before in the run, so every packet is the first of a new flow
 * -- to DST:P, sent at t0 + i / R (paced by spinning; a sender that was
 * preempted catches up, as an offered load does), carrying the wall-clock
 * time just before its sendto. The receiver takes the kernel's receive
 * stamp of each datagram (SO_TIMESTAMPNS, taken when the stack received
 * it, so its own wake-ups do not count) and keeps stamp - sent.
 *
 * Prints one line: offered rate, achieved rate (packets / send time),
 * sent, received, and p50/p99/p99.9/max of the one-way latency in ns;
 * "bad" counts stamps earlier than the send (must be 0). Exit 0 when it
 * measured, 1 on a setup error. Needs root (setns, raw socket).
 *
 * --gen packet sends whole Ethernet frames from a packet socket on the
 * client's interface --dev (default vc, tests/integration/lib/topo.sh's),
 * past the qdisc (PACKET_QDISC_BYPASS), every packet due by then in one
 * sendmmsg per --burst-us (default 50 us): no IP output path (routing,
 * netfilter, neighbour) and no system call per packet, so that offering
 * 100k packets/s takes less of the 2 CPUs that the agent under test needs.
 * A packet's send time is stamped when its burst is built. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define SRC_SPAN 240 /* source addresses per run: 198.18.1.K .. K+239 */
#define BATCH 64
/* --pace sleep (the default): a packet goes at most this early, so the
 * sender sleeps between packets rather than spinning a CPU that the agent
 * under test needs; at 100k/s that sends bursts of two or three. Each
 * packet carries its own send time, so the latency is unaffected. */
#define EARLY_NS 20000ull
static int spin; /* --pace spin: busy-wait each packet's due time */
/* --no-rx: nobody reads the server's socket (its small buffer fills, the
 * rest is dropped by the stack after the data plane saw it): for runs that
 * time the agent, not the packets, so that a receiving thread woken per
 * packet does not compete with it for the CPUs */
static int no_rx;

struct payload {
	uint64_t sent_ns; /* CLOCK_REALTIME just before sendto */
	uint64_t seq;
};

static uint64_t count;
static int rx_fd;
static int64_t *lat; /* by seq; -1 = not received */
static volatile int sending = 1;
static pthread_t rx_thread;
static uint64_t drain_ns = 3000000000ull;

static uint64_t now_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int enter_ns(const char *name)
{
	char path[256];
	snprintf(path, sizeof path, "/var/run/netns/%s", name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET)) {
		fprintf(stderr, "flowgen: cannot enter netns %s: %s\n", name, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static void *receiver(void *arg)
{
	(void)arg;
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	struct payload buf[BATCH];
	char ctl[BATCH][CMSG_SPACE(sizeof(struct timespec))];
	uint64_t quiet_since = 0;

	for (;;) {
		memset(m, 0, sizeof m);
		for (int i = 0; i < BATCH; i++) {
			iov[i] = (struct iovec){&buf[i], sizeof buf[i]};
			m[i].msg_hdr.msg_iov = &iov[i];
			m[i].msg_hdr.msg_iovlen = 1;
			m[i].msg_hdr.msg_control = ctl[i];
			m[i].msg_hdr.msg_controllen = sizeof ctl[i];
		}
		int n = recvmmsg(rx_fd, m, BATCH, MSG_WAITFORONE, NULL);
		if (n <= 0) {
			/* the socket has a 100 ms receive timeout: after the
			 * sender stops, drain_ns of quiet ends the run */
			uint64_t now = now_ns(CLOCK_MONOTONIC);
			if (sending)
				continue;
			if (!quiet_since)
				quiet_since = now;
			if (now - quiet_since >= drain_ns)
				return NULL;
			continue;
		}
		quiet_since = 0;
		for (int i = 0; i < n; i++) {
			if (m[i].msg_len < sizeof(struct payload) || buf[i].seq >= count)
				continue;
			int64_t rx = -1;
			for (struct cmsghdr *c = CMSG_FIRSTHDR(&m[i].msg_hdr); c;
			     c = CMSG_NXTHDR(&m[i].msg_hdr, c))
				if (c->cmsg_level == SOL_SOCKET &&
				    c->cmsg_type == SCM_TIMESTAMPNS) {
					struct timespec ts;
					memcpy(&ts, CMSG_DATA(c), sizeof ts);
					rx = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
				}
			if (rx < 0)
				rx = (int64_t)now_ns(CLOCK_REALTIME);
			lat[buf[i].seq] = rx - (int64_t)buf[i].sent_ns;
		}
	}
}

static uint16_t csum16(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)b[i] << 8 | b[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons((uint16_t)~s);
}

/* --gen packet: the neighbour's MAC for dst from the client namespace's
 * ARP table (the caller resolved it first, e.g. with one ping). */
static int arp_lookup(const char *dst, const char *dev, uint8_t mac[6])
{
	FILE *f = fopen("/proc/net/arp", "r");
	char line[256], ip[64], hw[64], ifn[IFNAMSIZ + 1];
	int found = 0;
	if (!f)
		return -1;
	while (!found && fgets(line, sizeof line, f))
		if (sscanf(line, "%63s %*s %*s %63s %*s %16s", ip, hw, ifn) == 3 &&
		    !strcmp(ip, dst) && !strcmp(ifn, dev))
			found = sscanf(hw, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1],
				       &mac[2], &mac[3], &mac[4], &mac[5]) == 6;
	fclose(f);
	return found ? 0 : -1;
}

#define PBURST 256 /* the most frames one sendmmsg carries */
struct frame {
	struct ethhdr eth;
	struct iphdr ip;
	struct udphdr udp;
	struct payload pl;
} __attribute__((packed));

/* --gen packet: packets 0..count-1, the due ones every burst_ns; *secs the
 * time taken; returns the packets not sent, -1 on a setup error (said). */
static long long send_packet(const char *dev, struct in_addr daddr, unsigned port,
			     unsigned src_first, double rate, uint64_t burst_ns, double *secs)
{
	int fd = socket(AF_PACKET, SOCK_RAW, 0), one = 1;
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", dev);
	static struct frame fr[PBURST];
	memset(fr, 0, sizeof fr);
	if (fd < 0 || ioctl(fd, SIOCGIFINDEX, &ifr)) {
		fprintf(stderr, "flowgen: --gen packet: no interface %s: %s\n", dev,
			strerror(errno));
		return -1;
	}
	struct sockaddr_ll ll = {.sll_family = AF_PACKET, .sll_ifindex = ifr.ifr_ifindex};
	if (bind(fd, (struct sockaddr *)&ll, sizeof ll) ||
	    setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one) ||
	    ioctl(fd, SIOCGIFHWADDR, &ifr) || arp_lookup(inet_ntoa(daddr), dev, fr[0].eth.h_dest)) {
		fprintf(stderr,
			"flowgen: --gen packet: cannot send on %s, or no neighbour entry "
			"for %s there (ping it first)\n",
			dev, inet_ntoa(daddr));
		return -1;
	}
	memcpy(fr[0].eth.h_source, ifr.ifr_hwaddr.sa_data, 6);
	fr[0].eth.h_proto = htons(ETH_P_IP);
	fr[0].ip.version = 4;
	fr[0].ip.ihl = 5;
	fr[0].ip.ttl = 64;
	fr[0].ip.protocol = IPPROTO_UDP;
	fr[0].ip.tot_len = htons(sizeof fr[0] - sizeof fr[0].eth);
	fr[0].ip.daddr = daddr.s_addr;
	fr[0].udp.dest = htons((uint16_t)port);
	fr[0].udp.len = htons(sizeof fr[0] - sizeof fr[0].eth - sizeof fr[0].ip);
	for (int j = 1; j < PBURST; j++)
		fr[j] = fr[0];
	static struct mmsghdr m[PBURST];
	static struct iovec iov[PBURST];
	memset(m, 0, sizeof m);
	for (int j = 0; j < PBURST; j++) {
		iov[j] = (struct iovec){&fr[j], sizeof fr[j]};
		m[j].msg_hdr.msg_iov = &iov[j];
		m[j].msg_hdr.msg_iovlen = 1;
	}
	long long unsent = 0;
	uint64_t t0 = now_ns(CLOCK_MONOTONIC), i = 0;
	while (i < count) {
		uint64_t now = now_ns(CLOCK_MONOTONIC);
		uint64_t due = (uint64_t)((double)(now - t0) * rate / 1e9) + 1;
		if (due > count)
			due = count;
		while (i < due) {
			unsigned n = 0;
			uint64_t sent_ns = now_ns(CLOCK_REALTIME);
			for (; n < PBURST && i < due; n++, i++) {
				struct frame *f = &fr[n];
				f->ip.saddr = htonl((198u << 24) | (18u << 16) | (1u << 8) |
						    (src_first + i % SRC_SPAN));
				f->ip.id = htons((uint16_t)i);
				f->ip.check = 0;
				f->ip.check = csum16(&f->ip, sizeof f->ip);
				f->udp.source = htons((uint16_t)(1024 + i / SRC_SPAN));
				f->pl.seq = i;
				f->pl.sent_ns = sent_ns;
			}
			int k = sendmmsg(fd, m, n, 0);
			unsent += k < 0 ? (long long)n : (long long)(n - (unsigned)k);
		}
		if (i < count) {
			uint64_t w = now + burst_ns;
			struct timespec ts = {(time_t)(w / 1000000000ull),
					      (long)(w % 1000000000ull)};
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		}
	}
	*secs = (double)(now_ns(CLOCK_MONOTONIC) - t0) / 1e9;
	close(fd);
	return unsent;
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static int report(double rate, double secs, uint64_t errs);

int main(int argc, char **argv)
{
	const char *cns = NULL, *sns = NULL, *dst = NULL;
	double rate = 10000;
	unsigned port = 9999, src_first = 10;
	const char *gen = "ip", *dev = "vc";
	uint64_t burst_ns = 50000;

	for (int i = 1; i < argc; i += 2) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";
		if (!strcmp(k, "--no-rx")) {
			no_rx = 1;
			i--; /* a flag: no value */
		} else if (!strcmp(k, "--client-ns"))
			cns = v;
		else if (!strcmp(k, "--server-ns"))
			sns = v;
		else if (!strcmp(k, "--dst"))
			dst = v;
		else if (!strcmp(k, "--rate"))
			rate = atof(v);
		else if (!strcmp(k, "--count"))
			count = strtoull(v, NULL, 10);
		else if (!strcmp(k, "--port"))
			port = (unsigned)atoi(v);
		else if (!strcmp(k, "--src-first"))
			src_first = (unsigned)atoi(v);
		else if (!strcmp(k, "--pace"))
			spin = !strcmp(v, "spin");
		else if (!strcmp(k, "--gen"))
			gen = v;
		else if (!strcmp(k, "--dev"))
			dev = v;
		else if (!strcmp(k, "--burst-us"))
			burst_ns = strtoull(v, NULL, 10) * 1000ull;
		else if (!strcmp(k, "--drain-ms"))
			drain_ns = strtoull(v, NULL, 10) * 1000000ull;
		else {
			fprintf(stderr, "flowgen: unknown option %s\n", k);
			return 1;
		}
	}
	if (!cns || !sns || !dst || !count || rate <= 0 || src_first + SRC_SPAN > 255 ||
	    count > (uint64_t)SRC_SPAN * (65536 - 1024) ||
	    (strcmp(gen, "ip") && strcmp(gen, "packet")) || !burst_ns) {
		fprintf(
		    stderr,
		    "usage: flowgen --client-ns NS --server-ns NS --dst IPV4 --rate R "
		    "--count N [--port P] [--src-first K<=15] [--drain-ms MS] [--pace sleep|spin] "
		    "[--no-rx] [--gen ip|packet] [--dev IF] [--burst-us US]\n");
		return 1;
	}
	struct in_addr daddr;
	if (inet_pton(AF_INET, dst, &daddr) != 1) {
		fprintf(stderr, "flowgen: --dst %s is not an IPv4 address\n", dst);
		return 1;
	}
	lat = malloc(count * sizeof *lat);
	if (!lat)
		return 1;
	for (uint64_t i = 0; i < count; i++)
		lat[i] = -1;

	/* the receiver, in the server's namespace */
	if (enter_ns(sns))
		return 1;
	rx_fd = socket(AF_INET, SOCK_DGRAM, 0);
	int one = 1, big = no_rx ? 4096 : 32 << 20;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	struct timeval rcvto = {0, 100000}; /* 100 ms: the receiver sees the end */
	if (rx_fd < 0 || setsockopt(rx_fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) ||
	    setsockopt(rx_fd, SOL_SOCKET, SO_RCVTIMEO, &rcvto, sizeof rcvto) ||
	    setsockopt(rx_fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big) ||
	    bind(rx_fd, (struct sockaddr *)&sa, sizeof sa)) {
		fprintf(stderr, "flowgen: receiver socket: %s\n", strerror(errno));
		return 1;
	}
	/* the sender, in the client's */
	if (enter_ns(cns))
		return 1;
	int pk = !strcmp(gen, "packet");
	int tx = pk ? -1 : socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (!pk && tx < 0) {
		fprintf(stderr, "flowgen: raw socket: %s\n", strerror(errno));
		return 1;
	}
	if (!no_rx)
		pthread_create(&rx_thread, NULL, receiver, NULL);
	if (pk) {
		double secs = 0;
		long long unsent = send_packet(dev, daddr, port, src_first, rate, burst_ns, &secs);
		if (unsent < 0)
			return 1;
		return report(rate, secs, (uint64_t)unsent);
	}

	struct {
		struct iphdr ip;
		struct udphdr udp;
		struct payload pl;
	} __attribute__((packed)) pkt;
	memset(&pkt, 0, sizeof pkt);
	pkt.ip.version = 4;
	pkt.ip.ihl = 5;
	pkt.ip.ttl = 64;
	pkt.ip.protocol = IPPROTO_UDP;
	pkt.ip.tot_len = htons(sizeof pkt);
	pkt.ip.daddr = daddr.s_addr;
	pkt.udp.dest = htons((uint16_t)port);
	pkt.udp.len = htons(sizeof pkt - sizeof pkt.ip);
	/* UDP checksum 0: none (RFC 768), valid over IPv4 */
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr = daddr};

	/* a sleep ends when asked, not up to 50 us later (the default slack) */
	prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
	uint64_t gap = (uint64_t)(1e9 / rate), errs = 0;
	uint64_t t0 = now_ns(CLOCK_MONOTONIC), t_end = t0;
	for (uint64_t i = 0; i < count; i++) {
		uint64_t due = t0 + i * gap;
		t_end = now_ns(CLOCK_MONOTONIC);
		if (!spin) {
			/* sleep until at most EARLY before it is due, then send */
			if (due > t_end + EARLY_NS) {
				uint64_t w = due - EARLY_NS;
				struct timespec ts = {(time_t)(w / 1000000000ull),
						      (long)(w % 1000000000ull)};
				clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
			}
		} else {
			while ((t_end = now_ns(CLOCK_MONOTONIC)) < due)
				;
		}
		uint32_t src = (198u << 24) | (18u << 16) | (1u << 8) | (src_first + i % SRC_SPAN);
		pkt.ip.saddr = htonl(src);
		pkt.ip.id = htons((uint16_t)i);
		pkt.ip.check = 0;
		pkt.ip.check = csum16(&pkt.ip, sizeof pkt.ip);
		pkt.udp.source = htons((uint16_t)(1024 + i / SRC_SPAN));
		pkt.pl.seq = i;
		pkt.pl.sent_ns = now_ns(CLOCK_REALTIME);
		if (sendto(tx, &pkt, sizeof pkt, 0, (struct sockaddr *)&to, sizeof to) < 0)
			errs++;
	}
	return report(rate, (double)(now_ns(CLOCK_MONOTONIC) - t0) / 1e9, errs);
}

/* Waits for the receiver, prints the line; the exit status. */
static int report(double rate, double secs, uint64_t errs)
{
	sending = 0;
	if (!no_rx)
		pthread_join(rx_thread, NULL);

	uint64_t got = 0, bad = 0;
	for (uint64_t i = 0; i < count; i++) {
		if (lat[i] < 0 && lat[i] != -1)
			bad++;
		if (lat[i] >= 0)
			lat[got++] = lat[i];
	}
	qsort(lat, got, sizeof *lat, cmp64);
#define Q(p) (got ? lat[(uint64_t)((p) * (double)(got - 1) + 0.5)] : -1)
	printf("offered %.0f/s achieved %.0f/s sent %llu send_errors %llu received %llu bad %llu "
	       "p50 %lld p99 %lld p99.9 %lld max %lld ns\n",
	       rate, (double)count / secs, (unsigned long long)count, (unsigned long long)errs,
	       (unsigned long long)got, (unsigned long long)bad, (long long)Q(0.5),
	       (long long)Q(0.99), (long long)Q(0.999), (long long)(got ? lat[got - 1] : -1));
	return 0;
}
