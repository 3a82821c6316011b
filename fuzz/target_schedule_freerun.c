/* target_schedule_freerun.c - fuzz_schedule_freerun: the same programs as
 * fuzz_schedule on real threads released together, no control.  Not
 * deterministic: meant for ThreadSanitizer and real parallel hardware. */
#include "fz_harness.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return fz_harness_init(1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fz_harness_run(&fz_profile_schedule, 1, data, size);
}
