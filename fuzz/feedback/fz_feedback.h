/*
 * fz_feedback.h - interleaving features: what the threads did to each
 * other, as libFuzzer coverage.
 *
 * Code coverage cannot tell the schedule that loses the CAS race from the
 * one that wins it: both run the same lines.  This module turns the notes
 * the allocator already emits (ph_hooks.h) into small enumerated facts
 * about the interleaving, hashes each into a fixed array of 8-bit counters
 * and bumps the counter; the array lives in the __libfuzzer_extra_counters
 * section, which libFuzzer on Linux reads as extra coverage after every
 * input (clang 14: FuzzerExtraCounters.cpp takes the section's bounds from
 * the weak linker symbols __start_/__stop___libfuzzer_extra_counters,
 * clears it before each input and turns every non-zero byte, bucketed by
 * count, into a feature).  An input that makes the threads meet in a new
 * way is therefore kept in the corpus, as one that reaches a new line is.
 *
 * The features (each a tuple of small enums; never an address, a time or a
 * thread number, so the same input always sets the same counters):
 *   READ    at every load and CAS of an arena's zeroedBase: the reads-from
 *           pair - which access read (first load, reload after a failed
 *           CAS, successful CAS, failed CAS), which static site wrote the
 *           value (none yet, first CAS of a decision, a retried CAS, plain
 *           store) and how the writer relates to the reader (itself,
 *           another thread before this decision began, another thread
 *           during it whose decision is still in flight, or has ended) -
 *           with how many other decisions are in flight in the arena
 *   WHERE   where the value read lies against the range being decided
 *           (below its start, at it, inside, at its end, above), per
 *           access kind and CAS attempt: the CAS outcome together with
 *           where the reloaded value lies
 *   BEGIN   at a decision's start: decisions in flight in its arena, and
 *           whether one of them overlaps it, lies above or below it
 *   END     at a decision's end: the verdict, the CAS attempts, and whether
 *           decisions in the arena ended out of address order, by whom
 *   LOCK    at every heap-lock acquisition: a hand-off from another thread
 *           or a re-acquisition, whether the thread had to wait, and how
 *           many decisions were in flight
 *   CLAIM   pages claimed from a page cache or the page allocator while
 *           other decisions are in flight
 *
 * Cost: a few hashed counter increments per note, a look at the threads
 * whose decision is in flight for the in-flight counts, nothing per page;
 * the note path is compiled without sanitizer or coverage instrumentation
 * (fz_sanitizer.h).  libFuzzer's own handling of the extra features (each
 * set counter is one more feature to collect and weigh per input) costs
 * about as much again; bench/feedback.sh measures the sum.
 *
 * Threads.  With the controlled scheduler one schedule thread runs at a
 * time, the notes form one total order and the model below is exact.  The
 * free-running target calls in from real parallel threads: every field
 * another thread reads is a relaxed atomic (one packed word where fields
 * must agree), so there is no data race, but features there depend on the
 * OS's interleaving, like the rest of that target.  The calls are harness
 * code that ThreadSanitizer does not see (fz_sanitizer.h; the schedule
 * threads have no happens-before edge among them by design); the counter
 * array is also declared a benign race, as libFuzzer's own counters are.
 */
#ifndef FZ_FEEDBACK_H
#define FZ_FEEDBACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fz_sanitizer.h"
#include "ph_geom.h"
#include "ph_hooks.h"

/* Size of the counter array; a power of two (features are hashed). */
#define FZ_FEEDBACK_COUNTERS 8192u

/* The counters libFuzzer reads.  Written only by the feedback object made
 * with to_libfuzzer (one per process: the runner's). */
extern uint8_t fz_feedback_libfuzzer_counters[FZ_FEEDBACK_COUNTERS];

struct fz_feedback;

/*
 * to_libfuzzer: write fz_feedback_libfuzzer_counters; otherwise a private
 * array libFuzzer never sees (to count features with the feedback off).
 * freerun: notes come from parallel threads.  NULL when out of memory.
 * Main thread only, no schedule running.
 */
struct fz_feedback *fz_feedback_new(const ph_geom *g, bool to_libfuzzer, bool freerun);
void fz_feedback_free(struct fz_feedback *fb);

