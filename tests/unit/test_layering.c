/* test_layering.c - the arrows of DESIGN.md hold in the code: every
 * `#include "..."` in src/, include/ and bpf/ is checked against the table
 * below, and each include that runs against an arrow is named with its file
 * and line.
 *
 * The table is DESIGN.md's picture written out, not read from the code:
 *
 *   cli -> agent -> {policy, clock, dataplane, obs}
 *   policy -> {wasm (its public header), clock}     clock -> dataplane
 *   every part -> obs and -> base; obs and base -> nothing of lockstep
 *
 * An arrow allows what it reaches (`lockstep flows` in cli/ reads the pins
 * through dataplane/ directly), except where DESIGN.md says otherwise in
 * words: the policy gets a verdict sink and does not know the data plane;
 * policy/ is the only place where Wasm and the data plane meet (so agent/
 * does not include the engine); wasm/ is an embeddable engine that knows
 * only itself and its public header; dataplane/ knows nothing of Wasm. The
 * wire format (include/lockstep/wire*.h) is the one contract every part but
 * the engine may read. Headers named *_int.h or *_internal.h are private to
 * their part, and so is every header of wasm/. */
#include "test.h"

#include <dirent.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* What an include can point at. */
enum part {
	P_NONE = -1,
	P_CLI,
	P_AGENT,
	P_POLICY,
	P_CLOCK,
	P_DATAPLANE,
	P_OBS,
	P_BASE,
	P_WASM,
	P_BPF,
	P_WIRE,	     /* include/lockstep/wire*.h: the kernel/user contract */
	P_WASM_API,  /* include/lockstep/wasm.h: the engine's public API */
	P_GUEST_SDK, /* include/lockstep/guest.h: the guests' ABI */
	P__N,
};

static const char *const part_name[P__N] = {
    "cli",  "agent", "policy", "clock", "dataplane",	   "obs",
    "base", "wasm",  "bpf",    "wire",	"wasm public API", "guest SDK",
};

#define A(p) (1u << (p))
/* allowed[from]: the parts a file of part `from` may include. */
static const unsigned allowed[P__N] = {
    [P_CLI] = A(P_CLI) | A(P_AGENT) | A(P_POLICY) | A(P_CLOCK) | A(P_DATAPLANE) | A(P_OBS) |
	      A(P_BASE) | A(P_WIRE) | A(P_WASM_API),
    [P_AGENT] =
	A(P_AGENT) | A(P_POLICY) | A(P_CLOCK) | A(P_DATAPLANE) | A(P_OBS) | A(P_BASE) | A(P_WIRE),
    [P_POLICY] = A(P_POLICY) | A(P_WASM_API) | A(P_CLOCK) | A(P_OBS) | A(P_BASE) | A(P_WIRE) |
		 A(P_GUEST_SDK),
    [P_CLOCK] = A(P_CLOCK) | A(P_DATAPLANE) | A(P_OBS) | A(P_BASE) | A(P_WIRE),
    [P_DATAPLANE] = A(P_DATAPLANE) | A(P_OBS) | A(P_BASE) | A(P_WIRE),
    [P_OBS] = A(P_OBS) | A(P_BASE) | A(P_WIRE),
    [P_BASE] = A(P_BASE) | A(P_WIRE),
    [P_WASM] = A(P_WASM) | A(P_WASM_API) | A(P_BASE),
    [P_BPF] = A(P_BPF) | A(P_WIRE),
    [P_WIRE] = A(P_WIRE),
    [P_WASM_API] = A(P_WASM_API),
    [P_GUEST_SDK] = A(P_GUEST_SDK),
};

static enum part part_of_dir(const char *dir, size_t n)
{
	static const struct {
		const char *dir;
		enum part p;
	} dirs[] = {
	    {"cli", P_CLI},	{"agent", P_AGENT},	    {"policy", P_POLICY},
	    {"clock", P_CLOCK}, {"dataplane", P_DATAPLANE}, {"obs", P_OBS},
	    {"base", P_BASE},	{"wasm", P_WASM},
	};
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (strlen(dirs[i].dir) == n && !strncmp(dirs[i].dir, dir, n))
			return dirs[i].p;
	return P_NONE;
}

/* A public header by its name under include/lockstep/. */
static enum part part_of_public(const char *name)
{
	if (!strncmp(name, "wire", 4))
		return P_WIRE;
	if (!strcmp(name, "wasm.h"))
		return P_WASM_API;
	if (!strcmp(name, "guest.h"))
		return P_GUEST_SDK;
	return P_NONE;
}

