/* target_schedule_freerun.c - fuzz_schedule_freerun: the same programs as
 * fuzz_schedule on real threads released together, no control.  Not
 * deterministic: meant for ThreadSanitizer and real parallel hardware. */
#include "fz_harness.h"

FZ_SCHEDULE_TARGET(fz_profile_schedule, 1)
