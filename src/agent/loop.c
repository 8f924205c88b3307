/* loop.c - the epoll event loop of loop.h: a table of handlers indexed by a
 * slot number carried in epoll_event.data; timers and signals are fds too. */
#include "agent/loop.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

enum slot_kind { SLOT_FREE, SLOT_FD, SLOT_TIMER, SLOT_SIGNAL };

struct slot {
	enum slot_kind kind;
	int fd;
	void *data;
	union {
		ls_loop_fd_fn fd_fn;
		ls_loop_timer_fn timer_fn;
		ls_loop_signal_fn signal_fn;
	};
};

struct ls_loop {
	int epfd;            /* the epoll instance */
	struct slot *slots;  /* handlers; index travels in epoll data */
	int nslots;          /* allocated entries of slots */
	bool stop;           /* set by ls_loop_stop, checked each round */
	int code;            /* what ls_loop_run returns */
	sigset_t old_mask;   /* restored by ls_loop_free */
	bool masked;         /* old_mask is valid */
};

struct ls_loop *ls_loop_new(void)
{
	struct ls_loop *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		free(l);
		return NULL;
	}
	return l;
}

void ls_loop_free(struct ls_loop *l)
{
	if (!l)
		return;
	for (int i = 0; i < l->nslots; i++)
		if (l->slots[i].kind == SLOT_TIMER || l->slots[i].kind == SLOT_SIGNAL)
			close(l->slots[i].fd);
	if (l->masked)
		sigprocmask(SIG_SETMASK, &l->old_mask, NULL);
	close(l->epfd);
	free(l->slots);
	free(l);
}

static int slot_new(struct ls_loop *l)
{
	for (int i = 0; i < l->nslots; i++)
		if (l->slots[i].kind == SLOT_FREE)
			return i;
	int n = l->nslots ? l->nslots * 2 : 8;
	struct slot *s = realloc(l->slots, (size_t)n * sizeof(*s));
	if (!s)
		return -ENOMEM;
	memset(s + l->nslots, 0, (size_t)(n - l->nslots) * sizeof(*s));
	l->slots = s;
	int i = l->nslots;
	l->nslots = n;
	return i;
}

static int watch(struct ls_loop *l, int i, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.u32 = (uint32_t)i};
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->slots[i].fd, &ev)) {
		int rc = -errno;
		l->slots[i].kind = SLOT_FREE;
		return rc;
	}
	return 0;
}

int ls_loop_add_fd(struct ls_loop *l, int fd, uint32_t events, ls_loop_fd_fn fn, void *data)
{
	int i = slot_new(l);
	if (i < 0)
		return i;
	l->slots[i] = (struct slot){.kind = SLOT_FD, .fd = fd, .data = data, .fd_fn = fn};
	return watch(l, i, events);
}

int ls_loop_del_fd(struct ls_loop *l, int fd)
{
	for (int i = 0; i < l->nslots; i++)
		if (l->slots[i].kind == SLOT_FD && l->slots[i].fd == fd) {
			epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
			l->slots[i].kind = SLOT_FREE;
			return 0;
		}
	return -ENOENT;
}

int ls_loop_add_timer(struct ls_loop *l, uint64_t interval_ns, ls_loop_timer_fn fn, void *data)
{
	if (!interval_ns)
		return -EINVAL;
	int fd = timerfd_create(CLOCK_BOOTTIME, TFD_NONBLOCK | TFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct timespec ts = {.tv_sec = (time_t)(interval_ns / 1000000000ull),
			      .tv_nsec = (long)(interval_ns % 1000000000ull)};
	struct itimerspec its = {.it_interval = ts, .it_value = ts};
	int i = slot_new(l);
	if (i < 0 || timerfd_settime(fd, 0, &its, NULL)) {
		int rc = i < 0 ? i : -errno;
		close(fd);
		return rc;
	}
	l->slots[i] = (struct slot){.kind = SLOT_TIMER, .fd = fd, .data = data, .timer_fn = fn};
	int rc = watch(l, i, EPOLLIN);
	if (rc) {
		close(fd);
		return rc;
	}
	return i;
}

int ls_loop_del_timer(struct ls_loop *l, int id)
{
	if (id < 0 || id >= l->nslots || l->slots[id].kind != SLOT_TIMER)
		return -ENOENT;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, l->slots[id].fd, NULL);
	close(l->slots[id].fd);
	l->slots[id].kind = SLOT_FREE;
	return 0;
}

int ls_loop_add_signals(struct ls_loop *l, const int *signos, int n, ls_loop_signal_fn fn,
			void *data)
{
	sigset_t set, old;
	sigemptyset(&set);
	for (int k = 0; k < n; k++)
		sigaddset(&set, signos[k]);
	if (sigprocmask(SIG_BLOCK, &set, &old))
		return -errno;
	if (!l->masked) {
		l->old_mask = old;
		l->masked = true;
	}
	int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	int i = slot_new(l);
	if (i < 0) {
		close(fd);
		return i;
	}
	l->slots[i] = (struct slot){.kind = SLOT_SIGNAL, .fd = fd, .data = data, .signal_fn = fn};
	int rc = watch(l, i, EPOLLIN);
	if (rc)
		close(fd);
	return rc;
}

static void dispatch(struct ls_loop *l, const struct epoll_event *ev)
{
	int i = (int)ev->data.u32;
	if (i >= l->nslots)
		return;
	struct slot s = l->slots[i]; /* a handler may free its own slot */
	switch (s.kind) {
	case SLOT_FD:
		s.fd_fn(l, s.fd, ev->events, s.data);
		break;
	case SLOT_TIMER: {
		uint64_t n = 0;
		if (read(s.fd, &n, sizeof(n)) == sizeof(n) && n > 0)
			s.timer_fn(l, n - 1, s.data);
		break;
	}
	case SLOT_SIGNAL: {
		struct signalfd_siginfo si;
		while (read(s.fd, &si, sizeof(si)) == sizeof(si))
			s.signal_fn(l, (int)si.ssi_signo, s.data);
		break;
	}
	case SLOT_FREE:
		break;
	}
}

int ls_loop_run(struct ls_loop *l)
{
	struct epoll_event evs[16];
	l->stop = false;
	while (!l->stop) {
		int n = epoll_wait(l->epfd, evs, 16, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int k = 0; k < n && !l->stop; k++)
			dispatch(l, &evs[k]);
	}
	return l->code;
}

void ls_loop_stop(struct ls_loop *l, int code)
{
	l->stop = true;
	l->code = code;
}