/* Starts a run: clears the model, and the counters unless this object
 * writes libFuzzer's and clear_libfuzzer is false (libFuzzer clears them
 * itself before each input, so the runs of one input add up).  Main
 * thread only, no schedule running. */
void fz_feedback_reset(struct fz_feedback *fb, bool clear_libfuzzer);

/* One note of schedule thread tid (0 <= tid < FZ_MAX_THREADS), just after
 * the allocator made it.  Called on thread tid. */
void fz_feedback_note(struct fz_feedback *fb, int tid, const struct ph_note *n);
/* Thread tid found the heap lock busy and let others run (controlled
 * scheduler only).  Called on thread tid. */
void fz_feedback_lock_wait(struct fz_feedback *fb, int tid);

/* The counters this object writes (FZ_FEEDBACK_COUNTERS of them). */
const uint8_t *fz_feedback_counters(const struct fz_feedback *fb);
/* After an input, main thread: how many counters it set, and adds them to
 * the set of counters any input has set so far. */
uint64_t fz_feedback_account(struct fz_feedback *fb);
/* Distinct counters set by the inputs accounted so far. */
uint64_t fz_feedback_distinct(const struct fz_feedback *fb);

/*
 * The feature vocabulary, public so tests can ask whether one particular
 * fact was recorded (fz_feedback_index gives its counter).
 */
enum fz_fb_kind { FZ_FB_READ = 1, FZ_FB_WHERE, FZ_FB_BEGIN, FZ_FB_END, FZ_FB_LOCK, FZ_FB_CLAIM };
/* Which access read zeroedBase. */
enum fz_fb_read { FZ_RD_LOAD, FZ_RD_RELOAD, FZ_RD_CAS_OK, FZ_RD_CAS_FAIL };
/* Which static site wrote the value read. */
enum fz_fb_site { FZ_WR_NONE, FZ_WR_CAS_FIRST, FZ_WR_CAS_RETRY, FZ_WR_STORE, FZ_WR_UNSEEN };
/* The writer against the reader. */
enum fz_fb_rel {
	FZ_REL_NONE,           /* no write seen in this input */
	FZ_REL_SELF,           /* the reader's own write */
	FZ_REL_BEFORE,         /* another thread, before the reader's decision began */
	FZ_REL_DURING_FLIGHT,  /* another thread, during it; writer still deciding */
	FZ_REL_DURING_DONE,    /* another thread, during it; writer's decision ended */
};
/* A value against the arena segment [off, lim) of the range decided. */
enum fz_fb_pos { FZ_POS_BELOW, FZ_POS_AT_START, FZ_POS_INSIDE, FZ_POS_AT_END, FZ_POS_ABOVE, FZ_POS_NO_RANGE };
/* Address order of a decision's end against the previous one in its arena. */
enum fz_fb_order { FZ_ORD_FIRST, FZ_ORD_UP, FZ_ORD_SAME, FZ_ORD_DOWN };
enum fz_fb_handoff { FZ_HO_FIRST, FZ_HO_SELF, FZ_HO_OTHER };

/* Feature keys: kind in the top byte, fields packed below.  Uninstrumented
 * like the note path that inlines it (fz_sanitizer.h). */
FZ_UNINSTRUMENTED_BEGIN
static inline uint32_t fz_fb_key(enum fz_fb_kind kind, unsigned f0, unsigned f1, unsigned f2, unsigned f3)
{
	return (uint32_t)kind << 24 | (f0 & 0x3fu) << 18 | (f1 & 0x3fu) << 12 | (f2 & 0x3fu) << 6 | (f3 & 0x3fu);
}
FZ_UNINSTRUMENTED_END
/* READ (enum fz_fb_read, enum fz_fb_site, enum fz_fb_rel, in flight 0..3)
 * WHERE (enum fz_fb_read, enum fz_fb_pos, CAS attempt 1..3, 0)
 * BEGIN (in flight 0..3, overlapping, one above, one below)
 * END (needs zeroing, CAS attempts 0..3, enum fz_fb_order, same thread as
 *      the previous end in the arena)
 * LOCK (enum fz_fb_handoff, waited, decisions in flight 0..3, 0)
 * CLAIM (from a page cache, decisions in flight 0..3, 0, 0)
 * Counts are capped at 3 ("3 or more"). */
unsigned fz_feedback_index(uint32_t key);

#endif