/* The part a source file belongs to, by its path from the project root. */
static enum part part_of_file(const char *path)
{
	if (!strncmp(path, "src/", 4)) {
		const char *d = path + 4, *slash = strchr(d, '/');
		return slash ? part_of_dir(d, (size_t)(slash - d)) : P_NONE;
	}
	if (!strncmp(path, "include/lockstep/", 17))
		return part_of_public(path + 17);
	if (!strncmp(path, "bpf/", 4))
		return P_BPF;
	return P_NONE;
}

static bool exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* The part an include names, as the build resolves it (-Iinclude -Isrc
 * -Ibuild/include, and the including file's own directory first). */
static enum part part_of_include(const char *from, const char *inc)
{
	char path[PATH_MAX];
	const char *slash = strrchr(from, '/');
	snprintf(path, sizeof(path), "%.*s/%s", (int)(slash - from), from, inc);
	if (!strchr(inc, '/') && exists(path))
		return part_of_file(path);
	/* generated BPF skeletons belong to the part that loads them */
	if (!strcmp(inc, "lockstep.skel.h") || !strcmp(inc, "reinject.skel.h"))
		return P_DATAPLANE;
	if (!strcmp(inc, "heartbeat.skel.h"))
		return P_CLOCK;
	/* the version and commit the Makefile writes belong to base */
	if (!strcmp(inc, "build_version.h"))
		return P_BASE;
	if (!strncmp(inc, "lockstep/", 9))
		return part_of_public(inc + 9);
	const char *s = strchr(inc, '/');
	return s ? part_of_dir(inc, (size_t)(s - inc)) : P_NONE;
}

static bool private_header(const char *inc)
{
	const char *base = strrchr(inc, '/');
	base = base ? base + 1 : inc;
	size_t n = strlen(base);
	return (n > 6 && !strcmp(base + n - 6, "_int.h")) ||
	       (n > 11 && !strcmp(base + n - 11, "_internal.h")) || !strncmp(inc, "wasm/", 5);
}

/* Why `from` may not include `inc`, or NULL when it may. */
static const char *verdict(const char *from, const char *inc, char *why, size_t len)
{
	enum part a = part_of_file(from), b = part_of_include(from, inc);
	if (a == P_NONE)
		snprintf(why, len, "%s belongs to no part of DESIGN.md", from);
	else if (b == P_NONE)
		snprintf(why, len, "\"%s\" belongs to no part of DESIGN.md", inc);
	else if (!(allowed[a] & A(b)))
		snprintf(why, len, "%s -> %s is not an arrow of DESIGN.md", part_name[a],
			 part_name[b]);
	else if (a != b && private_header(inc))
		snprintf(why, len, "\"%s\" is private to %s", inc, part_name[b]);
	else
		return NULL;
	return why;
}

/* The name between quotes of an `#include "..."` line, or NULL. */
static const char *include_of(const char *line, char *out, size_t len)
{
	const char *p = line;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p++ != '#')
		return NULL;
	while (*p == ' ' || *p == '\t')
		p++;
	if (strncmp(p, "include", 7))
		return NULL;
	p += 7;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p++ != '"')
		return NULL;
	const char *q = strchr(p, '"');
	if (!q || (size_t)(q - p) >= len)
		return NULL;
	memcpy(out, p, (size_t)(q - p));
	out[q - p] = 0;
	return out;
}

static int files, includes, violations;

static void check_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[4096], inc[1024], why[1200];
	int n = 0;
	if (!f) {
		printf("# %s: cannot read\n", path);
		violations++;
		return;
	}
	files++;
	while (fgets(line, sizeof(line), f)) {
		n++;
		if (!include_of(line, inc, sizeof(inc)))
			continue;
		includes++;
		if (verdict(path, inc, why, sizeof(why))) {
			printf("# %s:%d: #include \"%s\": %s\n", path, n, inc, why);
			violations++;
		}
	}
	fclose(f);
}

static bool source_name(const char *name)
{
	size_t n = strlen(name);
	return n > 2 && name[n - 2] == '.' && (name[n - 1] == 'c' || name[n - 1] == 'h');
}

static void walk(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[PATH_MAX];
	struct stat st;
	if (!d) {
		printf("# %s: cannot open\n", dir);
		violations++;
		return;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st))
			continue;
		if (S_ISDIR(st.st_mode))
			walk(path);
		else if (source_name(e->d_name))
			check_file(path);
	}
	closedir(d);
}

