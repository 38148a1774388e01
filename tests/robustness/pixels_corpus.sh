#!/usr/bin/env bash
# Robustness of pixel decoding: every file of the malformed-DICOM corpus
# (../shared/corpus/fuzz-pwnlab-v3: truncated pixel data, lying fragment tables, frame counts
# larger than the data, codec CVE reproducers) and of pydicom's test data goes through
# `dicomlake pixels` without a crash or a hang: each ends as an .npy array (exit 0) or an error
# with a reason (exit 3), within 10 s. Run under ASan with DICOMLAKE_PRESET=asan scripts/test.
# Usage: pixels_corpus.sh <dicomlake binary> <repository root>. Exit 77 (skipped) without corpus.
set -u
bin="$1"
root="$2"
dirs=()
[ -d "$root/../shared/corpus/fuzz-pwnlab-v3" ] && dirs+=("$root/../shared/corpus/fuzz-pwnlab-v3")
[ -d /usr/lib/python3/dist-packages/pydicom/data ] && dirs+=(/usr/lib/python3/dist-packages/pydicom/data)
if [ "${#dirs[@]}" -eq 0 ]; then
  echo "no corpus found (../shared/corpus or python3-pydicom): skipped"
  exit 77
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
total=0; ok=0; failed=0; bad=0
while IFS= read -r -d '' f; do
  total=$((total + 1))
  rm -rf "$work/out"
  timeout 10 "$bin" -q pixels "$f" --to "$work/out" >/dev/null 2>"$work/err"
  rc=$?
  case $rc in
    0) ok=$((ok + 1)) ;;
    3) failed=$((failed + 1))
       grep -q "dicomlake: .*: " "$work/err" || { echo "NO REASON: $f"; bad=$((bad + 1)); } ;;
    *) echo "CRASH OR HANG (exit $rc): $f"; head -3 "$work/err"; bad=$((bad + 1)) ;;
  esac
done < <(find "${dirs[@]}" -type f ! -name '*.md' ! -name '*.json' ! -name '*.py' ! -name '*.pyc' ! -name LICENSE -print0 | sort -z)
echo "pixels robustness: $total files: $ok decoded, $failed refused with a reason, $bad crashed, hung or gave no reason"
[ "$bad" -eq 0 ]
