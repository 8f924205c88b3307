/* file.c - whole-file reads with a limit (see file.h). */
#include "base/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* "1 MiB" for exact multiples, else bytes: messages name the limit as the
 * user would have typed it. */
static void limit_str(size_t max, char *buf, size_t cap)
{
	if (max >= (1u << 20) && max % (1u << 20) == 0)
		snprintf(buf, cap, "%zu MiB", max >> 20);
	else if (max >= 1024 && max % 1024 == 0)
		snprintf(buf, cap, "%zu KiB", max >> 10);
	else
		snprintf(buf, cap, "%zu bytes", max);
}

int ls_read_file(const char *path, size_t max, char **out, size_t *len, struct ls_err *err)
{
	char lim[32];
	limit_str(max, lim, sizeof(lim));
	/* O_NONBLOCK: opening a FIFO must not wait for a writer before we can
	 * see that it is a FIFO */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return ls_errf(err, -errno, "%s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st)) {
		int e = errno;
		close(fd);
		return ls_errf(err, -e, "%s: %s", path, strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return ls_errf(err, -EINVAL, "%s: not a regular file", path);
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return ls_errf(err, -EFBIG, "%s: larger than %s", path, lim);
	}
	/* the size is a hint only: the file may grow or shrink while read, so
	 * read up to one byte past the limit to see whether it is over */
	size_t cap = (size_t)st.st_size + 1, n = 0;
	char *buf = malloc(cap + 1);
	for (;;) {
		if (!buf) {
			close(fd);
			return ls_errf(err, -ENOMEM, "%s: out of memory", path);
		}
		if (n == cap) {
			if (n > max)
				break;
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			char *nb = realloc(buf, cap + 1);
			if (!nb)
				free(buf);
			buf = nb;
			continue;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(buf);
			close(fd);
			return ls_errf(err, -e, "%s: %s", path, strerror(e));
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (n > max) {
		free(buf);
		return ls_errf(err, -EFBIG, "%s: larger than %s", path, lim);
	}
	buf[n] = 0;
	*out = buf;
	*len = n;
	return 0;
}

int ls_read_arg(const char *arg, size_t max, char **out, size_t *len, struct ls_err *err)
{
	if (arg && arg[0] == '@')
		return ls_read_file(arg + 1, max, out, len, err);
	*out = strdup(arg ? arg : "");
	if (!*out)
		return ls_errf(err, -ENOMEM, "out of memory");
	*len = strlen(*out);
	return 0;
}
