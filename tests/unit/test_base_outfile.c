/* test_base_outfile.c - output files are created safely (base/outfile.h):
 * no predictable temporary name to plant a symlink at, no appending through
 * a symlink or into a FIFO, mode 0600. */
#include "test.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/outfile.h"

static char dir[] = "/tmp/ls-test-outfile.XXXXXX";

static int count_entries(void)
{
	int n = 0;
	DIR *d = opendir(dir);
	for (struct dirent *e; d && (e = readdir(d));)
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static void slurp(const char *path, char *buf, size_t len)
{
	buf[0] = 0;
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	size_t n = fread(buf, 1, len - 1, f);
	buf[n] = 0;
	fclose(f);
}

TEST(base_outfile_replaces_atomically_with_mode_0600)
{
	char path[256], got[64];
	struct stat st;
	snprintf(path, sizeof(path), "%s/trace.json", dir);
	struct ls_outfile o;
	CHECK_EQ_INT(ls_outfile_begin(&o, path, LS_FILE_MODE_DEFAULT), 0);
	fputs("one", o.f);
	CHECK_EQ_INT(access(path, F_OK), -1); /* nothing at path until commit */
	CHECK_EQ_INT(ls_outfile_commit(&o), 0);
	slurp(path, got, sizeof(got));
	CHECK_EQ_STR(got, "one");
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK_EQ_INT(count_entries(), 1); /* no temporary left behind */
	CHECK_EQ_INT(ls_outfile_begin(&o, "/nonexistent-dir/x.json", 0600), -ENOENT);
	unlink(path);
}

/* The old writer used PATH.tmp: a symlink planted there made root
 * overwrite its target. */
TEST(base_outfile_ignores_a_planted_tmp_symlink)
{
	char path[256], tmp[300], victim[256], got[64];
	snprintf(path, sizeof(path), "%s/t.json", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	FILE *v = fopen(victim, "w");
	fputs("secret", v);
	fclose(v);
	CHECK_EQ_INT(symlink(victim, tmp), 0);
	struct ls_outfile o;
	CHECK_EQ_INT(ls_outfile_begin(&o, path, 0600), 0);
	fputs("trace", o.f);
	CHECK_EQ_INT(ls_outfile_commit(&o), 0);
	slurp(victim, got, sizeof(got));
	CHECK_EQ_STR(got, "secret");
	slurp(path, got, sizeof(got));
	CHECK_EQ_STR(got, "trace");
	unlink(tmp);
	unlink(victim);
	unlink(path);
}

TEST(base_open_append_refuses_symlinks_fifos_and_directories)
{
	char path[256], link[256], fifo[256];
	struct stat st;
	snprintf(path, sizeof(path), "%s/log.jsonl", dir);
	snprintf(link, sizeof(link), "%s/link", dir);
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	FILE *f = ls_open_append(path, LS_FILE_MODE_DEFAULT);
	CHECK(f != NULL);
	if (f)
		fclose(f);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK_EQ_INT(symlink(path, link), 0);
	errno = 0;
	CHECK(ls_open_append(link, 0600) == NULL && errno == ELOOP);
	CHECK_EQ_INT(mkfifo(fifo, 0600), 0);
	errno = 0;
	CHECK(ls_open_append(fifo, 0600) == NULL && errno == EINVAL); /* and did not hang */
	errno = 0;
	CHECK(ls_open_append(dir, 0600) == NULL && errno == EISDIR);
	unlink(link);
	unlink(fifo);
	unlink(path);
}

int main(int argc, char **argv)
{
	test_args(argc, argv);
	if (!mkdtemp(dir)) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	RUN(base_outfile_replaces_atomically_with_mode_0600);
	RUN(base_outfile_ignores_a_planted_tmp_symlink);
	RUN(base_open_append_refuses_symlinks_fifos_and_directories);
	rmdir(dir);
	return test_done();
}
