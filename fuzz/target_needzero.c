/* target_needzero.c - fuzz_needzero: the zeroing decision alone, mostly
 * fault-injected raw claims across threads and arena boundaries on a heap
 * pre-grown to four arenas (Z1-Z3, O2, O3). */
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
	return fz_harness_run(&fz_profile_needzero, 0, data, size);
}
