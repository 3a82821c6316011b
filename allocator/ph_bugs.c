/* ph_bugs.c - report the fault compiled into this build. */
#include "ph_bugs.h"

#include <string.h>

/* A fault macro the build did not define stringifies to its own name, one the
 * build defined as 1 stringifies to "1"; that tells them apart without a
 * second list of names to keep in step with ph_bugs.def. */
#define PH_STR_(x) #x
#define PH_STR(x) PH_STR_(x)

const char *ph_bug_active(void)
{
	const char *active = "none";
	int count = 0;
#define PH_BUG(macro, name, desc, history)                                      \
	if (strcmp(PH_STR(PH_BUG_##macro), "1") == 0) {                         \
		active = name;                                                  \
		count++;                                                        \
	}
#include "ph_bugs.def"
#undef PH_BUG
	return count > 1 ? "several (unsupported)" : active;
}
