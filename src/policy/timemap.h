/* timemap.h - the only two conversions between the guest clock G and the
 * kernel clock K (DESIGN.md, "Clocks"). Every time value that crosses the
 * policy boundary goes through these: event stamps handed to guests
 * (to_guest), verdict deadlines written to the data plane (to_kernel).
 *
 * For now the mapping is the identity (G is read from CLOCK_BOOTTIME); the
 * clock issue replaces timemap.c with the heartbeat estimator's mapping and
 * its uncertainty margin, without touching any caller.
 */
#ifndef LS_POLICY_TIMEMAP_H
#define LS_POLICY_TIMEMAP_H

#include <stdint.h>

struct ls_timemap; /* the estimator's state; NULL = identity */

uint64_t ls_to_kernel(const struct ls_timemap *m, uint64_t t_g);
uint64_t ls_to_guest(const struct ls_timemap *m, uint64_t t_k);

#endif
