/*
 * fz_target.h - the one way a fuzz target reports a finding.
 *
 * Whatever the target, the build (TSan, ASan+UBSan, MSan, plain) and the
 * engine (libFuzzer, AFL++'s driver, a plain replay), a finding ends the
 * same way: the target prints its story (a swimlane trace, or the list of
 * operations), then the verdict line
 *
 *     ==== verdict: ORACLE: one-line explanation ====
 *
 * and calls fz_target_die, which flushes and aborts.  The engine's SIGABRT
 * handler saves the input as a crash file and exits non-zero.  Scripts
 * (./build.sh fuzz and repro, bench/detect.sh, tests/scripts) read the
 * verdict line and nothing else.
 *
 * fz_target.c also holds every target's ThreadSanitizer defaults.  They must
 * reach every target, so they live in the same object as fz_target_die,
 * which every target's failure path calls: a static archive only links the
 * members something refers to.
 */
#ifndef FZ_TARGET_H
#define FZ_TARGET_H

#include <stdio.h>

/* Prints "==== verdict: ORACLE: msg ====" and a newline to out. */
void fz_target_verdict(FILE *out, const char *oracle, const char *msg);
/* Flushes stdout and stderr, then aborts: the engine takes it from here. */
__attribute__((noreturn)) void fz_target_die(void);

#endif
