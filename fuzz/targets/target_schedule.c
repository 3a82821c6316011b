/* target_schedule.c - fuzz_schedule: the whole heap under controlled
 * racing schedules, every oracle. */
#include "fz_harness.h"

FZ_SCHEDULE_TARGET(fz_profile_schedule, 0)
