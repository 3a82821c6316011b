/*
 * fz_engine_fiber.c - schedule threads as fibers: separate stacks on the
 * calling thread, switched by a tiny assembly routine that saves and
 * restores the callee-saved registers (no signal-mask syscall, unlike
 * swapcontext).
 *
 * ThreadSanitizer sees each fiber as a thread of its own and is told of
 * every switch with no synchronisation, so the serialised fibers' races
 * stay visible.  The per-input happens-before edges are the same as the
 * pthread engine's: main publishes the run with a release on `gen` that
 * each fiber acquires when it starts; a fiber's release on `finished` when
 * it ends is acquired by main.  AddressSanitizer is told of every stack
 * switch.  MemorySanitizer has no fiber support, so under it (and on
 * machines other than x86-64) this engine is unavailable.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fz_engine.h"
#include "fz_sanitizer.h"

FZ_HARNESS_CODE_BEGIN

#if defined(__x86_64__) && !defined(FZ_MSAN)
#define FZ_HAVE_FIBERS 1
#endif

#if FZ_HAVE_FIBERS

#define FIBER_STACK (1u << 20) /* sanitizers need deep stacks */

/* Saves callee-saved registers on the current stack, stores the stack
 * pointer in *save, switches to stack `to` and restores its registers. */
void fz_ctx_swap(void **save, void *to);
/* First code a new fiber runs: calls fiber_start(r12, r13). */
void fz_ctx_trampoline(void);

__asm__(".text\n"
	".globl fz_ctx_swap\n"
	".type fz_ctx_swap,@function\n"
	"fz_ctx_swap:\n"
	"	pushq %rbp\n"
	"	pushq %rbx\n"
	"	pushq %r12\n"
	"	pushq %r13\n"
	"	pushq %r14\n"
	"	pushq %r15\n"
	"	movq %rsp, (%rdi)\n"
	"	movq %rsi, %rsp\n"
	"	popq %r15\n"
	"	popq %r14\n"
	"	popq %r13\n"
	"	popq %r12\n"
	"	popq %rbx\n"
	"	popq %rbp\n"
	"	ret\n"
	".size fz_ctx_swap, .-fz_ctx_swap\n"
	".globl fz_ctx_trampoline\n"
	".type fz_ctx_trampoline,@function\n"
	"fz_ctx_trampoline:\n"
	"	movq %r12, %rdi\n"
	"	movq %r13, %rsi\n"
	"	call fz_fiber_start\n"
	"	ud2\n"
	".size fz_ctx_trampoline, .-fz_ctx_trampoline\n");

struct fiber {
	void *sp;
	char *stack; /* lowest address, a guard page below the usable part */
	size_t size;
	void *tsan;
	void *asan_fake;
};

struct fiber_engine {
	struct fz_engine base;
	struct fiber f[FZ_MAX_THREADS];
	unsigned nfibers;
	struct fiber main; /* the thread that called fz_engine_run */
	const void *main_stack_lo;
	size_t main_stack_size;
	uint32_t gen;      /* release by main, acquire by starting fibers */
	uint32_t finished; /* release by ending fibers, acquire by main */
	unsigned n;
	fz_thread_fn fn;
	void *arg;
};

void fz_fiber_start(struct fiber_engine *e, long tid);

/*
 * A fiber's last switch never returns.  Under ThreadSanitizer the frames of
 * the functions making it would stay on the fiber's shadow call stack, one
 * more set per input, and every stack TSan records would grow longer (and
 * slower to record) as fuzzing goes on.  Under AddressSanitizer with
 * detect_stack_use_after_return their frames would live on the fake stack
 * that the last switch destroys while they still read from it.  The two
 * functions on that path carry no sanitizer instrumentation at all (clang
 * 14's ASan ignores disable_sanitizer_instrumentation, hence no_sanitize).
 */
#if defined(__has_attribute)
#if __has_attribute(disable_sanitizer_instrumentation)
#define FZ_NO_SHADOW_FRAME __attribute__((disable_sanitizer_instrumentation, no_sanitize("address")))
#endif
#endif
#ifndef FZ_NO_SHADOW_FRAME
#define FZ_NO_SHADOW_FRAME __attribute__((no_sanitize("address")))
#endif

/* Where a switch goes, read in full before the switch starts: from
 * __tsan_switch_to_fiber on, accesses count as the target's, and a fiber
 * that has just reported finished must not touch engine state at all. */
struct target {
	void *sp;
	void *tsan;
	const void *lo;
	size_t size;
};

static struct target target_of(struct fiber_engine *e, int to)
{
	if (to < 0)
		return (struct target){e->main.sp, e->main.tsan, e->main_stack_lo, e->main_stack_size};
	return (struct target){e->f[to].sp, e->f[to].tsan, e->f[to].stack, e->f[to].size};
}

FZ_NO_SHADOW_FRAME static void switch_stack(struct fiber *from, struct target to, bool leaving)
{
#ifdef FZ_TSAN
	__tsan_switch_to_fiber(to.tsan, FZ_TSAN_NO_SYNC);
#endif
#ifdef FZ_ASAN
	__sanitizer_start_switch_fiber(leaving ? NULL : &from->asan_fake, to.lo, to.size);
#else
	(void)leaving;
#endif
	fz_ctx_swap(&from->sp, to.sp);
#ifdef FZ_ASAN
	__sanitizer_finish_switch_fiber(from->asan_fake, NULL, NULL);
#endif
}

