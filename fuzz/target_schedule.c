/* target_schedule.c - fuzz_schedule: the whole heap under controlled
 * racing schedules, every oracle. */
#include "fz_harness.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return fz_harness_init(0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fz_harness_run(&fz_profile_schedule, 0, data, size);
}
