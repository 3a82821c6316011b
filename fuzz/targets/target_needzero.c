/* target_needzero.c - fuzz_needzero: the zeroing decision alone, mostly
 * fault-injected raw claims across threads and arena boundaries on a heap
 * pre-grown to four arenas (Z1-Z3, O2, O3). */
#include "fz_harness.h"

FZ_SCHEDULE_TARGET(fz_profile_needzero, 0)
