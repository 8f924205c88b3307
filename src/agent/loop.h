/* loop.h - the agent's one event loop (epoll, in the spirit of Redis ae.c).
 *
 * Everything the agent waits on is a file descriptor watched here: the ring
 * buffer, timers (timerfd), signals (signalfd), later sockets. One thread;
 * handlers are short and never block. No hidden threads anywhere.
 */
#ifndef LS_LOOP_H
#define LS_LOOP_H

#include <stdint.h>

struct ls_loop;

/* fd is readable/writable (events: EPOLLIN/EPOLLOUT/EPOLLERR/EPOLLHUP...). */
typedef void (*ls_loop_fd_fn)(struct ls_loop *loop, int fd, uint32_t events, void *data);
/* a periodic timer fired; `missed` is how many periods passed beyond one. */
typedef void (*ls_loop_timer_fn)(struct ls_loop *loop, uint64_t missed, void *data);
/* one of the registered signals arrived (delivered through a signalfd). */
typedef void (*ls_loop_signal_fn)(struct ls_loop *loop, int signo, void *data);

struct ls_loop *ls_loop_new(void);
/* Closes the timer and signal fds it made and restores the signal mask. */
void ls_loop_free(struct ls_loop *loop);

/* Watch fd (owned by the caller) for events; returns 0 or -errno. */
int ls_loop_add_fd(struct ls_loop *loop, int fd, uint32_t events, ls_loop_fd_fn fn, void *data);
int ls_loop_del_fd(struct ls_loop *loop, int fd);

/* Periodic timer on CLOCK_BOOTTIME (clock K): first fires after interval_ns.
 * Returns a timer id (>= 0) for ls_loop_del_timer, or -errno. */
int ls_loop_add_timer(struct ls_loop *loop, uint64_t interval_ns, ls_loop_timer_fn fn, void *data);
int ls_loop_del_timer(struct ls_loop *loop, int id);

/* Block the given signals and deliver them through the loop instead. */
int ls_loop_add_signals(struct ls_loop *loop, const int *signos, int n, ls_loop_signal_fn fn,
			void *data);

/* Runs until ls_loop_stop(); returns the code given to it, or -errno when
 * epoll itself fails. */
int ls_loop_run(struct ls_loop *loop);
void ls_loop_stop(struct ls_loop *loop, int code);

#endif
