/* wasi.c - the WASI preview1 subset ("wasi_snapshot_preview1") that lets the
 * engine run command modules built by clang --target=wasm32-wasi (wasi-libc)
 * and by AssemblyScript's wasi-shim.
 *
 * Written against the public API (lockstep/wasm.h) only: guest memory is
 * reached through lw_memory_ptr, which bounds-checks every (pointer, length)
 * the guest hands us. A bad pointer is the guest's bug, so it gets EFAULT
 * back rather than a trap. Time comes from the embedder's clock callback (the
 * host virtualises it); output goes to the embedder's sink. There is no file
 * system: no preopens, and every preview1 function outside the subset is
 * still linked, returning ENOSYS, so that any module built for preview1 links
 * and finds out at run time. See docs/wasm-cli.md for the subset.
 */
#include "lockstep/wasm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

/* WASI errno values (preview1 numbering, not the host's) */
enum {
	WASI_ESUCCESS = 0,
	WASI_EBADF = 8,
	WASI_EFAULT = 21,
	WASI_EINVAL = 28,
	WASI_EIO = 29,
	WASI_ENOSYS = 52,
	WASI_EOVERFLOW = 61,
	WASI_ESPIPE = 70,
};

enum { WASI_FILETYPE_UNKNOWN = 0, WASI_FILETYPE_CHARACTER_DEVICE = 2 };
enum { WASI_EVENTTYPE_CLOCK = 0, WASI_EVENTTYPE_FD_READ = 1, WASI_EVENTTYPE_FD_WRITE = 2 };
#define WASI_RIGHT_FD_READ (1ull << 1)
#define WASI_RIGHT_FD_WRITE (1ull << 6)
#define WASI_SUBCLOCKFLAG_ABSTIME 1u

/* poll_oneoff never blocks the host longer than this per call, whatever the
 * guest asked: a policy module has no business sleeping, and a frozen
 * virtual clock must not hang the host. */
#define WASI_MAX_SLEEP_NS (10ull * 1000 * 1000 * 1000)
/* Longest real sleep between two readings of the (possibly virtual) clock. */
#define WASI_SLEEP_SLICE_NS (5ull * 1000 * 1000)
/* Subscriptions per poll_oneoff call we are willing to look at. */
#define WASI_MAX_SUBSCRIPTIONS 4096u

struct lw_wasi {
	lw_wasi_config cfg;
	/* copies of argv/envp, each string NUL-terminated, packed */
	char **argv, **envp;
	uint32_t args_buf_size, env_buf_size;
	uint64_t rng; /* splitmix64 state when cfg.random_seed != 0 */
	unsigned closed; /* bit per stdio fd the guest closed */
	int exit_code;
	bool exited;
};

/* ---- small helpers ------------------------------------------------------- */

static void put_u16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put_u32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put_u64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static uint32_t get_u32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t get_u64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static uint16_t get_u16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }

/* Guest pointers are i32 values: reinterpret as unsigned 32-bit addresses. */
static uint64_t gaddr(const lw_value *v) { return (uint32_t)v->of.i32; }

/* lw_memory_ptr for a guest range; a zero-length range is fine anywhere up
 * to the end of memory (and then never dereferenced). */
static uint8_t *gptr(lw_instance *in, uint64_t addr, uint64_t len)
{
	static uint8_t empty;
	if (len == 0)
		return addr <= lw_memory_size(in) ? &empty : NULL;
	return lw_memory_ptr(in, addr, len);
}

static lw_call_result ret(lw_value *results, int wasi_errno)
{
	results[0] = LW_VI32(wasi_errno);
	return LW_OK;
}

static int store_u32(lw_instance *in, uint64_t addr, uint32_t v)
{
	uint8_t *p = gptr(in, addr, 4);
	if (!p)
		return WASI_EFAULT;
	put_u32(p, v);
	return WASI_ESUCCESS;
}

static int store_u64(lw_instance *in, uint64_t addr, uint64_t v)
{
	uint8_t *p = gptr(in, addr, 8);
	if (!p)
		return WASI_EFAULT;
	put_u64(p, v);
	return WASI_ESUCCESS;
}

static bool is_stdio(lw_wasi *w, int64_t fd)
{
	return fd >= 0 && fd <= 2 && !(w->closed & (1u << fd));
}

/* ---- clocks -------------------------------------------------------------- */

