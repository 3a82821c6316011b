/*
 * target_decode.c - fuzz_decode: the schedule decoder and the text form,
 * fuzzed.  For both profiles, any bytes must decode to a schedule within
 * every limit; its text must parse back to the same schedule; its
 * canonical bytes must decode to the same schedule again.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fz_schedule.h"
#include "fz_target.h"
#include "fz_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

__attribute__((noreturn)) static void fail(const char *profile, const char *what, const char *why)
{
	char msg[600];
	snprintf(msg, sizeof msg, "%s profile: %s%s%s", profile, what, why ? ": " : "", why ? why : "");
	fprintf(stderr, "==== pageheap-fuzz: oracle DECODE failed ====\n%s\n", msg);
	fz_target_verdict(stderr, "DECODE", msg);
	fz_target_die();
}

static void check(const struct fz_profile *pr, const uint8_t *data, size_t size)
{
	static struct fz_schedule s, back, again;
	static uint8_t bytes[1 << 16];
	char why[200], err[300];
	const struct fz_profile *parsed_pr;

	fz_decode(pr, data, size, &s);
	const char *bad = fz_schedule_invalid(pr, &s);
	if (bad != NULL)
		fail(pr->name, "decoded schedule out of bounds", bad);

	char *text = fz_text_format_alloc(pr, &s);
	if (text == NULL)
		fail(pr->name, "cannot format the decoded schedule", NULL);
	if (!fz_text_parse(text, "decoded", &parsed_pr, &back, err, sizeof err))
		fail(pr->name, "formatted text does not parse", err);
	free(text);
	if (parsed_pr != pr || !fz_schedule_same(&s, &back, why, sizeof why))
		fail(pr->name, "text round trip changed the schedule", why);

	const char *enc_why;
	size_t n = fz_encode(pr, &s, bytes, sizeof bytes, &enc_why);
	if (n == 0)
		fail(pr->name, "cannot encode the decoded schedule", enc_why);
	fz_decode(pr, bytes, n, &again);
	if (!fz_schedule_same(&s, &again, why, sizeof why))
		fail(pr->name, "byte round trip changed the schedule", why);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check(&fz_profile_schedule, data, size);
	check(&fz_profile_needzero, data, size);
	return 0;
}
