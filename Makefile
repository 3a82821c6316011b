# Makefile - one build variant per invocation; build.sh chooses the variants.
#
#   make B=build/tsan SAN="-fsanitize=thread" HOOKS=1
#
# B      object and binary folder of this variant (one folder per variant, so
#        sanitizer builds never mix objects)
# SAN    sanitizer and instrumentation flags, used to compile and to link
# HOOKS  1 = the allocator calls the harness at every scheduling point
#        (fuzz builds); 0 = the hooks compile to nothing (production)
# BUG    name of one injected fault from allocator/ph_bugs.def, or empty
# HBUG   name of one harness fault from fuzz/harness_bugs.def, or empty
# ZEROING lockfree (the seed's algorithm, default) or locked (pre-seed)
# LIB_FUZZING_ENGINE  how fuzz targets get their main (OSS-Fuzz contract)
# FZLIB  the harness library to link into targets and tools (default: this
#        variant's own); a build that only changes the allocator (BUG=...)
#        can reuse another variant's harness built with the same flags

CC      ?= clang
CXX     ?= clang++
B       ?= build/default
SAN     ?=
HOOKS   ?= 1
BUG     ?=
HBUG    ?=
ZEROING ?= lockfree
OPT     ?= -O1 -g
LIB_FUZZING_ENGINE ?= -fsanitize=fuzzer
# Absolute, so the dependency files written with -MMD name the same targets
# whether the variant was built through build.sh or by hand with a relative B.
override B := $(abspath $(B))
FZLIB   ?= $(B)/libfz.a

WARN     = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
BUGDEF   = $(if $(BUG),-DPH_BUG_$(shell echo '$(BUG)' | tr 'a-z-' 'A-Z_')=1,) \
           $(if $(HBUG),-DFZ_BUG_$(shell echo '$(HBUG)' | tr 'a-z-' 'A-Z_')=1,)