static int host_clock(uint32_t id, uint64_t *ns)
{
	static const clockid_t ids[] = {CLOCK_REALTIME, CLOCK_MONOTONIC,
					CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID};
	struct timespec ts;
	if (id >= sizeof(ids) / sizeof(ids[0]))
		return WASI_EINVAL;
	if (clock_gettime(ids[id], &ts))
		return WASI_EIO;
	*ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	return WASI_ESUCCESS;
}

static int read_clock(lw_wasi *w, uint32_t id, uint64_t *ns)
{
	if (id > 3)
		return WASI_EINVAL;
	if (w->cfg.clock)
		return w->cfg.clock(w->cfg.clock_user, id, ns);
	return host_clock(id, ns);
}

static lw_call_result wasi_clock_time_get(lw_instance *in, void *user, const lw_value *a,
					  lw_value *r)
{
	uint64_t ns;
	int e = read_clock(user, (uint32_t)a[0].of.i32, &ns);
	if (e)
		return ret(r, e);
	return ret(r, store_u64(in, gaddr(&a[2]), ns));
}

static lw_call_result wasi_clock_res_get(lw_instance *in, void *user, const lw_value *a,
					 lw_value *r)
{
	lw_wasi *w = user;
	if ((uint32_t)a[0].of.i32 > 3)
		return ret(r, WASI_EINVAL);
	uint64_t res = w->cfg.clock_res_ns ? w->cfg.clock_res_ns : 1;
	return ret(r, store_u64(in, gaddr(&a[1]), res));
}

/* ---- args and environment ------------------------------------------------ */

/* Copies n strings into one allocation: the pointer array then the bytes. */
static char **copy_strings(int n, const char *const *src, uint32_t *buf_size)
{
	size_t bytes = 0;
	for (int i = 0; i < n; i++)
		bytes += strlen(src[i]) + 1;
	if (bytes > UINT32_MAX / 2)
		return NULL;
	char **out = malloc(sizeof(char *) * (size_t)(n + 1) + bytes);
	if (!out)
		return NULL;
	char *p = (char *)(out + n + 1);
	for (int i = 0; i < n; i++) {
		size_t len = strlen(src[i]) + 1;
		memcpy(p, src[i], len);
		out[i] = p;
		p += len;
	}
	out[n] = NULL;
	*buf_size = (uint32_t)bytes;
	return out;
}

static int sizes_get(lw_instance *in, const lw_value *a, uint32_t count, uint32_t buf_size)
{
	int e = store_u32(in, gaddr(&a[0]), count);
	return e ? e : store_u32(in, gaddr(&a[1]), buf_size);
}

/* Writes the pointer array at a[0] and the packed strings at a[1]. Checks the
 * whole ranges first so that a failing call writes nothing. */
static int strings_get(lw_instance *in, const lw_value *a, char **strs, uint32_t count,
		       uint32_t buf_size)
{
	uint64_t ptrs = gaddr(&a[0]), buf = gaddr(&a[1]);
	uint8_t *pp = gptr(in, ptrs, (uint64_t)count * 4);
	uint8_t *bp = gptr(in, buf, buf_size);
	if (!pp || !bp)
		return WASI_EFAULT;
	uint32_t off = 0;
	for (uint32_t i = 0; i < count; i++) {
		size_t len = strlen(strs[i]) + 1;
		put_u32(pp + 4 * i, (uint32_t)(buf + off));
		memcpy(bp + off, strs[i], len);
		off += (uint32_t)len;
	}
	return WASI_ESUCCESS;
}

static lw_call_result wasi_args_sizes_get(lw_instance *in, void *user, const lw_value *a,
					  lw_value *r)
{
	lw_wasi *w = user;
	return ret(r, sizes_get(in, a, (uint32_t)w->cfg.argc, w->args_buf_size));
}

static lw_call_result wasi_args_get(lw_instance *in, void *user, const lw_value *a, lw_value *r)
{
	lw_wasi *w = user;
	return ret(r, strings_get(in, a, w->argv, (uint32_t)w->cfg.argc, w->args_buf_size));
}

static lw_call_result wasi_environ_sizes_get(lw_instance *in, void *user, const lw_value *a,
					     lw_value *r)
{
	lw_wasi *w = user;
	return ret(r, sizes_get(in, a, (uint32_t)w->cfg.envc, w->env_buf_size));
}

