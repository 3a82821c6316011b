/* ph_test.c - verdict bookkeeping for ph_test.h. */
#include "ph_test.h"

#include <stdlib.h>

struct ph_test_state ph_test;

void ph_test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	ph_test.failed_checks++;
	if (ph_test.failed_checks > 20)
		return; /* one broken loop must not bury the other messages */
	fprintf(stderr, "  %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (ph_test.failed_checks == 20)
		fprintf(stderr, "  (further failures of this test not shown)\n");
}

static int selected(const char *name)
{
	return ph_test.filter == NULL || strstr(name, ph_test.filter) != NULL;
}

static void verdict(const char *name)
{
	if (ph_test.failed_checks == 0) {
		ph_test.tests_passed++;
		printf("PASS %s\n", name);
	} else {
		ph_test.tests_failed++;
		printf("FAIL %s\n", name);
	}
	fflush(stdout);
	fflush(stderr);
}

void ph_test_run(const char *name, void (*fn)(void))
{
	if (!selected(name))
		return;
	ph_test.failed_checks = 0;
	fn();
	verdict(name);
}

void ph_test_run_arg(const char *name, void (*fn)(const void *), const void *arg)
{
	if (!selected(name))
		return;
	ph_test.failed_checks = 0;
	fn(arg);
	verdict(name);
}

void ph_test_init(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1)
		ph_test.filter = argv[1];
}

int ph_test_finish(void)
{
	return ph_test.tests_failed == 0 ? 0 : 1;
}
