/* fz_engine.c - engine selection; the engines are in fz_engine_*.c. */
#include "fz_engine.h"

#include <string.h>
#include "fz_sanitizer.h"

FZ_HARNESS_CODE_BEGIN

struct fz_engine *fz_engine_new(enum fz_engine_kind kind, char *err, size_t errlen)
{
	return kind == FZ_ENGINE_FIBER ? fz_engine_fiber_new(err, errlen) : fz_engine_pthread_new(err, errlen);
}

void fz_engine_free(struct fz_engine *e)
{
	if (e != NULL)
		e->ops->destroy(e);
}

enum fz_engine_kind fz_engine_default(void)
{
	return fz_engine_fiber_available() ? FZ_ENGINE_FIBER : FZ_ENGINE_PTHREAD;
}

enum fz_engine_kind fz_engine_kind_of(const struct fz_engine *e)
{
	return e->kind;
}

const char *fz_engine_name(enum fz_engine_kind kind)
{
	return kind == FZ_ENGINE_FIBER ? "fiber" : "pthread";
}

bool fz_engine_kind_parse(const char *name, enum fz_engine_kind *kind)
{
	if (strcmp(name, "pthread") == 0)
		*kind = FZ_ENGINE_PTHREAD;
	else if (strcmp(name, "fiber") == 0)
		*kind = FZ_ENGINE_FIBER;
	else
		return false;
	return true;
}

void fz_engine_run(struct fz_engine *e, unsigned n, int first, fz_thread_fn fn, void *arg)
{
	e->ops->run(e, n, first, fn, arg);
}

void fz_engine_switch(struct fz_engine *e, int from, int to)
{
	e->ops->switch_to(e, from, to);
}

bool fz_engine_run_free(struct fz_engine *e, unsigned n, fz_thread_fn fn, void *arg)
{
	if (e->ops->run_free == NULL)
		return false;
	e->ops->run_free(e, n, fn, arg);
	return true;
}

FZ_HARNESS_CODE_END
