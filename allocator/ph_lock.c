/* ph_lock.c - futex mutex with scheduling hooks. */
#include "ph_lock.h"

#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ph_hooks.h"

static void futex_wait(uint32_t *word, uint32_t val)
{
	syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake_one(uint32_t *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

void ph_mutex_lock(ph_mutex *m)
{
	bool counted = false;

	PH_POINT(PH_PT_LOCK, 0);
	for (;;) {
		uint32_t c = 0;
		if (__atomic_compare_exchange_n(&m->state, &c, 1, false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			break;
		if (!counted) {
			__atomic_fetch_add(&m->contended, 1, __ATOMIC_RELAXED);
			counted = true;
		}
		if (PH_LOCK_WAIT(m))
			continue; /* the harness ran others; the lock may be free now */
		/* Sleep until the holder wakes us; we take it in state 2 because
		 * other sleepers may remain. */
		if (c != 2)
			c = __atomic_exchange_n(&m->state, 2, __ATOMIC_ACQUIRE);
		while (c != 0) {
			futex_wait(&m->state, 2);
			c = __atomic_exchange_n(&m->state, 2, __ATOMIC_ACQUIRE);
		}
		break;
	}
	PH_NOTE(.kind = PH_NOTE_LOCKED);
}

void ph_mutex_unlock(ph_mutex *m)
{
	PH_POINT(PH_PT_UNLOCK, 0);
	if (__atomic_fetch_sub(&m->state, 1, __ATOMIC_RELEASE) != 1) {
		__atomic_store_n(&m->state, 0, __ATOMIC_RELEASE);
		futex_wake_one(&m->state);
	}
	PH_NOTE(.kind = PH_NOTE_UNLOCKED);
}

bool ph_mutex_is_locked(const ph_mutex *m)
{
	return __atomic_load_n(&m->state, __ATOMIC_RELAXED) != 0;
}
