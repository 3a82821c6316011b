/*
 * ph_throw.h - fatal errors with Go's messages.
 *
 * ph_throw prints the context Go prints (as "runtime: ..." lines, with heap
 * addresses in our virtual address space, so the text is the same on every
 * run) and the "fatal error: <msg>" line, then calls the throw handler.  The
 * default handler aborts; a harness installs its own to record the throw and
 * print a trace.  A handler must not return to the allocator: if it returns,
 * ph_throw aborts.  A handler may longjmp out, which single-threaded unit
 * tests use; the heap is then unusable until ph_heap_reset.
 *
 * The handler is a process-wide setting: install it before any thread uses
 * the allocator.
 */
#ifndef PH_THROW_H
#define PH_THROW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Go's messages, shared by the allocator and the oracles that expect them. */
#define PH_MSG_OVERLAP "potentially overlapping in-use allocations detected"
#define PH_MSG_MIDDLE "pages considered for zeroing in the middle of an arena"

typedef struct ph_throw_info {
	const char *msg;     /* Go's message */
	bool has_range;      /* base/npages describe the range being handled */
	uintptr_t base, npages;
	bool has_arena;      /* arena/zeroed_base describe the arena involved */
	uintptr_t arena, zeroed_base;
	char detail[192];    /* further "runtime: ..." context, may be empty */
} ph_throw_info;

typedef void (*ph_throw_handler)(const ph_throw_info *info);

/* NULL restores the default (print and abort). */
void ph_set_throw_handler(ph_throw_handler handler);

/* Writes the Go-style report of info into buf (always NUL-terminated). */
void ph_throw_format(const ph_throw_info *info, char *buf, size_t n);

__attribute__((noreturn)) void ph_throw(const ph_throw_info *info);
/* A throw with no context beyond the message and an optional detail line. */
__attribute__((noreturn, format(printf, 2, 3))) void ph_throwf(const char *msg, const char *detail_fmt, ...);

#endif
