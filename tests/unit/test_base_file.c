/* test_base_file.c - whole-file reads with a limit (src/base/file.c):
 * what is not a regular file is refused without blocking (/dev/zero never
 * ends, a FIFO with no writer would block open), a file one byte over the
 * limit is refused, one exactly at it is read whole. */
#include "test.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"

static char dir[] = "/tmp/ls_file_XXXXXX";

static void path_in(char *buf, size_t cap, const char *name)
{
	snprintf(buf, cap, "%s/%s", dir, name);
}

static void write_bytes(const char *path, size_t n, char c)
{
	FILE *f = fopen(path, "wb");
	for (size_t i = 0; i < n; i++)
		fputc(c, f);
	fclose(f);
}

TEST(refuses_what_is_not_a_regular_file)
{
	char *buf = NULL, fifo[64];
	size_t len;
	struct ls_err e;
	CHECK_EQ_INT(ls_read_file("/dev/zero", 1 << 20, &buf, &len, &e), -EINVAL);
	CHECK_EQ_STR(e.msg, "/dev/zero: not a regular file");
	CHECK_EQ_INT(e.code, -EINVAL);
	CHECK_EQ_INT(ls_read_file(dir, 1 << 20, &buf, &len, &e), -EINVAL);
	CHECK(strstr(e.msg, "not a regular file"));
	path_in(fifo, sizeof(fifo), "fifo");
	CHECK_EQ_INT(mkfifo(fifo, 0600), 0);
	alarm(10); /* a blocking open would hang here: fail loudly instead */
	CHECK_EQ_INT(ls_read_file(fifo, 1 << 20, &buf, &len, &e), -EINVAL);
	alarm(0);
	CHECK(strstr(e.msg, "fifo: not a regular file"));
	unlink(fifo);
	CHECK(buf == NULL);
}

TEST(limit_is_exact)
{
	char p[64], *buf = NULL;
	size_t len = 0;
	struct ls_err e;
	path_in(p, sizeof(p), "big");
	write_bytes(p, (1 << 20) + 1, 'x');
	CHECK_EQ_INT(ls_read_file(p, 1 << 20, &buf, &len, &e), -EFBIG);
	CHECK(strstr(e.msg, "big: larger than 1 MiB"));
	write_bytes(p, 1 << 20, 'y');
	CHECK_EQ_INT(ls_read_file(p, 1 << 20, &buf, &len, &e), 0);
	CHECK_EQ_INT(len, 1 << 20);
	CHECK(buf && buf[0] == 'y' && buf[(1 << 20) - 1] == 'y' && buf[1 << 20] == 0);
	free(buf);
	write_bytes(p, 0, 0);
	CHECK_EQ_INT(ls_read_file(p, 1 << 20, &buf, &len, &e), 0);
	CHECK_EQ_INT(len, 0);
	CHECK(buf && buf[0] == 0);
	free(buf);
	write_bytes(p, 1001, 'z');
	CHECK_EQ_INT(ls_read_file(p, 1000, &buf, &len, &e), -EFBIG);
	CHECK(strstr(e.msg, "larger than 1000 bytes"));
	unlink(p);
}

/* /proc files say size 0 and have content: the size is only a hint. */
TEST(reads_past_a_zero_size)
{
	char *buf = NULL;
	size_t len = 0;
	struct ls_err e;
	CHECK_EQ_INT(ls_read_file("/proc/self/status", 1 << 20, &buf, &len, &e), 0);
	CHECK(len > 0 && buf && strstr(buf, "Name:") == buf && strlen(buf) == len);
	free(buf);
	CHECK_EQ_INT(ls_read_file("/proc/self/status", 10, &buf, &len, &e), -EFBIG);
}

TEST(missing_file_names_path_and_reason)
{
	char p[64], *buf;
	size_t len;
	struct ls_err e;
	path_in(p, sizeof(p), "nope");
	CHECK_EQ_INT(ls_read_file(p, 100, &buf, &len, &e), -ENOENT);
	CHECK(strstr(e.msg, "nope: No such file or directory"));
}

TEST(literal_or_at_file)
{
	char p[64], at[80], *buf = NULL;
	size_t len = 0;
	struct ls_err e;
	CHECK_EQ_INT(ls_read_arg("hosts=a.test", 100, &buf, &len, &e), 0);
	CHECK_EQ_STR(buf, "hosts=a.test");
	CHECK_EQ_INT(len, 12);
	free(buf);
	CHECK_EQ_INT(ls_read_arg(NULL, 100, &buf, &len, &e), 0);
	CHECK_EQ_STR(buf, "");
	free(buf);
	path_in(p, sizeof(p), "cfg");
	write_bytes(p, 3, 'c');
	snprintf(at, sizeof(at), "@%s", p);
	CHECK_EQ_INT(ls_read_arg(at, 100, &buf, &len, &e), 0);
	CHECK_EQ_STR(buf, "ccc");
	free(buf);
	CHECK_EQ_INT(ls_read_arg(at, 2, &buf, &len, &e), -EFBIG);
	unlink(p);
}

int main(int argc, char **argv)
{
	test_args(argc, argv);
	if (!mkdtemp(dir))
		return 1;
	RUN(refuses_what_is_not_a_regular_file);
	RUN(limit_is_exact);
	RUN(reads_past_a_zero_size);
	RUN(missing_file_names_path_and_reason);
	RUN(literal_or_at_file);
	rmdir(dir);
	return test_done();
}
