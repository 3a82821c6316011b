/* ph_throw.c - the fatal-error path. */
#include "ph_hooks.h"
#include "ph_throw.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* Written once, before threads start (see ph_throw.h); read on the throw path. */
static ph_throw_handler throw_handler;

void ph_set_throw_handler(ph_throw_handler handler)
{
	throw_handler = handler;
}

void ph_throw_format(const ph_throw_info *info, char *buf, size_t n)
{
	size_t off = 0;

#define APPEND(...)                                                              \
	do {                                                                     \
		if (off < n) {                                                   \
			int w = snprintf(buf + off, n - off, __VA_ARGS__);       \
			if (w > 0)                                               \
				off += (size_t)w;                                \
		}                                                                \
	} while (0)
	if (n == 0)
		return;
	buf[0] = '\0';
	if (info->has_range)
		APPEND("runtime: base = %#lx, npages = %lu\n", (unsigned long)info->base,
		       (unsigned long)info->npages);
	if (info->has_arena)
		APPEND("runtime: ai = %lu, ha.zeroedBase = %#lx\n", (unsigned long)info->arena,
		       (unsigned long)info->zeroed_base);
	if (info->detail[0] != '\0')
		APPEND("runtime: %s\n", info->detail);
	APPEND("fatal error: %s\n", info->msg);
#undef APPEND
}

void ph_throw(const ph_throw_info *info)
{
	if (!PH_NULL(throw_handler))
		throw_handler(info);
	char text[512];
	ph_throw_format(info, text, sizeof text);
	fputs(text, stderr);
	fflush(stderr);
	abort();
}

void ph_throwf(const char *msg, const char *detail_fmt, ...)
{
	ph_throw_info info = {.msg = msg};
	if (!PH_NULL(detail_fmt)) {
		va_list ap;
		va_start(ap, detail_fmt);
		vsnprintf(info.detail, sizeof info.detail, detail_fmt, ap);
		va_end(ap);
	}
	ph_throw(&info);
}
