/* ph_os.c - mmap-based reservations. */
#include "ph_hooks.h"
#include "ph_os.h"

#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

size_t ph_os_page_size(void)
{
	static size_t cached; /* benign: every thread computes the same value */
	size_t p = __atomic_load_n(&cached, __ATOMIC_RELAXED);
	if (p == 0) {
		long v = sysconf(_SC_PAGESIZE);
		p = v > 0 ? (size_t)v : 4096;
		__atomic_store_n(&cached, p, __ATOMIC_RELAXED);
	}
	return p;
}

static size_t round_up(size_t n)
{
	size_t ps = ph_os_page_size();
	return (n + ps - 1) & ~(ps - 1);
}

void *ph_os_reserve(size_t size)
{
	void *p = mmap(NULL, round_up(size), PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return PH_PTR_EQ(p, MAP_FAILED) ? NULL : p;
}

bool ph_os_map(void *p, size_t size)
{
	return mprotect(p, round_up(size), PROT_READ | PROT_WRITE) == 0;
}

void ph_os_unmap(void *p, size_t size)
{
	size = round_up(size);
	/* MADV_DONTNEED on private anonymous memory guarantees zero-fill on
	 * the next touch, which is what "fresh from the OS" means. */
	madvise(p, size, MADV_DONTNEED);
	mprotect(p, size, PROT_NONE);
}

void ph_os_protect_none(void *p, size_t size)
{
	mprotect(p, round_up(size), PROT_NONE);
}

void ph_os_release(void *p, size_t size)
{
	if (!PH_NULL(p))
		munmap(p, round_up(size));
}

void *ph_os_alloc(size_t size)
{
	void *p = mmap(NULL, round_up(size), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return PH_PTR_EQ(p, MAP_FAILED) ? NULL : p;
}

void ph_os_free(void *p, size_t size)
{
	ph_os_release(p, size);
}
