/* pins.c - the versioned bpffs pin directory: where it is (--pin-dir, env
 * LS_PIN_DIR, wire.h default), making sure it lives on a bpffs (mounting
 * /sys/fs/bpf when nothing is mounted there), and removing it on stop. */
#include "dataplane/dp_internal.h"

#include <dirent.h>
#include <errno.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <bpf/bpf.h>

#define BPFFS_MOUNT "/sys/fs/bpf"

const char *ls_pin_dir_default(void)
{
	const char *env = getenv("LS_PIN_DIR");
	return env && *env ? env : LS_PIN_DIR;
}

int ls_pin_path(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int ls_pin_link_open(const char *dir, const char *name, char *path, void *info, __u32 len, int *fd,
		     struct ls_err *err)
{
	if (!ls_pin_exists(dir, name))
		return 0;
	ls_pin_path(path, PATH_MAX, dir, name);
	*fd = bpf_obj_get(path);
	if (*fd < 0)
		return ls_errf(err, -errno, "opening pinned link %s: %s", path, strerror(errno));
	if (bpf_obj_get_info_by_fd(*fd, info, &len)) {
		int rc = -errno;
		close(*fd);
		return ls_errf(err, rc, "reading link info of %s: %s", path, strerror(-rc));
	}
	return 1;
}

bool ls_pin_exists(const char *dir, const char *name)
{
	char p[PATH_MAX];
	struct stat sb;
	return !ls_pin_path(p, sizeof(p), dir, name) && stat(p, &sb) == 0;
}

static bool is_bpffs(const char *path)
{
	struct statfs fs;
	return statfs(path, &fs) == 0 && (unsigned long)fs.f_type == BPF_FS_MAGIC;
}

/* The deepest existing ancestor of path (path itself if it exists). */
static void existing_ancestor(const char *path, char *out, size_t len)
{
	struct stat sb;
	snprintf(out, len, "%s", path);
	while (stat(out, &sb) != 0) {
		char *slash = strrchr(out, '/');
		if (!slash || slash == out) {
			snprintf(out, len, "/");
			return;
		}
		*slash = '\0';
	}
}

static int mkdir_p(const char *dir)
{
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof(tmp), "%s", dir);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

int ls_pins_prepare(const char *dir, struct ls_err *err)
{
	char anc[PATH_MAX];

	if (dir[0] != '/')
		return ls_errf(err, -EINVAL, "pin dir '%s' must be an absolute path on a bpffs",
			       dir);
	existing_ancestor(dir, anc, sizeof(anc));
	if (!is_bpffs(anc)) {
		/* Only the standard mount point is ours to mount: anything else
		 * is the operator's layout. */
		bool under_std = !strncmp(dir, BPFFS_MOUNT "/", strlen(BPFFS_MOUNT) + 1);
		if (!under_std || strcmp(anc, BPFFS_MOUNT) != 0)
			return ls_errf(
			    err, -ENOTSUP,
			    "pin dir '%s' is not on a bpffs (mount one: mount -t bpf bpf %s)", dir,
			    under_std ? BPFFS_MOUNT : anc);
		if (mount("bpf", BPFFS_MOUNT, "bpf", 0, "mode=0700"))
			return ls_errf(err, -errno, "mounting bpffs on %s: %s", BPFFS_MOUNT,
				       strerror(errno));
	}
	int rc = mkdir_p(dir);
	if (rc)
		return ls_errf(err, rc, "creating pin dir '%s': %s", dir, strerror(-rc));
	return 0;
}

/* TC pins carry the interface they are attached to in their name. */
static int tc_pin_ifindex(const char *name)
{
	const char *pfx = "tc_egress_";
	if (strncmp(name, pfx, strlen(pfx)))
		return 0;
	return atoi(name + strlen(pfx));
}

int ls_dp_stop(const char *pin_dir, bool *found, struct ls_err *err)
{
	const char *dir = pin_dir ? pin_dir : ls_pin_dir_default();
	char p[PATH_MAX];
	int rc = 0;

	*found = false;
	DIR *d = opendir(dir);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		return ls_errf(err, -errno, "opening pin dir '%s': %s", dir, strerror(errno));
	}
	/* Detach first, so no packet meets a half-removed data plane; then the
	 * pins go. A link survives its pin while an agent holds its fd, hence
	 * the explicit detach rather than relying on the last close. */
	if (ls_pin_exists(dir, "link_xdp")) {
		*found = true;
		ls_pin_path(p, sizeof(p), dir, "link_xdp");
		int fd = bpf_obj_get(p);
		if (fd < 0)
			rc = ls_errf(err, -errno, "opening %s: %s", p, strerror(errno));
		else if (bpf_link_detach(fd) && errno != EINVAL)
			rc = ls_errf(err, -errno, "detaching XDP link %s: %s", p, strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	if (ls_pin_exists(dir, "link_tc_egress")) {
		*found = true;
		int trc = ls_detach_tcx_pinned(dir, err);
		if (trc && !rc)
			rc = trc;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		*found = true;
		int ifindex = tc_pin_ifindex(de->d_name);
		if (ifindex > 0 && !ls_pin_path(p, sizeof(p), dir, de->d_name)) {
			int pfd = bpf_obj_get(p);
			if (pfd >= 0) {
				ls_detach_tc_egress(ifindex, pfd);
				close(pfd);
			}
		}
		if (ls_pin_path(p, sizeof(p), dir, de->d_name) == 0 &&
		    unlinkat(dirfd(d), de->d_name, 0) && !rc)
			rc = ls_errf(err, -errno, "removing pin %s: %s", p, strerror(errno));
	}
	closedir(d);
	if (rmdir(dir) && errno != ENOENT && !rc)
		rc = ls_errf(err, -errno, "removing pin dir '%s': %s", dir, strerror(errno));
	return rc;
}