/* The table says what DESIGN.md says: a few includes each way. */
TEST(table_matches_design)
{
	char w[1200];
	/* arrows */
	CHECK(!verdict("src/cli/cmd_run.c", "agent/agent.h", w, sizeof(w)));
	CHECK(!verdict("src/agent/agent.c", "policy/policy.h", w, sizeof(w)));
	CHECK(!verdict("src/policy/policy_int.h", "lockstep/wasm.h", w, sizeof(w)));
	CHECK(!verdict("src/policy/timemap.c", "clock/sync.h", w, sizeof(w)));
	CHECK(!verdict("src/clock/sync.c", "dataplane/dataplane.h", w, sizeof(w)));
	CHECK(!verdict("src/dataplane/loader.c", "obs/log.h", w, sizeof(w)));
	CHECK(!verdict("src/wasm/exec.c", "base/args.h", w, sizeof(w)));
	CHECK(!verdict("src/dataplane/loader.c", "lockstep.skel.h", w, sizeof(w)));
	CHECK(!verdict("bpf/dpi_tls.h", "dpi_common.h", w, sizeof(w)));
	/* against them: upwards, across, into private headers */
	CHECK(verdict("src/agent/agent.c", "cli/cli.h", w, sizeof(w)));
	CHECK(verdict("src/policy/policy.c", "agent/agent.h", w, sizeof(w)));
	CHECK(verdict("src/policy/policy.c", "dataplane/dataplane.h", w, sizeof(w)));
	CHECK(verdict("src/dataplane/maps.c", "policy/policy.h", w, sizeof(w)));
	CHECK(verdict("src/dataplane/maps.c", "lockstep/wasm.h", w, sizeof(w)));
	CHECK(verdict("src/dataplane/maps.c", "clock/sync.h", w, sizeof(w)));
	CHECK(verdict("src/wasm/exec.c", "lockstep/wire.h", w, sizeof(w)));
	CHECK(verdict("src/wasm/exec.c", "obs/log.h", w, sizeof(w)));
	CHECK(verdict("src/obs/hub.c", "clock/sync.h", w, sizeof(w)));
	CHECK(verdict("src/base/args.c", "obs/log.h", w, sizeof(w)));
	CHECK(verdict("src/agent/agent.c", "lockstep/wasm.h", w, sizeof(w)));
	CHECK(verdict("src/policy/policy.c", "wasm/rt.h", w, sizeof(w)));
	CHECK(verdict("src/agent/agent.c", "obs/hub_int.h", w, sizeof(w)));
	CHECK(verdict("src/agent/agent.c", "dataplane/dp_internal.h", w, sizeof(w)));
	CHECK(verdict("src/dataplane/maps.c", "heartbeat.skel.h", w, sizeof(w)));
	CHECK(verdict("bpf/dpi_tls.h", "dataplane/dataplane.h", w, sizeof(w)));
	CHECK(verdict("src/cli/cmd_run.c", "nowhere.h", w, sizeof(w)));
	/* the message names both ends */
	CHECK(verdict("src/policy/policy.c", "agent/agent.h", w, sizeof(w)) &&
	      strstr(w, "policy -> agent"));
}

TEST(include_lines)
{
	char b[64];
	CHECK(include_of("#include \"a/b.h\"\n", b, sizeof(b)) && !strcmp(b, "a/b.h"));
	CHECK(include_of("  #  include \"x.h\" /* why */", b, sizeof(b)) && !strcmp(b, "x.h"));
	CHECK(!include_of("#include <stdio.h>", b, sizeof(b)));
	CHECK(!include_of(" * #include <lockstep/guest.h>", b, sizeof(b)));
	CHECK(!include_of("#define include \"x.h\"", b, sizeof(b)));
}

/* Every include of the tree (run from the project root, as tests/run.sh
 * does). */
TEST(every_include_follows_the_arrows)
{
	const char *root = getenv("LS_ROOT");
	if (root && chdir(root)) {
		printf("# cannot enter %s\n", root);
		CHECK(0);
		return;
	}
	files = includes = violations = 0;
	walk("src");
	walk("include");
	walk("bpf");
	printf("# %d files, %d includes, %d against the arrows\n", files, includes, violations);
	CHECK(files > 100); /* the tree was found */
	CHECK_EQ_INT(violations, 0);
}

int main(int argc, char **argv)
{
	test_args(argc, argv);
	RUN(table_matches_design);
	RUN(include_lines);
	RUN(every_include_follows_the_arrows);
	return test_done();
}
