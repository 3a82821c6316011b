#!/usr/bin/env bash
# merge.sh - ./build.sh merge folds what fuzzing found into the corpus.
#
# In a copy of the project whose corpus/schedule/ holds a single seed
# (fresh-arena) and whose regressions/ are as committed, the work corpus of
# fuzz_schedule gets: a copy of that seed, a copy of a regression input,
# the lock-contention seed (four threads contending for the heap lock:
# coverage fresh-arena lacks) and a second copy of it under another name.
#  - merge --dry-run reports exactly one input to add and changes nothing
#  - merge adds exactly that one, as canonical bytes with its text (which
#    says where it came from and encodes to the bytes), decoding to the
#    lock-contention schedule; the duplicates and the seed are not added;
#    regressions/ is untouched
#  - a second merge adds nothing
#  - fuzz_pagealloc's finds are added as they are (no text form)
# Bad arguments exit 2 with the usage.
set -uo pipefail
cd "$ROOT"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
copy=$tmp/project
mkdir -p "$copy"
tar -C "$ROOT" --exclude=./build --exclude=./out --exclude=./work --exclude=./.git -cf - . | tar -C "$copy" -xf -
tool=$OUT_DIR/schedtool

# The committed corpus of the copy: one seed (and the regressions).
find "$copy/corpus/schedule" -maxdepth 1 -type f ! -name 'fresh-arena.*' -delete
work=$copy/work/fuzz/fuzz_schedule/corpus
mkdir -p "$work"
cp corpus/schedule/fresh-arena.bin "$work/seed-copy"
cp corpus/schedule/regressions/needzero-le.bin "$work/regression-copy"
cp corpus/schedule/lock-contention.bin "$work/contention-a"
cp corpus/schedule/lock-contention.bin "$work/contention-b"
# fuzz_pagealloc: one committed seed copied (not added) and one of its
# seeds missing from the copy's corpus (added).
pa=$copy/work/fuzz/fuzz_pagealloc/corpus
mkdir -p "$pa"
find "$copy/corpus/pagealloc" -maxdepth 1 -type f ! -name 'mixed-small' ! -name '*.md' -delete
cp corpus/pagealloc/mixed-small "$pa/same"
cp corpus/pagealloc/cache-refill-flush "$pa/other"

snapshot() { (cd "$copy/corpus" && find . -type f -exec sha1sum {} + | LC_ALL=C sort); }
snapshot >"$tmp/before"

OUT="$OUT_DIR" "$copy/build.sh" merge --dry-run >"$tmp/dry.log" 2>&1
rc=$?
snapshot >"$tmp/after-dry"
if [ $rc -eq 0 ] && cmp -s "$tmp/before" "$tmp/after-dry" &&
	grep -q '^fuzz_schedule: 4 inputs in work/fuzz/fuzz_schedule/corpus; new ones that cover what the committed corpus does not: 1; would add to corpus/schedule/:' "$tmp/dry.log" &&
	grep -q 'dry run: nothing was written' "$tmp/dry.log"; then
	echo "PASS merge-dry-run (reports 1 input to add to corpus/schedule, writes nothing)"
else
	echo "FAIL merge-dry-run (exit $rc)"; cat "$tmp/dry.log"; diff "$tmp/before" "$tmp/after-dry" | head -5
fi

OUT="$OUT_DIR" "$copy/build.sh" merge >"$tmp/merge.log" 2>&1
rc=$?
snapshot >"$tmp/after"
new_bins=$(comm -13 "$tmp/before" "$tmp/after" | awk '{ print $2 }' | grep '^./schedule/' | grep -c '\.bin$')
new_txts=$(comm -13 "$tmp/before" "$tmp/after" | awk '{ print $2 }' | grep '^./schedule/' | grep -c '\.txt$')
added=$(find "$copy/corpus/schedule" -maxdepth 1 -name 'found-*.bin' | head -1)
if [ $rc -eq 0 ] && [ "$new_bins" -eq 1 ] && [ "$new_txts" -eq 1 ] && [ -n "$added" ] &&
	[ "$("$tool" decode --target schedule "$added")" = "$("$tool" decode --target schedule corpus/schedule/lock-contention.bin)" ]; then
	echo "PASS merge-keeps-new-coverage (one input added: the lock-contention schedule, $(basename "$added"))"
else
	echo "FAIL merge-keeps-new-coverage (exit $rc, $new_bins new .bin, $new_txts new .txt)"; cat "$tmp/merge.log"
fi
if [ -n "$added" ] && "$tool" encode "${added%.bin}.txt" "$tmp/enc.bin" >/dev/null 2>&1 && cmp -s "$tmp/enc.bin" "$added" &&
	grep -q '^# Added by ./build.sh merge: fuzzing found it (work/fuzz/fuzz_schedule/corpus/contention-[ab])' "${added%.bin}.txt"; then
	echo "PASS merge-text-form (the .txt says where it came from and encodes to the .bin)"
else
	echo "FAIL merge-text-form"; head -3 "${added%.bin}.txt" 2>/dev/null
fi
if ! comm -3 "$tmp/before" "$tmp/after" | grep -q 'regressions/'; then
	echo "PASS merge-leaves-regressions (corpus/*/regressions/ unchanged)"
else
	echo "FAIL merge-leaves-regressions"; comm -3 "$tmp/before" "$tmp/after" | grep regressions/
fi
pa_new=$(comm -13 "$tmp/before" "$tmp/after" | awk '{ print $2 }' | grep '^./pagealloc/')
if [ "$(echo "$pa_new" | grep -c .)" -eq 1 ] && cmp -s "$copy/corpus/${pa_new#./}" corpus/pagealloc/cache-refill-flush; then
	echo "PASS merge-other-targets (fuzz_pagealloc: the new input added as it is, the duplicate not)"
else
	echo "FAIL merge-other-targets (new in corpus/pagealloc: ${pa_new:-none})"; grep -A3 '^fuzz_pagealloc' "$tmp/merge.log"
fi

OUT="$OUT_DIR" "$copy/build.sh" merge >"$tmp/again.log" 2>&1
snapshot >"$tmp/after-again"
if cmp -s "$tmp/after" "$tmp/after-again" && grep -q '^fuzz_schedule: .*; new ones that cover what the committed corpus does not: 0;' "$tmp/again.log"; then
	echo "PASS merge-idempotent (a second merge adds nothing)"
else
	echo "FAIL merge-idempotent"; cat "$tmp/again.log"
fi

for args in "--bogus" "--dry-run extra" "now"; do
	# shellcheck disable=SC2086 # the words are the arguments
	OUT="$OUT_DIR" "$copy/build.sh" merge $args >"$tmp/bad.log" 2>&1
	rc=$?
	if [ $rc -eq 2 ] && grep -q '^usage: ./build.sh' "$tmp/bad.log"; then
		echo "PASS merge-usage '$args' (exit 2 with the usage)"
	else
		echo "FAIL merge-usage '$args' (exit $rc)"; head -3 "$tmp/bad.log"
	fi
done
