/*
 * ph_lock.h - the heap lock: a futex mutex that a scheduler can drive.
 *
 * state: 0 free, 1 held, 2 held with sleepers (Drepper's "futexes are
 * tricky" mutex).  Taking the lock is an acquire, releasing it a release, so
 * it orders memory like Go's runtime mutex and ThreadSanitizer sees it as a
 * real synchronisation.  Acquire and release are scheduling points; while
 * the lock is busy the waiter first offers the harness to run other threads
 * (PH_LOCK_WAIT) and only sleeps on the futex when no harness drives it.
 */
#ifndef PH_LOCK_H
#define PH_LOCK_H

#include <stdbool.h>
#include <stdint.h>

typedef struct ph_mutex {
	uint32_t state;     /* accessed atomically only */
	uint64_t contended; /* acquisitions that found the lock busy; relaxed atomic */
} ph_mutex;

void ph_mutex_lock(ph_mutex *m);
void ph_mutex_unlock(ph_mutex *m);
/* A relaxed snapshot, for schedulers deciding whether a waiter can run. */
bool ph_mutex_is_locked(const ph_mutex *m);

#endif
