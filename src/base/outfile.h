/* outfile.h - creating the files lockstep writes (trace, log, report)
 * safely in directories other users may write to: a whole file is written
 * to a fresh mkstemp() name beside its target and renamed over it (no
 * predictable PATH.tmp a local user could plant a symlink at), and a file
 * appended to is opened with O_NOFOLLOW and must be a regular file. Both
 * are created 0600: they hold DPI hostnames. */
#ifndef LS_BASE_OUTFILE_H
#define LS_BASE_OUTFILE_H

#include <stdio.h>
#include <sys/types.h>

#define LS_FILE_MODE_DEFAULT 0600

struct ls_outfile {
	FILE *f;
	char tmp[4200];  /* the temporary name while writing */
	char path[4096]; /* where it goes on commit */
};

/* Opens a temporary file beside path for writing. 0, or -errno. */
int ls_outfile_begin(struct ls_outfile *o, const char *path, mode_t mode);
/* Flushes, closes and renames it over path: 0, or -errno (the temporary
 * file is removed and path untouched). */
int ls_outfile_commit(struct ls_outfile *o);
/* Closes and removes the temporary file. */
void ls_outfile_abort(struct ls_outfile *o);

/* Opens path for appending (created with mode if missing): not through a
 * symlink, only a regular file. NULL with errno set (ELOOP: a symlink;
 * EINVAL: not a regular file). */
FILE *ls_open_append(const char *path, mode_t mode);

#endif
