/* tcx_tool.c - the other side of tests/integration/tc_neighbours.sh: a TCX
 * attacher and lister written apart from lockstep's (src/dataplane/
 * attach_tc.c), from the kernel's UAPI (include/uapi/linux/bpf.h, Linux
 * 6.6: BPF_TCX_EGRESS 47, BPF_F_BEFORE 1<<3, BPF_F_AFTER 1<<4, BPF_F_ID
 * 1<<5), since Debian 12's bpftool (7.1) can neither attach nor list TCX.
 *
 *   tcx_tool attach IF OBJ.o PROG DIR first|last|before=ID|after=ID
 *       load OBJ.o, attach its program PROG at TC egress of IF through a
 *       TCX link at that place, pin the link as DIR/link and the maps as
 *       DIR/<map name>
 *   tcx_tool show IF
 *       the programs at TC egress of IF in the order they run: "ID NAME"
 * Needs root. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define TCX_EGRESS 47
#define F_BEFORE (1U << 3)
#define F_AFTER (1U << 4)
#define F_ID (1U << 5)

static int show(int ifindex)
{
	__u32 ids[64], cnt = 64;
	if (bpf_prog_query(ifindex, TCX_EGRESS, 0, NULL, ids, &cnt)) {
		fprintf(stderr, "tcx_tool: query: %s\n", strerror(errno));
		return 1;
	}
	for (__u32 i = 0; i < cnt; i++) {
		struct bpf_prog_info info = {0};
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(ids[i]);
		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len))
			printf("%u %s\n", ids[i], info.name);
		else
			printf("%u ?\n", ids[i]);
		if (fd >= 0)
			close(fd);
	}
	return 0;
}

static int attach(int ifindex, const char *obj_path, const char *prog, const char *dir,
		  const char *where)
{
	struct {
		__u32 prog_fd, ifindex, attach_type, flags, relative_id, pad;
		__u64 expected_revision;
	} a = {.ifindex = (__u32)ifindex, .attach_type = TCX_EGRESS};
	char path[4096];

	if (!strcmp(where, "first"))
		a.flags = F_BEFORE;
	else if (!strcmp(where, "last"))
		a.flags = F_AFTER;
	else if (!strncmp(where, "before=", 7))
		a.flags = F_BEFORE | F_ID, a.relative_id = (__u32)atoi(where + 7);
	else if (!strncmp(where, "after=", 6))
		a.flags = F_AFTER | F_ID, a.relative_id = (__u32)atoi(where + 6);
	else
		return fprintf(stderr, "tcx_tool: bad place '%s'\n", where), 2;
	struct bpf_object *obj = bpf_object__open_file(obj_path, NULL);
	struct bpf_program *p = obj ? bpf_object__find_program_by_name(obj, prog) : NULL;
	int rc = 1;
	if (!p || bpf_object__load(obj)) {
		fprintf(stderr, "tcx_tool: loading %s (program %s) failed\n", obj_path, prog);
		goto out;
	}
	a.prog_fd = (__u32)bpf_program__fd(p);
	int fd = (int)syscall(__NR_bpf, BPF_LINK_CREATE, &a, sizeof(a));
	if (fd < 0) {
		fprintf(stderr, "tcx_tool: link create: %s\n", strerror(errno));
		goto out;
	}
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/link", dir);
	if (bpf_obj_pin(fd, path) || bpf_object__pin_maps(obj, dir)) {
		fprintf(stderr, "tcx_tool: pinning in %s: %s\n", dir, strerror(errno));
		bpf_link_detach(fd);
	} else {
		struct bpf_prog_info info = {0};
		__u32 len = sizeof(info);
		bpf_obj_get_info_by_fd((int)a.prog_fd, &info, &len);
		printf("%u\n", info.id);
		rc = 0;
	}
	close(fd);
out:
	bpf_object__close(obj); /* the pins keep the link and the maps */
	return rc;
}

int main(int argc, char **argv)
{
	int ifindex = argc > 2 ? (int)if_nametoindex(argv[2]) : 0;
	if (argc == 3 && !strcmp(argv[1], "show") && ifindex)
		return show(ifindex);
	if (argc == 7 && !strcmp(argv[1], "attach") && ifindex)
		return attach(ifindex, argv[3], argv[4], argv[5], argv[6]);
	fprintf(stderr, "usage: tcx_tool show IF | attach IF OBJ.o PROG DIR first|last|before=ID|"
			"after=ID\n");
	return 2;
}
