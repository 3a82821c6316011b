#!/bin/bash -eu
# oss-fuzz/build.sh - OSS-Fuzz's build script for this project.
#
# OSS-Fuzz's `compile` runs it as `bash -eux $SRC/build.sh` from the
# Dockerfile's WORKDIR (the project's checkout), with CC, CXX, CFLAGS,
# CXXFLAGS, LIB_FUZZING_ENGINE, SANITIZER, FUZZING_ENGINE, SRC, WORK and
# OUT set.  The project's own ./build.sh sees that environment and, with no
# arguments, follows the build contract (tools/ossfuzz-build.sh): fuzz
# targets, seed corpora, .options and dictionaries into $OUT.
./build.sh