static lw_call_result wasi_environ_get(lw_instance *in, void *user, const lw_value *a,
				       lw_value *r)
{
	lw_wasi *w = user;
	return ret(r, strings_get(in, a, w->envp, (uint32_t)w->cfg.envc, w->env_buf_size));
}

/* ---- file descriptors: only stdin/stdout/stderr exist --------------------- */

static void host_write(int fd, const uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* the host's stdout went away: drop, as a closed pipe */
		buf += n;
		len -= (size_t)n;
	}
}

static lw_call_result wasi_fd_write(lw_instance *in, void *user, const lw_value *a, lw_value *r)
{
	lw_wasi *w = user;
	int32_t fd = a[0].of.i32;
	uint64_t iovs = gaddr(&a[1]), niov = (uint32_t)a[2].of.i32;

	/* validate the whole request before any byte leaves: the iovec array,
	 * each buffer, the result pointer, and the total against u32 */
	const uint8_t *iov = gptr(in, iovs, niov * 8);
	uint8_t *nwritten = gptr(in, gaddr(&a[3]), 4);
	if (!iov || !nwritten)
		return ret(r, WASI_EFAULT);
	uint64_t total = 0;
	for (uint64_t i = 0; i < niov; i++) {
		uint32_t len = get_u32(iov + 8 * i + 4);
		if (!gptr(in, get_u32(iov + 8 * i), len))
			return ret(r, WASI_EFAULT);
		total += len;
	}
	if (total > UINT32_MAX)
		return ret(r, WASI_EOVERFLOW);
	if (fd != 1 && fd != 2)
		return ret(r, WASI_EBADF);
	if (!is_stdio(w, fd))
		return ret(r, WASI_EBADF);

	for (uint64_t i = 0; i < niov; i++) {
		uint32_t len = get_u32(iov + 8 * i + 4);
		if (!len)
			continue;
		const uint8_t *buf = gptr(in, get_u32(iov + 8 * i), len);
		if (w->cfg.sink)
			w->cfg.sink(w->cfg.sink_user, fd, buf, len);
		else
			host_write(fd, buf, len);
	}
	put_u32(nwritten, (uint32_t)total);
	return ret(r, WASI_ESUCCESS);
}

static lw_call_result wasi_fd_fdstat_get(lw_instance *in, void *user, const lw_value *a,
					 lw_value *r)
{
	lw_wasi *w = user;
	int32_t fd = a[0].of.i32;
	if (!is_stdio(w, fd))
		return ret(r, WASI_EBADF);
	uint8_t *p = gptr(in, gaddr(&a[1]), 24);
	if (!p)
		return ret(r, WASI_EFAULT);
	/* A terminal only when the bytes really go to one: wasi-libc then line
	 * buffers stdout; otherwise it buffers fully (faster, same bytes). */
	bool tty = !w->cfg.sink && isatty(fd);
	memset(p, 0, 24);
	p[0] = tty ? WASI_FILETYPE_CHARACTER_DEVICE : WASI_FILETYPE_UNKNOWN;
	put_u16(p + 2, 0);
	put_u64(p + 8, fd == 0 ? WASI_RIGHT_FD_READ : WASI_RIGHT_FD_WRITE);
	put_u64(p + 16, 0);
	return ret(r, WASI_ESUCCESS);
}

static lw_call_result wasi_fd_close(lw_instance *in, void *user, const lw_value *a, lw_value *r)
{
	lw_wasi *w = user;
	int32_t fd = a[0].of.i32;
	if (!is_stdio(w, fd))
		return ret(r, WASI_EBADF);
	w->closed |= 1u << fd; /* the host's own descriptor stays open */
	return ret(r, WASI_ESUCCESS);
}

static lw_call_result wasi_fd_seek(lw_instance *in, void *user, const lw_value *a, lw_value *r)
{
	int32_t fd = a[0].of.i32;
	uint32_t whence = (uint32_t)a[2].of.i32;
	if (!is_stdio(user, fd))
		return ret(r, WASI_EBADF);
	if (whence > 2)
		return ret(r, WASI_EINVAL);
	if (!gptr(in, gaddr(&a[3]), 8))
		return ret(r, WASI_EFAULT);
	return ret(r, WASI_ESPIPE); /* stdio are streams */
}

static lw_call_result wasi_fd_tell(lw_instance *in, void *user, const lw_value *a, lw_value *r)
{
	int32_t fd = a[0].of.i32;
	if (!is_stdio(user, fd))
		return ret(r, WASI_EBADF);
	if (!gptr(in, gaddr(&a[1]), 8))
		return ret(r, WASI_EFAULT);
	return ret(r, WASI_ESPIPE);
}

