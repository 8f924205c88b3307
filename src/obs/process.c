/* process.c - lockstep_build_info and process_* read from /proc at scrape
 * time (see process.h). */
#include "obs/process.h"
#include "obs/metric_table.h"

#include "base/build_info.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static void family(FILE *f, const char *name)
{
	ls_metric_head(f, name); /* HELP and TYPE from the metric table */
}

/* Fields 14 (utime), 15 (stime), 22 (starttime), 23 (vsize), 24 (rss) of
 * /proc/self/stat (proc(5)); the command name in field 2 may hold spaces
 * and parentheses, so counting starts after its last ')'. */
static int read_stat(double *cpu_s, double *start_ticks, double *vsize, double *rss_pages)
{
	char buf[1024];
	FILE *f = fopen("/proc/self/stat", "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	if (!p)
		return -1;
	p++;
	double v[25] = {0};
	for (int field = 3; field <= 24; field++) {
		char *end;
		while (*p == ' ')
			p++;
		if (field == 3) { /* state: one letter */
			p++;
			continue;
		}
		v[field] = strtod(p, &end);
		if (end == p)
			return -1;
		p = end;
	}
	long hz = sysconf(_SC_CLK_TCK);
	if (hz <= 0)
		return -1;
	*cpu_s = (v[14] + v[15]) / (double)hz;
	*start_ticks = v[22] / (double)hz;
	*vsize = v[23];
	*rss_pages = v[24];
	return 0;
}

static int boot_time(double *btime)
{
	FILE *f = fopen("/proc/stat", "r");
	if (!f)
		return -1;
	char line[256];
	int rc = -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "btime ", 6)) {
			*btime = strtod(line + 6, NULL);
			rc = 0;
			break;
		}
	fclose(f);
	return rc;
}

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory stream's own descriptor */
}

void ls_process_metrics_write(void *ctx, FILE *f)
{
	(void)ctx;
	family(f, "lockstep_build_info");
	fprintf(f, "lockstep_build_info{version=\"%s\",commit=\"%s\",wire=\"%u\",abi=\"%u\"} 1\n",
		ls_version(), ls_build_commit(), ls_wire_version(), ls_guest_abi_version());

	double cpu, start, vsize, rss, btime;
	if (!read_stat(&cpu, &start, &vsize, &rss)) {
		family(f, "process_cpu_seconds_total");
		fprintf(f, "process_cpu_seconds_total %.2f\n", cpu);
		family(f, "process_virtual_memory_bytes");
		fprintf(f, "process_virtual_memory_bytes %.0f\n", vsize);
		family(f, "process_resident_memory_bytes");
		fprintf(f, "process_resident_memory_bytes %.0f\n",
			rss * (double)sysconf(_SC_PAGESIZE));
		if (!boot_time(&btime)) {
			family(f, "process_start_time_seconds");
			fprintf(f, "process_start_time_seconds %.2f\n", btime + start);
		}
	}
	int fds = open_fds();
	if (fds >= 0) {
		family(f, "process_open_fds");
		fprintf(f, "process_open_fds %d\n", fds);
	}
	struct rlimit rl;
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur != RLIM_INFINITY) {
		family(f, "process_max_fds");
		fprintf(f, "process_max_fds %llu\n", (unsigned long long)rl.rlim_cur);
	}
}
