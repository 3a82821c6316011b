/*
 * ph_os.h - the operating-system layer (Go: mem_linux.go's sysReserve,
 * sysMap, sysUnused, sysAlloc).
 *
 * Address space is reserved PROT_NONE at a kernel-chosen address (fixed
 * hints such as Go's 0xc000000000 collide with sanitizer shadow memory),
 * made read-write when the heap grows, and returned to the fresh, zero-filled
 * PROT_NONE state on reset.  Sizes are rounded up to the OS page size.
 */
#ifndef PH_OS_H
#define PH_OS_H

#include <stdbool.h>
#include <stddef.h>

size_t ph_os_page_size(void);
/* PROT_NONE reservation; NULL when the kernel refuses. */
void *ph_os_reserve(size_t size);
/* Make [p, p+size) of a reservation readable and writable. */
bool ph_os_map(void *p, size_t size);
/* Give [p, p+size) back: contents become zero, access becomes PROT_NONE. */
void ph_os_unmap(void *p, size_t size);
/* Make [p, p+size) inaccessible again, keeping its contents. */
void ph_os_protect_none(void *p, size_t size);
/* Drop a reservation entirely. */
void ph_os_release(void *p, size_t size);
/* Zeroed read-write memory for metadata; NULL when the kernel refuses. */
void *ph_os_alloc(size_t size);
void ph_os_free(void *p, size_t size);

#endif
