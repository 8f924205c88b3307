/* build_info.h - what this binary is: its version, the commit it was built
 * from and the versions of the interfaces it speaks (wire, guest ABI). One
 * source for `lockstep --version`, the lockstep_build_info metric and the
 * agent's start line, so the three cannot disagree. */
#ifndef LS_BASE_BUILD_INFO_H
#define LS_BASE_BUILD_INFO_H

/* The release, from the VERSION file at the root of the tree. */
const char *ls_version(void);
/* The git commit (12 hex digits, "-dirty" when the tree had changes), or
 * "unknown" for a build outside a git checkout. */
const char *ls_build_commit(void);
/* The wire format (include/lockstep/wire.h) and guest ABI
 * (include/lockstep/guest.h) versions this binary speaks. */
unsigned ls_wire_version(void);
unsigned ls_guest_abi_version(void);

#endif
