/*
 * variant.c - what this binary was compiled as, and getting the right one.
 *
 * The zeroing decision (lock-free or pre-seed locked) and the injected
 * fault are compile-time choices (ph_heap.h, ph_bugs.def): a running
 * binary cannot switch.  --variant therefore re-executes the sibling binary
 * that build.sh puts next to this one (stress <-> stress-locked,
 * stress-fast <-> stress-fast-locked) with the same arguments, and --bug
 * only checks that the binary carries the named fault, telling the user how
 * to build one that does.
 */
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fz_sanitizer.h"
#include "ph_bugs.h"
#include "stress.h"

#ifdef PH_ZEROING_LOCKED
const bool st_build_locked = PH_ZEROING_LOCKED;
#else
const bool st_build_locked = false;
#endif

const bool st_build_hooks = PH_HOOKS;

#ifdef FZ_TSAN
const bool st_build_tsan = true;
#else
const bool st_build_tsan = false;
#endif

/* Set in the sibling's environment so a mis-built pair cannot ping-pong. */
#define REEXEC_ENV "PH_STRESS_REEXEC"

const char *st_variant_name(bool locked) { return locked ? "locked" : "lockfree"; }

/* This executable's path: /proc/self/exe (independent of PATH), else argv[0]. */
static void self_path(const char *argv0, char *buf, size_t n)
{
	ssize_t len = readlink("/proc/self/exe", buf, n - 1);
	if (len > 0) {
		buf[len] = '\0';
		return;
	}
	snprintf(buf, n, "%s", argv0);
}

void st_ensure_variant(struct st_options *o)
{
	if (o->want_locked < 0 || (o->want_locked == 1) == st_build_locked)
		return;
	const char *want = st_variant_name(o->want_locked == 1);
	char self[PATH_MAX], dir_buf[PATH_MAX], base_buf[PATH_MAX], sibling[PATH_MAX + 16];
	self_path(o->argv[0], self, sizeof self);
	snprintf(dir_buf, sizeof dir_buf, "%s", self);
	snprintf(base_buf, sizeof base_buf, "%s", self);
	const char *dir = dirname(dir_buf);
	char *base = basename(base_buf);
	size_t bl = strlen(base);
	if (bl > 7 && strcmp(base + bl - 7, "-locked") == 0) {
		base[bl - 7] = '\0';
		snprintf(sibling, sizeof sibling, "%s/%s", dir, base);
	} else {
		snprintf(sibling, sizeof sibling, "%s/%s-locked", dir, base);
	}
	if (getenv(REEXEC_ENV) != NULL) {
		fprintf(stderr,
			"stress: --variant %s: this binary (%s) was started as the %s sibling but has the %s zeroing decision compiled in; rebuild with ./build.sh build\n",
			want, self, want, st_variant_name(st_build_locked));
		exit(ST_EXIT_USAGE);
	}
	if (access(sibling, X_OK) != 0) {
		fprintf(stderr,
			"stress: --variant %s: this binary (%s) has the %s zeroing decision compiled in, and its %s sibling %s does not exist.\n"
			"        ./build.sh build puts both variants in out/ (stress, stress-locked, stress-fast, stress-fast-locked).\n",
			want, self, st_variant_name(st_build_locked), want, sibling);
		exit(ST_EXIT_USAGE);
	}
	if (!o->quiet)
		fprintf(stderr, "stress: --variant %s: re-executing %s\n", want, sibling);
	fflush(NULL);
	setenv(REEXEC_ENV, "1", 1);
	/* argv[0] names the sibling, so its rerun command points at it. */
	o->argv[0] = sibling;
	execv(sibling, o->argv);
	fprintf(stderr, "stress: --variant %s: cannot execute %s\n", want, sibling);
	exit(ST_EXIT_USAGE);
}

static bool known_bug(const char *name)
{
#define PH_BUG(macro, bug_name, desc, history) \
	if (strcmp(name, bug_name) == 0)       \
		return true;
#include "ph_bugs.def"
#undef PH_BUG
	return strcmp(name, "none") == 0;
}

void st_ensure_bug(const struct st_options *o)
{
	if (o->bug == NULL)
		return;
	const char *active = ph_bug_active();
	if (!known_bug(o->bug)) {
		fprintf(stderr, "stress: --bug %s: no such injected fault; ./build.sh bugs lists them\n", o->bug);
		exit(ST_EXIT_USAGE);
	}
	if (strcmp(active, o->bug) == 0)
		return;
	fprintf(stderr, "stress: --bug %s: this binary carries %s%s; faults are compiled in.\n", o->bug,
		strcmp(active, "none") == 0 ? "no injected fault" : "injected fault ", strcmp(active, "none") == 0 ? "" : active);
	if (strcmp(o->bug, "none") != 0)
		fprintf(stderr, "        Build one with:  ALLOC_BUG=%s OUT=out-%s ./build.sh\n"
				"        then run:        out-%s/stress --bug %s\n",
			o->bug, o->bug, o->bug, o->bug);
	exit(ST_EXIT_USAGE);
}
