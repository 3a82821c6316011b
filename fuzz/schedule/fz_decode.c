/*
 * fz_decode.c - schedules to and from bytes (layout in fz_schedule.h).
 *
 * Operands per operation kind:
 *   ALLOC      kind byte bit 3: zero, bit 4: large;
 *              small: n = 1 + b % 15; large: n = 16 + u16 % (FZ_MAX_LARGE - 15)
 *   FREE/WRITE sel = b
 *   DESTROY_P  nothing
 *   GROW       n = 1 + u16 % FZ_MAX_GROW, sel (skip) = b % (FZ_MAX_SKIP + 1)
 *   CLAIM      sel (arena) = b % FZ_CLAIM_ARENAS, page = u16 % arena_pages,
 *              n = 1 + u16 % FZ_MAX_CLAIM
 * The encoder writes the canonical bytes, which decode to the same schedule.
 */
#include <string.h>

#include "fz_schedule.h"

#define KIND_ZERO 0x08
#define KIND_LARGE 0x10
#define KIND_FLAGS_SHIFT 5 /* op table index uses the other bits */

static const uint8_t schedule_kinds[] = {
	FZ_OP_ALLOC, FZ_OP_ALLOC, FZ_OP_ALLOC, FZ_OP_FREE, FZ_OP_FREE, FZ_OP_WRITE,
	FZ_OP_DESTROY_P, FZ_OP_GROW, FZ_OP_CLAIM,
};
static const uint8_t needzero_kinds[] = {
	FZ_OP_CLAIM, FZ_OP_CLAIM, FZ_OP_CLAIM, FZ_OP_ALLOC, FZ_OP_ALLOC, FZ_OP_FREE,
};

const struct fz_profile fz_profile_schedule = {
	.name = "schedule",
	.kinds = schedule_kinds,
	.nkinds = sizeof schedule_kinds,
	.allow_no_cache = true,
	.arena_pages = 2048,
	.pregrow_pages = 0,
};

const struct fz_profile fz_profile_needzero = {
	.name = "needzero",
	.kinds = needzero_kinds,
	.nkinds = sizeof needzero_kinds,
	.allow_no_cache = false,
	.arena_pages = 2048,
	.pregrow_pages = 4 * 2048, /* four arenas, so claims cross boundaries */
};

const struct fz_profile *fz_profile_by_name(const char *name)
{
	if (strncmp(name, "fuzz_", 5) == 0)
		name += 5;
	if (strcmp(name, "schedule") == 0 || strcmp(name, "schedule_freerun") == 0)
		return &fz_profile_schedule;
	if (strcmp(name, "needzero") == 0)
		return &fz_profile_needzero;
	return NULL;
}

const char *fz_op_name(enum fz_op_kind k)
{
	static const char *const names[FZ_OP_KINDS] = {
		[FZ_OP_ALLOC] = "alloc", [FZ_OP_FREE] = "free", [FZ_OP_WRITE] = "write",
		[FZ_OP_DESTROY_P] = "destroy-p", [FZ_OP_GROW] = "grow", [FZ_OP_CLAIM] = "claim",
	};
	return k < FZ_OP_KINDS ? names[k] : "?";
}

const char *fz_strategy_name(enum fz_strategy s)
{
	static const char *const names[FZ_STRATEGIES] = {"rr", "random", "pct"};
	return s < FZ_STRATEGIES ? names[s] : "?";
}

static void decode_op(const struct fz_profile *pr, fz_reader *r, struct fz_op *op)
{
	uint8_t b = fz_u8(r);
	memset(op, 0, sizeof *op);
	op->kind = pr->kinds[((b & 0x07) | ((b >> KIND_FLAGS_SHIFT) << 3)) % pr->nkinds];
	switch (op->kind) {
	case FZ_OP_ALLOC:
		op->zero = (b & KIND_ZERO) != 0;
		if (b & KIND_LARGE)
			op->n = (uint16_t)fz_range(r, FZ_MAX_SMALL + 1, FZ_MAX_LARGE);
		else
			op->n = (uint16_t)fz_range(r, 1, FZ_MAX_SMALL);
		break;
	case FZ_OP_FREE:
	case FZ_OP_WRITE:
		op->sel = fz_u8(r);
		break;
	case FZ_OP_GROW:
		op->n = (uint16_t)fz_range(r, 1, FZ_MAX_GROW);
		op->sel = (uint16_t)fz_range(r, 0, FZ_MAX_SKIP);
		break;
	case FZ_OP_CLAIM:
		op->sel = (uint16_t)fz_range(r, 0, FZ_CLAIM_ARENAS - 1);
		op->page = (uint16_t)(fz_u16(r) % pr->arena_pages);
		op->n = (uint16_t)fz_range(r, 1, FZ_MAX_CLAIM);
		break;
	default:
		break;
	}
}

