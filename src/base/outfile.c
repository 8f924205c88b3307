/* outfile.c - safe creation of output files (outfile.h). */
#include "base/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int ls_outfile_begin(struct ls_outfile *o, const char *path, mode_t mode)
{
	memset(o, 0, sizeof(*o));
	if (strlen(path) >= sizeof(o->path))
		return -ENAMETOOLONG;
	snprintf(o->path, sizeof(o->path), "%s", path);
	snprintf(o->tmp, sizeof(o->tmp), "%s.XXXXXX", path);
	/* mkstemp: O_CREAT|O_EXCL on a random name, mode 0600 */
	int fd = mkstemp(o->tmp);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, mode) || !(o->f = fdopen(fd, "w"))) {
		int e = errno;
		close(fd);
		unlink(o->tmp);
		return -e;
	}
	return 0;
}

int ls_outfile_commit(struct ls_outfile *o)
{
	int bad = fflush(o->f) || ferror(o->f) || fsync(fileno(o->f));
	int e = bad ? (errno ? errno : EIO) : 0;
	if (fclose(o->f) && !e)
		e = errno ? errno : EIO;
	o->f = NULL;
	if (!e && rename(o->tmp, o->path))
		e = errno;
	if (e)
		unlink(o->tmp);
	return -e;
}

void ls_outfile_abort(struct ls_outfile *o)
{
	if (o->f)
		fclose(o->f);
	o->f = NULL;
	unlink(o->tmp);
}

FILE *ls_open_append(const char *path, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK,
		      mode);
	if (fd < 0) {
		if (errno == ENXIO) /* a FIFO nobody reads */
			errno = EINVAL;
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return NULL;
	}
	/* O_NONBLOCK only so that opening a FIFO cannot hang; a regular
	 * file ignores it, but clear it all the same */
	fcntl(fd, F_SETFL, O_APPEND);
	FILE *f = fdopen(fd, "a");
	if (!f)
		close(fd);
	return f;
}
