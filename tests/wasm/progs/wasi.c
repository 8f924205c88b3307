/* wasi.c - WASI test program for the host calls themselves: clocks, sleep
 * (poll_oneoff), random_get, fd_fdstat_get, fd_seek on a stream, no
 * preopens, stderr and a non-zero exit code (proc_exit). Prints only
 * deterministic facts so the output can be compared. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long ns(const struct timespec *t) { return t->tv_sec * 1000000000LL + t->tv_nsec; }

static const char *errname(int e)
{
	return e == ESPIPE ? "ESPIPE" : e == EBADF ? "EBADF" : e == ENOSYS ? "ENOSYS" : "other";
}

int main(void)
{
	struct timespec a, b, r, rt;
	clock_gettime(CLOCK_MONOTONIC, &a);
	struct timespec d = {0, 20 * 1000 * 1000};
	int s = nanosleep(&d, NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("nanosleep rc=%d, slept >= 20ms: %s\n", s, ns(&b) - ns(&a) >= 20000000 ? "yes" : "no");
	printf("monotonic non-decreasing: %s\n", ns(&b) >= ns(&a) ? "yes" : "no");
	int rr = clock_getres(CLOCK_MONOTONIC, &r);
	printf("clock_getres rc=%d, positive: %s\n", rr, ns(&r) > 0 ? "yes" : "no");
	clock_gettime(CLOCK_REALTIME, &rt);
	printf("realtime after 2020: %s\n", rt.tv_sec > 1577836800 ? "yes" : "no");

	unsigned char rnd[32] = {0};
	int e = getentropy(rnd, sizeof rnd);
	int nz = 0;
	for (int i = 0; i < 32; i++)
		nz += rnd[i] != 0;
	printf("getentropy rc=%d, bytes not all zero: %s\n", e, nz > 0 ? "yes" : "no");

	errno = 0;
	off_t o = lseek(1, 0, SEEK_CUR);
	printf("lseek(stdout) = %lld (%s)\n", (long long)o, o < 0 ? errname(errno) : "ok");
	errno = 0;
	int fd = open("/etc/passwd", O_RDONLY);
	printf("open without preopens: %d (%s)\n", fd, fd < 0 ? "refused" : "opened?!");
	errno = 0;
	int c = close(99);
	printf("close(99) = %d (%s)\n", c, errname(errno));
	fflush(stdout);
	fprintf(stderr, "exiting with 7\n");
	exit(7);
}
