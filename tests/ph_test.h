/*
 * ph_test.h - the smallest test harness that states its verdicts.
 *
 * Every test binary links this header's helpers.  A test is a function that
 * calls the CHECK macros; a failed check records the file:line and the message,
 * and the test continues so one run shows every broken expectation.  Each test
 * prints exactly one line, "PASS <name>" or "FAIL <name>", which build.sh
 * counts; the binary exits non-zero when any test failed.
 */
#ifndef PH_TEST_H
#define PH_TEST_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct ph_test_state {
	int failed_checks;  /* checks failed in the current test */
	int tests_passed;
	int tests_failed;
	const char *filter; /* run only tests whose name contains this */
};

extern struct ph_test_state ph_test;

void ph_test_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Runs fn as the test called name and prints its verdict line. */
void ph_test_run(const char *name, void (*fn)(void));
/* Same, for table-driven tests: fn receives arg. */
void ph_test_run_arg(const char *name, void (*fn)(const void *), const void *arg);
/* Parses argv (an optional name filter), returns the process exit status. */
void ph_test_init(int argc, char **argv);
int ph_test_finish(void);

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond))                                                 \
			ph_test_fail(__FILE__, __LINE__, "%s", #cond);       \
	} while (0)

#define CHECK_MSG(cond, ...)                                                 \
	do {                                                                 \
		if (!(cond))                                                 \
			ph_test_fail(__FILE__, __LINE__, __VA_ARGS__);       \
	} while (0)

#define CHECK_EQ_U(a, b)                                                     \
	do {                                                                 \
		unsigned long long ph_a_ = (unsigned long long)(a);          \
		unsigned long long ph_b_ = (unsigned long long)(b);          \
		if (ph_a_ != ph_b_)                                          \
			ph_test_fail(__FILE__, __LINE__,                     \
				     "%s == %s: got 0x%llx, want 0x%llx", #a, \
				     #b, ph_a_, ph_b_);                      \
	} while (0)

#define CHECK_STREQ(a, b)                                                    \
	do {                                                                 \
		const char *ph_a_ = (a), *ph_b_ = (b);                       \
		if (strcmp(ph_a_, ph_b_) != 0)                               \
			ph_test_fail(__FILE__, __LINE__,                     \
				     "%s == %s:\n got: %s\nwant: %s", #a, #b, \
				     ph_a_, ph_b_);                          \
	} while (0)

#endif
