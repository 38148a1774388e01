#!/usr/bin/env bash
# Robustness of `dicomlake export` and `dicomlake frames`: the malformed corpus (truncated pixel data, lying fragment
# tables, frame counts larger than the data, codec CVE reproducers ...) and pydicom's test files
# are copied (the scanner does not follow links) and read in place into a lake, and every series is exported as NIfTI and as PNG. Each export
# must finish (exit 0, or 3 when some files failed) within its time limit, write a manifest with
# a row per series, and record each failed file in admin.BusinessEvents with a reason. Run under
# ASan with DICOMLAKE_PRESET=asan scripts/test.
# Usage: export_corpus.sh <dicomlake binary> <repository root>. Exit 77 (skipped) without corpus.
set -u
bin="$1"
root="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src"
[ -d "$root/../shared/corpus/fuzz-pwnlab-v3" ] && cp -r "$root/../shared/corpus/fuzz-pwnlab-v3" "$work/src/corpus"
[ -d /usr/lib/python3/dist-packages/pydicom/data ] && cp -r /usr/lib/python3/dist-packages/pydicom/data "$work/src/pydicom"
if [ -z "$(ls "$work/src")" ]; then
  echo "no corpus found (../shared/corpus or python3-pydicom): skipped"
  exit 77
fi
lake="$work/lake"
"$bin" -q init "$lake" || exit 1
timeout 600 "$bin" -q ingest "$lake" --source "$work/src" >/dev/null 2>&1
rc=$?
[ $rc -eq 0 ] || [ $rc -eq 3 ] || { echo "ingest ended with $rc"; exit 1; }
series=$("$bin" sql "$lake" --format csv "SELECT count(DISTINCT seriesInstanceUid) FROM bronze.ImagingDicom" | tail -1)
status=0
for format in nifti png; do
  timeout 900 "$bin" -q export "$lake" --sql "SELECT DISTINCT seriesInstanceUid FROM bronze.ImagingDicom" \
    --format "$format" --to "$work/$format" 2>"$work/err"
  rc=$?
  if [ $rc -ne 0 ] && [ $rc -ne 3 ]; then
    echo "CRASH OR HANG: export --format $format ended with $rc"; head -5 "$work/err"; status=1; continue
  fi
  rows=$(tail -n +2 "$work/$format/manifest.csv" | cut -d, -f3 | sort -u | wc -l)
  if [ "$rows" -ne "$series" ]; then
    echo "export --format $format: manifest covers $rows series of $series"; status=1
  fi
  problems=$(grep -c ',[^,]*[a-z][^,]*$' "$work/$format/manifest.csv" || true)
  echo "export --format $format: $series series, exit $rc, manifest rows with a problem: $problems"
done
# The frame index of the same files: every indexed instance's last frame read and decoded through
# it, and its first frame as stored, in one `dicomlake frames` run each (exit 0, or 3 with a
# reason per instance that failed).
indexed_sql="SELECT DISTINCT sopInstanceUid FROM bronze.ImagingDicom WHERE frameIndex IS NOT NULL AND sopInstanceUid IS NOT NULL"
indexed=$("$bin" sql "$lake" --format csv "SELECT count(*) FROM ($indexed_sql)" | tail -1)
for mode in decoded raw; do
  extra=()
  [ "$mode" = raw ] && extra=(--raw --frame 1)
  timeout 900 "$bin" -q frames "$lake" --sql "$indexed_sql" "${extra[@]}" --to "$work/frames-$mode" 2>"$work/err"
  rc=$?
  if [ $rc -ne 0 ] && [ $rc -ne 3 ]; then
    echo "CRASH OR HANG: frames ($mode) ended with $rc"; head -5 "$work/err"; status=1; continue
  fi
  unexplained=$(grep -vc "^dicomlake: .*: " "$work/err" || true)
  [ "$unexplained" -eq 0 ] || { echo "frames ($mode): $unexplained lines of output without a reason"; status=1; }
  echo "frames ($mode): $indexed indexed instances, exit $rc, $(grep "^dicomlake: .*: " "$work/err" | grep -vc ": warning: " || true) failed with a reason"
done
events=$("$bin" sql "$lake" --format csv "SELECT count(*) FROM admin.BusinessEvents WHERE activityName = 'imaging_export' AND message IS NOT NULL AND message <> ''" | tail -1)
echo "export: $events failed files recorded in admin.BusinessEvents with a reason"
[ "$events" -gt 0 ] || { echo "expected failures of the malformed files in admin.BusinessEvents"; status=1; }
exit $status