ZERODEF  = $(if $(filter locked,$(ZEROING)),-DPH_ZEROING_LOCKED=1,)
# fuzz/ is grouped by concern (schedule format, scheduling, oracles, trace,
# runner, targets, tools); every folder holding headers is on the path.
FUZZ_INC = $(patsubst %/,%,$(sort $(dir $(wildcard fuzz/*/*.h))))
CPPFLAGS = -Iallocator $(addprefix -I,$(FUZZ_INC)) -Itests -DPH_HOOKS=$(HOOKS) $(BUGDEF) $(ZERODEF) -D_GNU_SOURCE
ALL_CFLAGS = -std=gnu11 $(WARN) $(OPT) $(SAN) $(CFLAGS) -pthread

ALLOC_SRC  = $(wildcard allocator/*.c)
HARN_SRC   = $(filter-out fuzz/targets/% fuzz/tools/%,$(wildcard fuzz/*/*.c))
TARGET_SRC = $(wildcard fuzz/targets/target_*.c)
TOOL_SRC   = $(wildcard fuzz/tools/*.c)
TEST_SRC   = $(wildcard tests/test_*.c)

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))

# The page bitmaps' and radix summaries' arithmetic (ph_pallocbits.c: Go's
# mpallocbits.go and pallocSum) keeps libFuzzer's edge counters but not its
# comparison tracing: its comparisons are of bit counts and packed summary
# fields inside per-word and per-summary loops, a callback each for values
# no input byte chooses (in profiles of fuzz_schedule's corpus, about a
# seventh of ASan time).  Only where CFLAGS ask for libFuzzer coverage.
NO_CMP_TRACE_SRC = allocator/ph_pallocbits.c
$(call obj,$(NO_CMP_TRACE_SRC)): FILE_CFLAGS = $(if $(findstring sanitize=fuzzer,$(CFLAGS)),-fno-sanitize-coverage=trace-cmp)
# The heap's invariant checks (allocator/ph_verify.c) carry no coverage at
# all: run at rest after every input, their branches are the same for
# every healthy heap, so they only added the same features to every input
# (about a tenth of an input's edge features in fuzz_schedule's corpus).
NO_COVERAGE_SRC = allocator/ph_verify.c
$(call obj,$(NO_COVERAGE_SRC)): FILE_CFLAGS = $(if $(findstring sanitize=fuzzer,$(CFLAGS)),-fno-sanitize=fuzzer-no-link)

# Harness files ThreadSanitizer need not even keep a call stack for: blind
# (FZ_HARNESS_CODE_BEGIN) and never on the stack of an access TSan checks
# -- the allocator's own, or fz_bulk.c's per-page announcements, whose
# stacks run through the runner (fz_run.c), the memory oracles
# (fz_oracle_pages.c, fz_shadow.c's walk) and the zeroing hook, which keep
# theirs.  These are called at every note and scheduling point, where
# __tsan_func_entry/exit cost more than the function's body.
NO_TSAN_STACK_SRC = fuzz/run/fz_hooks.c fuzz/trace/fz_trace.c fuzz/oracles/fz_oracle_decisions.c \
	fuzz/feedback/fz_feedback.c fuzz/sched/fz_sched.c
$(call obj,$(NO_TSAN_STACK_SRC)): FILE_CFLAGS = $(if $(findstring sanitize=thread,$(SAN)),$(if $(findstring clang,$(CC)),-mllvm -tsan-instrument-func-entry-exit=0,--param=tsan-instrument-func-entry-exit=0))

ALLOC_OBJ = $(call obj,$(ALLOC_SRC))
HARN_OBJ  = $(call obj,$(HARN_SRC))
# Helpers every test binary links (tests/json_doc.c: JSON tree accessors).
TESTLIB_SRC = tests/ph_test.c tests/json_doc.c
TESTLIB_OBJ = $(call obj,$(TESTLIB_SRC))
# Go's test tables, compiled into C data for test_govectors at build time by
# tests/json2c.py (Python's json module: no hand-written parser, and static
# data every sanitizer, MSan included, sees as initialised).  A missing or
# broken file builds anyway and becomes FAIL lines of the test.
VECTORS ?= ../shared/reference/go1.15-pagealloc-vectors.json
PYTHON  ?= python3

TARGETS  = $(patsubst fuzz/targets/target_%.c,$(B)/fuzz_%,$(TARGET_SRC))
TESTS    = $(patsubst tests/%.c,$(B)/%,$(TEST_SRC))
TOOLS    = $(patsubst fuzz/tools/%.c,$(B)/%,$(TOOL_SRC))
STRESS   = $(if $(wildcard stress/*.c),$(B)/stress,)
BENCHES  = $(patsubst bench/%.c,$(B)/%,$(wildcard bench/bench_*.c))

.PHONY: all lib targets tests tools stress benches
all: lib tests tools stress
lib: $(B)/libph.a
targets: $(TARGETS)
tests: $(TESTS)
tools: $(TOOLS)
stress: $(STRESS)
benches: $(BENCHES)

# Objects also depend on this Makefile: a change of flags or layout here
# rebuilds them (dependency files from before B was made absolute named
# relative targets, which no longer match).
$(B)/obj/%.o: %.c Makefile
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(FILE_CFLAGS) -MMD -MP -c $< -o $@

$(B)/libph.a: $(ALLOC_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(B)/libfz.a: $(HARN_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# Fuzz targets link with the C++ driver and the engine, as OSS-Fuzz requires.
$(B)/fuzz_%: $(B)/obj/fuzz/targets/target_%.o $(FZLIB) $(B)/libph.a
	$(CXX) $(SAN) $(CXXFLAGS) -pthread $^ $(LIB_FUZZING_ENGINE) -o $@

$(B)/test_%: $(B)/obj/tests/test_%.o $(TESTLIB_OBJ) $(if $(HARN_SRC),$(B)/libfz.a) $(B)/libph.a
	$(CC) $(ALL_CFLAGS) $^ -o $@ -lm

# Run on every build (VECTORS may name another file, or the file may appear
# or change); json2c.py rewrites the C file only when the data changed, so
# the object is recompiled only then.
$(B)/gen/govectors.c: FORCE
	@mkdir -p $(dir $@)
	$(PYTHON) tests/json2c.py ph_govectors $(VECTORS) $@

$(B)/obj/gen/govectors.o: $(B)/gen/govectors.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c $< -o $@

$(B)/test_govectors: $(B)/obj/gen/govectors.o

.PHONY: FORCE
FORCE:

$(B)/bench_%: $(B)/obj/bench/bench_%.o $(B)/libfz.a $(B)/libph.a
	$(CC) $(ALL_CFLAGS) $^ -o $@ -lm

# Command-line tools: one fuzz/tools/NAME.c each, linked with the harness
# (FZLIB, so a BUG= build can reuse a correct build's harness, as targets do).
$(TOOLS): $(B)/%: $(B)/obj/fuzz/tools/%.o $(FZLIB) $(B)/libph.a
	$(CC) $(ALL_CFLAGS) $^ -o $@

$(B)/stress: $(call obj,$(wildcard stress/*.c)) $(if $(HARN_SRC),$(FZLIB)) $(B)/libph.a
	$(CC) $(ALL_CFLAGS) $^ -o $@ -lm

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)