/* Instrumented, and returning normally, so TSan sees the acquire that
 * publishes the run to this fiber. */
__attribute__((noinline)) static void join_run(struct fiber_engine *e)
{
	(void)__atomic_load_n(&e->gen, __ATOMIC_ACQUIRE);
}

/* Reads where to go, then reports this fiber finished (a release main
 * acquires); after that the fiber touches no engine state. */
__attribute__((noinline)) static struct target leave_run(struct fiber_engine *e, int next)
{
	struct target to = target_of(e, next);
	__atomic_fetch_add(&e->finished, 1, __ATOMIC_RELEASE);
	return to;
}

FZ_NO_SHADOW_FRAME void fz_fiber_start(struct fiber_engine *e, long tid)
{
#ifdef FZ_ASAN
	__sanitizer_finish_switch_fiber(NULL, NULL, NULL);
#endif
	join_run(e);
	int next = e->fn((int)tid, e->arg);
	switch_stack(&e->f[tid], leave_run(e, next), true);
	abort(); /* a finished fiber is never resumed */
}

/* Lays out a fresh stack whose first switch-in enters the trampoline. */
static void prime(struct fiber_engine *e, int tid)
{
	struct fiber *f = &e->f[tid];
	uintptr_t top = ((uintptr_t)f->stack + f->size) & ~(uintptr_t)15;
	void **sp = (void **)(top - 72); /* rsp % 16 == 8 after the six pops and ret */
	sp[0] = NULL;                    /* r15 */
	sp[1] = NULL;                    /* r14 */
	sp[2] = (void *)(intptr_t)tid;   /* r13 */
	sp[3] = e;                       /* r12 */
	sp[4] = NULL;                    /* rbx */
	sp[5] = NULL;                    /* rbp */
	sp[6] = (void *)fz_ctx_trampoline;
	f->sp = sp;
}

static bool ensure_fibers(struct fiber_engine *e, unsigned n)
{
	while (e->nfibers < n) {
		struct fiber *f = &e->f[e->nfibers];
		f->size = FIBER_STACK;
		f->stack = mmap(NULL, f->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (f->stack == MAP_FAILED)
			return false;
		mprotect(f->stack, 4096, PROT_NONE); /* overflow guard */
#ifdef FZ_TSAN
		f->tsan = __tsan_create_fiber(0);
#endif
		e->nfibers++;
	}
	return true;
}

static void fiber_run(struct fz_engine *base, unsigned n, int first, fz_thread_fn fn, void *arg)
{
	struct fiber_engine *e = (struct fiber_engine *)base;
	if (!ensure_fibers(e, n)) {
		fprintf(stderr, "fz_engine: cannot map fiber stacks\n");
		abort();
	}
	e->n = n;
	e->fn = fn;
	e->arg = arg;
	for (unsigned i = 0; i < n; i++)
		prime(e, (int)i);
#ifdef FZ_TSAN
	e->main.tsan = __tsan_get_current_fiber();
#endif
	/* Everything above is published to the fibers by this release. */
	__atomic_store_n(&e->finished, 0, __ATOMIC_RELAXED);
	__atomic_fetch_add(&e->gen, 1, __ATOMIC_RELEASE);
	switch_stack(&e->main, target_of(e, first), false);
	/* Back when the last body returned -1. */
	if (__atomic_load_n(&e->finished, __ATOMIC_ACQUIRE) != n) {
		fprintf(stderr, "fz_engine: run ended with unfinished fibers\n");
		abort();
	}
}

static void fiber_switch(struct fz_engine *base, int from, int to)
{
	struct fiber_engine *e = (struct fiber_engine *)base;
	switch_stack(&e->f[from], target_of(e, to), false);
}

static void fiber_destroy(struct fz_engine *base)
{
	struct fiber_engine *e = (struct fiber_engine *)base;
	for (unsigned i = 0; i < e->nfibers; i++) {
#ifdef FZ_TSAN
		__tsan_destroy_fiber(e->f[i].tsan);
#endif
		munmap(e->f[i].stack, e->f[i].size);
	}
	free(e);
}

static const struct fz_engine_ops fiber_ops = {
	.run = fiber_run,
	.switch_to = fiber_switch,
	.run_free = NULL,
	.destroy = fiber_destroy,
};

bool fz_engine_fiber_available(void)
{
	return true;
}

struct fz_engine *fz_engine_fiber_new(char *err, size_t errlen)
{
	struct fiber_engine *e = calloc(1, sizeof *e);
	if (e == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_attr_t attr;
	void *lo;
	size_t size;
	if (pthread_getattr_np(pthread_self(), &attr) == 0) {
		if (pthread_attr_getstack(&attr, &lo, &size) == 0) {
			e->main_stack_lo = lo;
			e->main_stack_size = size;
		}
		pthread_attr_destroy(&attr);
	}
	e->base.ops = &fiber_ops;
	e->base.kind = FZ_ENGINE_FIBER;
	return &e->base;
}

#else

bool fz_engine_fiber_available(void)
{
	return false;
}

struct fz_engine *fz_engine_fiber_new(char *err, size_t errlen)
{
#ifdef FZ_MSAN
	snprintf(err, errlen, "the fiber engine is not available under MemorySanitizer (it has no fiber support); use FZ_ENGINE=pthread");
#else
	snprintf(err, errlen, "the fiber engine needs x86-64; use FZ_ENGINE=pthread");
#endif
	return NULL;
}

#endif

FZ_HARNESS_CODE_END
