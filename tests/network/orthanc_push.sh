#!/usr/bin/env bash
# Orthanc (Debian's `orthanc`, a real PACS) pushes the sample to `dicomlake listen` over C-STORE
# through its REST API (POST /modalities/{id}/store). The bronze rows equal those of ingesting
# the same files from disk: every instance once, the data set byte for byte (datasetHash; deflated
# data sets, which Orthanc compresses again, inflated), the transfer syntax as stored. Runs in a
# private network namespace (unshare -rn) that has only loopback (orthanc_lib.sh).
# Usage: orthanc_push.sh DICOMLAKE_BINARY
set -euo pipefail
bin=$1
curl_auth=()
source "$(dirname "$0")/orthanc_lib.sh"
make_sample_and_disk

# dicomlake listening, and Orthanc with it as a modality.
"$bin" -q init "$work/net"
"$bin" listen "$work/net" --aet LAKE --port 11112 --namespace pacs1 --quiet-seconds 1 \
  > "$work/listen.log" 2>&1 &
pids+=($!)
lake_pid=$!
start_orthanc '"AuthenticationEnabled": false, "Plugins": [],
  "DicomModalities": { "lake": ["LAKE", "127.0.0.1", 11112] }'
load_orthanc
curl -sf -X POST -d "$ids" "$api/modalities/lake/store" >/dev/null || fail "Orthanc could not store to the lake"
for _ in $(seq 300); do grep -q '^batch: ' "$work/listen.log" && break; sleep 0.2; done
kill -TERM "$lake_pid"
wait "$lake_pid" || fail "listen exited with $?"

# Every instance with its transfer syntax and its data set's hash (Orthanc inflates and deflates
# a deflated data set again to send it: hashed inflated, it keeps its identity).
rows() {
  "$bin" sql "$1" --format csv \
    "SELECT sopInstanceUid, transferSyntaxUid, modality, datasetHash FROM bronze.ImagingDicom \
     ORDER BY ALL"
}
rows "$work/disk" > "$work/disk.csv"
rows "$work/net" > "$work/net.csv"
disk_rows=$(($(wc -l < "$work/disk.csv") - 1))
[ "$disk_rows" -eq "$count" ] || fail "Orthanc holds $count instances, the disk ingest $disk_rows"
diff "$work/disk.csv" "$work/net.csv" > "$work/diff.log" || fail "the rows received differ from the disk's"
received=$("$bin" sql "$work/net" --format csv "SELECT count(*) FROM bronze.ImagingDicom WHERE contentHash <> datasetHash" | tail -1)
[ "$received" -eq "$count" ] || fail "$received of $count rows have a rebuilt file meta group"
echo "PASS: Orthanc pushed $count instances; bronze equals the disk ingest (data sets byte for byte)"