/* No preopened directories: wasi-libc probes fd 3, 4, ... until EBADF. */
static lw_call_result wasi_fd_prestat_get(lw_instance *in, void *user, const lw_value *a,
					  lw_value *r)
{
	return ret(r, WASI_EBADF);
}

static lw_call_result wasi_fd_prestat_dir_name(lw_instance *in, void *user, const lw_value *a,
					       lw_value *r)
{
	return ret(r, WASI_EBADF);
}

/* ---- randomness, process, scheduling ------------------------------------ */

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static lw_call_result wasi_random_get(lw_instance *in, void *user, const lw_value *a,
				      lw_value *r)
{
	lw_wasi *w = user;
	uint32_t len = (uint32_t)a[1].of.i32;
	uint8_t *p = gptr(in, gaddr(&a[0]), len);
	if (!p)
		return ret(r, WASI_EFAULT);
	if (w->cfg.random_seed) {
		for (uint32_t i = 0; i < len; i += 8) {
			uint64_t v = splitmix64(&w->rng);
			memcpy(p + i, &v, len - i < 8 ? len - i : 8);
		}
		return ret(r, WASI_ESUCCESS);
	}
	while (len) {
		ssize_t n = getrandom(p, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return ret(r, WASI_EIO);
		p += n;
		len -= (uint32_t)n;
	}
	return ret(r, WASI_ESUCCESS);
}

static lw_call_result wasi_proc_exit(lw_instance *in, void *user, const lw_value *a,
				     lw_value *r)
{
	lw_wasi *w = user;
	w->exited = true;
	/* a WASI exit code is a u32; keep it non-negative for run_start */
	w->exit_code = (uint32_t)a[0].of.i32 > INT32_MAX ? INT32_MAX : a[0].of.i32;
	lw_host_trap(in, "exit %u", (uint32_t)a[0].of.i32);
	return LW_TRAP_EXIT;
}

static lw_call_result wasi_sched_yield(lw_instance *in, void *user, const lw_value *a,
				       lw_value *r)
{
	sched_yield();
	return ret(r, WASI_ESUCCESS);
}

/* ---- poll_oneoff: clock subscriptions sleep, stdio is always writable ---- */

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = {(time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull)};
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Sleeps until the guest clock `id` reads at least deadline, in slices so a
 * virtual clock that runs fast or slow is followed; never longer than
 * WASI_MAX_SLEEP_NS of real time. */
static int sleep_until(lw_wasi *w, uint32_t id, uint64_t deadline)
{
	uint64_t start_real = 0, now_real = 0;
	host_clock(1, &start_real);
	for (;;) {
		uint64_t now;
		int e = read_clock(w, id, &now);
		if (e)
			return e;
		if (now >= deadline)
			return 0;
		host_clock(1, &now_real);
		if (now_real - start_real >= WASI_MAX_SLEEP_NS)
			return 0;
		uint64_t left = deadline - now;
		sleep_ns(left < WASI_SLEEP_SLICE_NS ? left : WASI_SLEEP_SLICE_NS);
	}
}

static lw_call_result wasi_poll_oneoff(lw_instance *in, void *user, const lw_value *a,
				       lw_value *r)
{
	lw_wasi *w = user;
	uint32_t nsubs = (uint32_t)a[2].of.i32;
	if (nsubs == 0)
		return ret(r, WASI_EINVAL);
	if (nsubs > WASI_MAX_SUBSCRIPTIONS)
		return ret(r, WASI_ENOSYS);
	const uint8_t *subs = gptr(in, gaddr(&a[0]), (uint64_t)nsubs * 48);
	uint8_t *events = gptr(in, gaddr(&a[1]), (uint64_t)nsubs * 32);
	uint8_t *nevents = gptr(in, gaddr(&a[3]), 4);
	if (!subs || !events || !nevents)
		return ret(r, WASI_EFAULT);

	/* First pass: fd subscriptions answer at once; find the earliest clock
	 * deadline (converted to absolute time on its own clock). */
	uint32_t n = 0;
	int64_t first = -1;
	uint64_t first_deadline = 0;
	uint32_t first_clock = 0;
	uint64_t deadlines[64]; /* per clock subscription, the first 64 */
	for (uint32_t i = 0; i < nsubs; i++) {
		const uint8_t *s = subs + 48 * i;
		uint8_t tag = s[8];
		uint8_t *ev = events + 32 * n;
		if (tag == WASI_EVENTTYPE_CLOCK) {
			uint32_t id = get_u32(s + 16);
			uint64_t timeout = get_u64(s + 24);
			uint16_t flags = get_u16(s + 40);
			uint64_t now, deadline;
			int e = read_clock(w, id, &now);
			if (!e) {
				deadline = (flags & WASI_SUBCLOCKFLAG_ABSTIME) ? timeout
									       : now + timeout;
				if (deadline < now && !(flags & WASI_SUBCLOCKFLAG_ABSTIME))
					deadline = UINT64_MAX; /* overflowed: forever */
				if (i < 64)
					deadlines[i] = deadline;
				if (first < 0 || deadline < first_deadline) {
					first = i;
					first_deadline = deadline;
					first_clock = id;
				}
				continue;
			}
			memset(ev, 0, 32);
			put_u64(ev, get_u64(s));
			put_u16(ev + 8, (uint16_t)e);
			ev[10] = tag;
			n++;
		} else if (tag == WASI_EVENTTYPE_FD_READ || tag == WASI_EVENTTYPE_FD_WRITE) {
			uint32_t fd = get_u32(s + 16);
			bool ok = tag == WASI_EVENTTYPE_FD_WRITE && (fd == 1 || fd == 2) &&
				  is_stdio(w, fd);
			memset(ev, 0, 32);
			put_u64(ev, get_u64(s));
			put_u16(ev + 8, ok ? WASI_ESUCCESS : WASI_EBADF);
			ev[10] = tag;
			n++;
		} else {
			return ret(r, WASI_EINVAL);
		}
	}
	if (n == 0 && first >= 0) {
		int e = sleep_until(w, first_clock, first_deadline);
		if (e)
			return ret(r, e);
		/* report every clock subscription that is due now (at least the
		 * earliest one: the sleep may have been cut by the bound) */
		for (uint32_t i = 0; i < nsubs; i++) {
			const uint8_t *s = subs + 48 * i;
			if (s[8] != WASI_EVENTTYPE_CLOCK)
				continue;
			uint64_t now = 0;
			bool due = (int64_t)i == first;
			if (!due && i < 64 && !read_clock(w, get_u32(s + 16), &now))
				due = now >= deadlines[i];
			if (!due)
				continue;
			uint8_t *ev = events + 32 * n;
			memset(ev, 0, 32);
			put_u64(ev, get_u64(s));
			ev[10] = WASI_EVENTTYPE_CLOCK;
			n++;
		}
	}
	put_u32(nevents, n);
	return ret(r, WASI_ESUCCESS);
}

/* ---- everything else in preview1: linked, returns ENOSYS ------------------ */

static lw_call_result wasi_enosys(lw_instance *in, void *user, const lw_value *a, lw_value *r)
{
	return ret(r, WASI_ENOSYS);
}

struct wasi_fn {
	const char *name;
	const char *sig;
	lw_host_fn fn;
};

/* The whole wasi_snapshot_preview1 interface, with each signature as the
 * witx lowering gives it (pointers and sizes i32, 64-bit values I). */
static const struct wasi_fn wasi_fns[] = {
	{"args_get", "(ii)i", wasi_args_get},
	{"args_sizes_get", "(ii)i", wasi_args_sizes_get},
	{"environ_get", "(ii)i", wasi_environ_get},
	{"environ_sizes_get", "(ii)i", wasi_environ_sizes_get},
	{"clock_res_get", "(ii)i", wasi_clock_res_get},
	{"clock_time_get", "(iIi)i", wasi_clock_time_get},
	{"fd_advise", "(iIIi)i", wasi_enosys},
	{"fd_allocate", "(iII)i", wasi_enosys},
	{"fd_close", "(i)i", wasi_fd_close},
	{"fd_datasync", "(i)i", wasi_enosys},
	{"fd_fdstat_get", "(ii)i", wasi_fd_fdstat_get},
	{"fd_fdstat_set_flags", "(ii)i", wasi_enosys},
	{"fd_fdstat_set_rights", "(iII)i", wasi_enosys},
	{"fd_filestat_get", "(ii)i", wasi_enosys},
	{"fd_filestat_set_size", "(iI)i", wasi_enosys},
	{"fd_filestat_set_times", "(iIIi)i", wasi_enosys},
	{"fd_pread", "(iiiIi)i", wasi_enosys},
	{"fd_prestat_get", "(ii)i", wasi_fd_prestat_get},
	{"fd_prestat_dir_name", "(iii)i", wasi_fd_prestat_dir_name},
	{"fd_pwrite", "(iiiIi)i", wasi_enosys},
	{"fd_read", "(iiii)i", wasi_enosys},
	{"fd_readdir", "(iiiIi)i", wasi_enosys},
	{"fd_renumber", "(ii)i", wasi_enosys},
	{"fd_seek", "(iIii)i", wasi_fd_seek},
	{"fd_sync", "(i)i", wasi_enosys},
	{"fd_tell", "(ii)i", wasi_fd_tell},
	{"fd_write", "(iiii)i", wasi_fd_write},
	{"path_create_directory", "(iii)i", wasi_enosys},
	{"path_filestat_get", "(iiiii)i", wasi_enosys},
	{"path_filestat_set_times", "(iiiiIIi)i", wasi_enosys},
	{"path_link", "(iiiiiii)i", wasi_enosys},
	{"path_open", "(iiiiiIIii)i", wasi_enosys},
	{"path_readlink", "(iiiiii)i", wasi_enosys},
	{"path_remove_directory", "(iii)i", wasi_enosys},
	{"path_rename", "(iiiiii)i", wasi_enosys},
	{"path_symlink", "(iiiii)i", wasi_enosys},
	{"path_unlink_file", "(iii)i", wasi_enosys},
	{"poll_oneoff", "(iiii)i", wasi_poll_oneoff},
	{"proc_exit", "(i)", wasi_proc_exit},
	{"proc_raise", "(i)i", wasi_enosys},
	{"random_get", "(ii)i", wasi_random_get},
	{"sched_yield", "()i", wasi_sched_yield},
	{"sock_accept", "(iii)i", wasi_enosys},
	{"sock_recv", "(iiiiii)i", wasi_enosys},
	{"sock_send", "(iiiii)i", wasi_enosys},
	{"sock_shutdown", "(ii)i", wasi_enosys},
};

/* ---- public API ------------------------------------------------------------ */

lw_wasi *lw_wasi_new(const lw_wasi_config *cfg)
{
	lw_wasi *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	if (cfg)
		w->cfg = *cfg;
	if (w->cfg.argc < 0 || w->cfg.envc < 0 || (w->cfg.argc && !w->cfg.argv) ||
	    (w->cfg.envc && !w->cfg.envp))
		goto fail;
	w->argv = copy_strings(w->cfg.argc, w->cfg.argv, &w->args_buf_size);
	w->envp = copy_strings(w->cfg.envc, w->cfg.envp, &w->env_buf_size);
	if (!w->argv || !w->envp)
		goto fail;
	/* the config's pointers may die with the caller: point at our copies */
	w->cfg.argv = (const char *const *)w->argv;
	w->cfg.envp = (const char *const *)w->envp;
	w->rng = w->cfg.random_seed;
	return w;
fail:
	lw_wasi_free(w);
	return NULL;
}

void lw_wasi_free(lw_wasi *w)
{
	if (!w)
		return;
	free(w->argv);
	free(w->envp);
	free(w);
}

int lw_wasi_link(lw_wasi *w, lw_imports *imp)
{
	for (size_t i = 0; i < sizeof(wasi_fns) / sizeof(wasi_fns[0]); i++)
		if (lw_imports_add_func(imp, "wasi_snapshot_preview1", wasi_fns[i].name,
					wasi_fns[i].sig, wasi_fns[i].fn, w))
			return -1;
	return 0;
}

int lw_wasi_run_start(lw_wasi *w, lw_instance *in, lw_trap_info *trap)
{
	lw_trap_info none = {.kind = LW_OK, .func_index = -1};
	w->exited = false;
	w->exit_code = 0;
	lw_call_result rc = lw_call(in, "_start", NULL, 0, NULL, 0);
	if (rc == LW_OK || (rc == LW_TRAP_EXIT && w->exited)) {
		if (trap)
			*trap = none;
		return rc == LW_OK ? 0 : w->exit_code;
	}
	if (trap) {
		const lw_trap_info *t = lw_instance_trap(in);
		*trap = t ? *t : none;
		trap->kind = rc;
		if (!t)
			strcpy(trap->message, lw_trap_message(rc));
	}
	return -1;
}