void fz_decode(const struct fz_profile *pr, const uint8_t *data, size_t size, struct fz_schedule *s)
{
	fz_reader r = fz_reader_make(data, size);
	memset(s, 0, sizeof *s);
	s->nthreads = (uint8_t)fz_range(&r, FZ_MIN_THREADS, FZ_MAX_THREADS);
	uint8_t strat = fz_u8(&r);
	s->strategy = strat % FZ_STRATEGIES;
	s->param = (uint8_t)((strat / FZ_STRATEGIES) % 8);
	/* The flags byte exists only for targets that allow turning caches off. */
	s->no_cache = pr->allow_no_cache && (fz_u8(&r) & 1);
	s->seed = fz_u32(&r);
	for (unsigned t = 0; t < s->nthreads; t++) {
		s->nops[t] = (uint8_t)fz_range(&r, 0, FZ_MAX_OPS);
		for (unsigned i = 0; i < s->nops[t]; i++)
			decode_op(pr, &r, &s->ops[t][i]);
	}
	while (fz_remaining(&r) >= 2 && s->ndecisions < FZ_MAX_DECISIONS) {
		struct fz_decision *d = &s->decisions[s->ndecisions++];
		d->thread = (uint8_t)(fz_u8(&r) % s->nthreads);
		d->run = fz_u8(&r);
	}
}

/* Index of the first op-table slot holding kind, or -1. */
static int kind_slot(const struct fz_profile *pr, uint8_t kind)
{
	for (unsigned i = 0; i < pr->nkinds; i++)
		if (pr->kinds[i] == kind)
			return (int)i;
	return -1;
}

static bool encode_op(const struct fz_profile *pr, const struct fz_op *op, fz_writer *w, const char **why)
{
	int slot = kind_slot(pr, op->kind);
	if (slot < 0) {
		*why = "operation not available in this target";
		return false;
	}
	uint8_t b = (uint8_t)((slot & 0x07) | ((slot >> 3) << KIND_FLAGS_SHIFT));
	switch (op->kind) {
	case FZ_OP_ALLOC:
		if (op->n < 1 || op->n > FZ_MAX_LARGE) {
			*why = "alloc page count out of range";
			return false;
		}
		if (op->zero)
			b |= KIND_ZERO;
		if (op->n > FZ_MAX_SMALL)
			b |= KIND_LARGE;
		fz_put_u8(w, b);
		if (op->n > FZ_MAX_SMALL)
			fz_put_range(w, FZ_MAX_SMALL + 1, FZ_MAX_LARGE, op->n);
		else
			fz_put_range(w, 1, FZ_MAX_SMALL, op->n);
		return true;
	case FZ_OP_FREE:
	case FZ_OP_WRITE:
		if (op->sel > 255) {
			*why = "selector out of range";
			return false;
		}
		fz_put_u8(w, b);
		fz_put_u8(w, (uint8_t)op->sel);
		return true;
	case FZ_OP_DESTROY_P:
		fz_put_u8(w, b);
		return true;
	case FZ_OP_GROW:
		if (op->n < 1 || op->n > FZ_MAX_GROW || op->sel > FZ_MAX_SKIP) {
			*why = "grow operand out of range";
			return false;
		}
		fz_put_u8(w, b);
		fz_put_range(w, 1, FZ_MAX_GROW, op->n);
		fz_put_range(w, 0, FZ_MAX_SKIP, op->sel);
		return true;
	case FZ_OP_CLAIM:
		if (op->sel >= FZ_CLAIM_ARENAS || op->page >= pr->arena_pages || op->n < 1 ||
		    op->n > FZ_MAX_CLAIM) {
			*why = "claim operand out of range";
			return false;
		}
		fz_put_u8(w, b);
		fz_put_range(w, 0, FZ_CLAIM_ARENAS - 1, op->sel);
		fz_put_u16(w, op->page);
		fz_put_range(w, 1, FZ_MAX_CLAIM, op->n);
		return true;
	default:
		*why = "unknown operation";
		return false;
	}
}

