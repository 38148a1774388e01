#!/usr/bin/env bash
# Orthanc (Debian's `orthanc`, a real PACS) pushes the sample to `dicomlake listen` over C-STORE
# through its REST API (POST /modalities/{id}/store). The bronze rows equal those of ingesting
# the same files from disk: every instance once, the data set byte for byte (datasetHash; but for
# deflated data sets, which Orthanc compresses again), the transfer syntax as stored. Runs in a private network namespace (unshare -rn) that has only
# loopback, so nothing listens beyond it and the fixed ports cannot collide.
# Usage: orthanc_push.sh DICOMLAKE_BINARY
set -euo pipefail
bin=$1
if [ -z "${DICOMLAKE_IN_NETNS:-}" ]; then
  command -v Orthanc >/dev/null || { echo "Orthanc is not installed"; exit 77; }
  unshare -rn true 2>/dev/null || { echo "no private network namespace (unshare -rn)"; exit 77; }
  exec unshare -rn env DICOMLAKE_IN_NETNS=1 bash "$0" "$@"
fi
ip link set lo up

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$work"/*.log; do echo "--- $f"; tail -20 "$f"; done; exit 1; }

# The sample's DICOM files (not its ZIP: Orthanc takes instances one by one).
"$bin" -q init "$work/src"
"$bin" -q sample "$work/src" --seed 7 --scale 0.02
mapfile -t files < <(find "$work/src/bronze/Files/Ingest/Imaging/DICOM" -type f ! -name '*.zip' | sort)

# The reference: the same files ingested from disk.
"$bin" -q init "$work/disk"
drop="$work/disk/bronze/Files/Ingest/Imaging/DICOM/pacs1"
mkdir -p "$drop"
i=0
for f in "${files[@]}"; do cp "$f" "$drop/$((i++)).dcm"; done
"$bin" -q ingest "$work/disk" || [ $? -eq 3 ]  # the sample's one file that is not DICOM

# dicomlake listening, and Orthanc with it as a modality.
"$bin" -q init "$work/net"
"$bin" listen "$work/net" --aet LAKE --port 11112 --namespace pacs1 --quiet-seconds 1 \
  > "$work/listen.log" 2>&1 &
pids+=($!)
lake_pid=$!
cat > "$work/orthanc.json" <<JSON
{
  "Name": "dicomlake-test",
  "StorageDirectory": "$work/orthanc-db",
  "IndexDirectory": "$work/orthanc-db",
  "HttpPort": 8042,
  "DicomPort": 4242,
  "DicomAet": "ORTHANC",
  "RemoteAccessAllowed": false,
  "AuthenticationEnabled": false,
  "Plugins": [],
  "DicomModalities": { "lake": ["LAKE", "127.0.0.1", 11112] }
}
JSON
Orthanc "$work/orthanc.json" > "$work/orthanc.log" 2>&1 &
pids+=($!)
api=http://127.0.0.1:8042
for _ in $(seq 100); do curl -sf "$api/system" >/dev/null 2>&1 && break; sleep 0.2; done
curl -sf "$api/system" >/dev/null || fail "Orthanc did not start"

for f in "${files[@]}"; do curl -s -X POST --data-binary "@$f" "$api/instances" >/dev/null || true; done
ids=$(curl -sf "$api/instances")
count=$(printf '%s' "$ids" | tr ',' '\n' | grep -c '"' || true)
[ "$count" -gt 50 ] || fail "Orthanc holds only $count instances"
curl -sf -X POST -d "$ids" "$api/modalities/lake/store" >/dev/null || fail "Orthanc could not store to the lake"
for _ in $(seq 300); do grep -q '^batch: ' "$work/listen.log" && break; sleep 0.2; done
kill -TERM "$lake_pid"
wait "$lake_pid" || fail "listen exited with $?"

# Every instance with its transfer syntax; the data set's hash too, except for the deflated
# transfer syntax: Orthanc inflates and deflates such a data set again to send it, so its
# compressed bytes differ (docs/network.md).
rows() {
  "$bin" sql "$1" --format csv \
    "SELECT sopInstanceUid, transferSyntaxUid, modality, CASE WHEN transferSyntaxUid <> \
     '1.2.840.10008.1.2.1.99' THEN datasetHash END FROM bronze.ImagingDicom ORDER BY ALL"
}
rows "$work/disk" > "$work/disk.csv"
rows "$work/net" > "$work/net.csv"
disk_rows=$(($(wc -l < "$work/disk.csv") - 1))
[ "$disk_rows" -eq "$count" ] || fail "Orthanc holds $count instances, the disk ingest $disk_rows"
diff "$work/disk.csv" "$work/net.csv" > "$work/diff.log" || fail "the rows received differ from the disk's"
received=$("$bin" sql "$work/net" --format csv "SELECT count(*) FROM bronze.ImagingDicom WHERE contentHash <> datasetHash" | tail -1)
[ "$received" -eq "$count" ] || fail "$received of $count rows have a rebuilt file meta group"
echo "PASS: Orthanc pushed $count instances; bronze equals the disk ingest (data sets byte for byte)"
