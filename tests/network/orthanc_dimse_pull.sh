#!/usr/bin/env bash
# `dicomlake pull --dimse` from Orthanc as a PACS: Study Root C-FIND, then C-GET (the instances
# come back on the same association) and, into a second lake, C-MOVE (Orthanc sends them to the
# receiver `pull --move` runs). Both lakes equal the disk ingest of the same files: every instance
# once, the transfer syntax as stored, the data set byte for byte (datasetHash). A second pull
# finds every study complete and adds nothing.
# Usage: orthanc_dimse_pull.sh DICOMLAKE_BINARY
set -euo pipefail
bin=$1
curl_auth=()
source "$(dirname "$0")/orthanc_lib.sh"
make_sample_and_disk
start_orthanc '"AuthenticationEnabled": false, "Plugins": [],
  "DicomModalities": { "lake": ["LAKE", "127.0.0.1", 11113] }'
load_orthanc
peer=ORTHANC@127.0.0.1:4242

"$bin" -q init "$work/get"
"$bin" pull "$work/get" --dimse "$peer" --aet LAKE --namespace pacs1 > "$work/get.log" 2>&1 \
  || fail "pull --dimse (C-GET) failed"
"$bin" -q init "$work/move"
"$bin" pull "$work/move" --dimse "$peer" --aet LAKE --namespace pacs1 --move --move-port 11113 \
  > "$work/move.log" 2>&1 || fail "pull --dimse --move (C-MOVE) failed"
"$bin" pull "$work/get" --dimse "$peer" --aet LAKE --namespace pacs1 --since 19000101 \
  > "$work/again.log" 2>&1 || fail "the second pull failed"
grep -q "5 already complete, 0 retrieved" "$work/again.log" || fail "the second pull retrieved studies"

rows() {
  "$bin" sql "$1" --format csv "SELECT sopInstanceUid, transferSyntaxUid, modality, \
    datasetHash FROM bronze.ImagingDicom ORDER BY ALL"
}
rows "$work/disk" > "$work/disk.csv"
disk_rows=$(($(wc -l < "$work/disk.csv") - 1))
[ "$disk_rows" -eq "$count" ] || fail "Orthanc holds $count instances, the disk ingest $disk_rows"
for lake in get move; do
  rows "$work/$lake" > "$work/$lake.csv"
  diff "$work/disk.csv" "$work/$lake.csv" > "$work/diff-$lake.log" \
    || fail "the rows pulled by $lake differ from the disk's"
done
echo "PASS: C-GET and C-MOVE pulled $count instances from Orthanc; bronze equals the disk ingest"
