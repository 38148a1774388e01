#!/usr/bin/env bash
# Robustness, file by file: every file of the malformed-DICOM corpus
# (../shared/corpus/fuzz-pwnlab-v3: tag overflows, VR mismatches, deep nesting, truncated pixel
# data, lying fragment tables, frame counts larger than the data, codec CVE reproducers) and of
# pydicom's test data goes through one dicomlake command without a crash or a hang: each ends in
# success (exit 0) or a refusal with a reason (exit 3, "dicomlake: <file>: <reason>"), within
# 10 s. Run under ASan with DICOMLAKE_PRESET=asan scripts/test.
#   dump     `dicomlake dump FILE` (the DICOM reader)
#   pixels   `dicomlake pixels FILE --to DIR` (the pixel decoders)
# Usage: each_corpus_file.sh <dump|pixels> <dicomlake binary> <repository root>.
# Exit 77 (skipped) without corpus.
set -u
mode="$1"
bin="$2"
root="$3"
dirs=()
[ -d "$root/../shared/corpus/fuzz-pwnlab-v3" ] && dirs+=("$root/../shared/corpus/fuzz-pwnlab-v3")
[ -d /usr/lib/python3/dist-packages/pydicom/data ] && dirs+=(/usr/lib/python3/dist-packages/pydicom/data)
if [ "${#dirs[@]}" -eq 0 ]; then
  echo "no corpus found (../shared/corpus or python3-pydicom): skipped"
  exit 77
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
run_one() {
  case "$mode" in
    dump) timeout 10 "$bin" -q dump "$1" >/dev/null 2>"$work/err" ;;
    pixels) rm -rf "$work/out"; timeout 10 "$bin" -q pixels "$1" --to "$work/out" >/dev/null 2>"$work/err" ;;
    *) echo "unknown mode $mode" >&2; exit 2 ;;
  esac
}
total=0; ok=0; failed=0; bad=0
while IFS= read -r -d '' f; do
  total=$((total + 1))
  run_one "$f"
  rc=$?
  case $rc in
    0) ok=$((ok + 1)) ;;
    3) failed=$((failed + 1))
       grep -q "dicomlake: .*: " "$work/err" || { echo "NO REASON: $f"; bad=$((bad + 1)); } ;;
    *) echo "CRASH OR HANG (exit $rc): $f"; head -3 "$work/err"; bad=$((bad + 1)) ;;
  esac
done < <(find "${dirs[@]}" -type f ! -name '*.md' ! -name '*.json' ! -name '*.py' ! -name '*.pyc' ! -name LICENSE -print0 | sort -z)
echo "robustness ($mode): $total files: $ok read, $failed refused with a reason, $bad crashed, hung or gave no reason"
[ "$bad" -eq 0 ]
