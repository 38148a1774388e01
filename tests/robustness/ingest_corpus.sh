#!/usr/bin/env bash
# Robustness of `dicomlake ingest`: the malformed corpus (../shared/corpus/fuzz-pwnlab-v3) and
# pydicom's test data ingested in place (BYOS; the sources are only read). The run must finish
# (no crash, no hang) with exit 0 or 3, and every file must end as a bronze row, a skipped
# DICOMDIR or a BusinessEvents failure with a reason.
# Usage: ingest_corpus.sh <dicomlake binary> <repository root>. Exit 77 (skipped) without corpus.
set -u
bin="$1"
root="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
sources=()
[ -d "$root/../shared/corpus/fuzz-pwnlab-v3" ] && sources+=("$root/../shared/corpus/fuzz-pwnlab-v3")
[ -d /usr/lib/python3/dist-packages/pydicom/data/test_files ] && sources+=(/usr/lib/python3/dist-packages/pydicom/data/test_files)
if [ "${#sources[@]}" -eq 0 ]; then
  echo "no corpus found (../shared/corpus or python3-pydicom): skipped"
  exit 77
fi
"$bin" -q init "$work/lake" || exit 1
status=0
for src in "${sources[@]}"; do
  timeout 900 "$bin" ingest "$work/lake" --pattern byos --source "$src" --json >"$work/summary.json" 2>"$work/err"
  rc=$?
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then
    echo "ingest of $src crashed or hung (exit $rc):"; head -5 "$work/err"; status=1; continue
  fi
  /usr/bin/python3 - "$work/summary.json" "$src" <<'PY' || status=1
import json, sys
s = json.load(open(sys.argv[1]))
accounted = s["instancesRead"] + s["failed"] + s["directoriesSkipped"]
print(f"robustness ingest {sys.argv[2]}: {s['filesSeen']} files, {s['instancesRead']} read as instances, "
      f"{s['failed']} failed with a reason, {s['directoriesSkipped']} DICOMDIR, {s['elapsedSeconds']:.1f} s")
missing_reason = [f for f in s["failures"] if not f["reason"]]
if accounted < s["filesSeen"] or missing_reason:
    print("PROBLEM: files not accounted for, or failures without a reason")
    sys.exit(1)
PY
done
events=$("$bin" sql "$work/lake" "SELECT count(*) FROM admin.BusinessEvents WHERE message IS NULL" --format csv | tail -1)
[ "$events" = "0" ] || { echo "PROBLEM: BusinessEvents rows without a message"; status=1; }
"$bin" tables "$work/lake" >/dev/null || { echo "PROBLEM: a table does not read"; status=1; }
exit $status
