/* build_info.c - the version and commit baked in at build time (the
 * Makefile writes build/include/build_version.h, regenerated only when the
 * version or commit changes, so a rebuild stays incremental). */
#include "base/build_info.h"

#include "build_version.h"
#include "lockstep/wire.h"

const char *ls_version(void)
{
	return LS_BUILD_VERSION;
}

const char *ls_build_commit(void)
{
	return LS_BUILD_COMMIT;
}

unsigned ls_wire_version(void)
{
	return LS_WIRE_VERSION;
}

unsigned ls_guest_abi_version(void)
{
	return LS_BUILD_GUEST_ABI;
}