size_t fz_encode(const struct fz_profile *pr, const struct fz_schedule *s, uint8_t *out, size_t cap,
		 const char **why)
{
	fz_writer w = {out, cap, 0, false};
	*why = NULL;
	if (s->nthreads < FZ_MIN_THREADS || s->nthreads > FZ_MAX_THREADS) {
		*why = "thread count must be 2..8";
		return 0;
	}
	if (s->strategy >= FZ_STRATEGIES || s->param > 7) {
		*why = "strategy parameter must be 0..7";
		return 0;
	}
	if (s->no_cache && !pr->allow_no_cache) {
		*why = "this target always uses page caches";
		return 0;
	}
	fz_put_range(&w, FZ_MIN_THREADS, FZ_MAX_THREADS, s->nthreads);
	fz_put_u8(&w, (uint8_t)(s->strategy + FZ_STRATEGIES * s->param));
	if (pr->allow_no_cache)
		fz_put_u8(&w, s->no_cache ? 1 : 0);
	fz_put_u32(&w, s->seed);
	for (unsigned t = 0; t < s->nthreads; t++) {
		if (s->nops[t] > FZ_MAX_OPS) {
			*why = "too many operations in one thread";
			return 0;
		}
		fz_put_range(&w, 0, FZ_MAX_OPS, s->nops[t]);
		for (unsigned i = 0; i < s->nops[t]; i++)
			if (!encode_op(pr, &s->ops[t][i], &w, why))
				return 0;
	}
	for (unsigned i = 0; i < s->ndecisions; i++) {
		if (s->decisions[i].thread >= s->nthreads) {
			*why = "decision names a thread that does not exist";
			return 0;
		}
		fz_put_u8(&w, s->decisions[i].thread);
		fz_put_u8(&w, s->decisions[i].run);
	}
	if (w.overflow) {
		*why = "encoded schedule does not fit the output buffer";
		return 0;
	}
	return w.len;
}

const char *fz_schedule_invalid(const struct fz_profile *pr, const struct fz_schedule *s)
{
	if (s->nthreads < FZ_MIN_THREADS || s->nthreads > FZ_MAX_THREADS)
		return "thread count outside 2..8";
	if (s->strategy >= FZ_STRATEGIES || s->param > 7)
		return "strategy or parameter out of range";
	if (s->no_cache && !pr->allow_no_cache)
		return "caches off in a target that keeps them on";
	if (s->ndecisions > FZ_MAX_DECISIONS)
		return "too many decisions";
	for (unsigned t = 0; t < FZ_MAX_THREADS; t++) {
		if (s->nops[t] > FZ_MAX_OPS || (t >= s->nthreads && s->nops[t] != 0))
			return "operation count out of range";
		for (unsigned i = 0; i < s->nops[t]; i++) {
			const struct fz_op *op = &s->ops[t][i];
			if (kind_slot(pr, op->kind) < 0)
				return "operation not in the target's table";
			switch (op->kind) {
			case FZ_OP_ALLOC:
				if (op->n < 1 || op->n > FZ_MAX_LARGE)
					return "alloc size out of range";
				break;
			case FZ_OP_FREE:
			case FZ_OP_WRITE:
				if (op->sel > 255)
					return "selector out of range";
				break;
			case FZ_OP_GROW:
				if (op->n < 1 || op->n > FZ_MAX_GROW || op->sel > FZ_MAX_SKIP)
					return "grow operand out of range";
				break;
			case FZ_OP_CLAIM:
				if (op->sel >= FZ_CLAIM_ARENAS || op->page >= pr->arena_pages || op->n < 1 ||
				    op->n > FZ_MAX_CLAIM)
					return "claim operand out of range";
				break;
			default:
				break;
			}
		}
	}
	for (unsigned i = 0; i < s->ndecisions; i++)
		if (s->decisions[i].thread >= s->nthreads)
			return "decision names a missing thread";
	return NULL;
}
