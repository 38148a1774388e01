# Shared by the Orthanc peer tests (sourced, without arguments, first thing; the caller sets
# `bin`, the dicomlake binary, and `curl_auth`, curl's options for Orthanc's API): a private
# network namespace with only loopback, a work folder and clean-up (tests/support/sandbox.sh),
# the sample's files, their disk ingest as the reference, and Orthanc started on loopback.

needs=(Orthanc)
source "$(dirname "${BASH_SOURCE[0]}")/../support/sandbox.sh"

# The sample's DICOM files in `files` (not its ZIP: Orthanc takes instances one by one), and the
# same files ingested from disk into $work/disk (namespace pacs1).
make_sample_and_disk() {
  "$bin" -q init "$work/src"
  "$bin" -q sample "$work/src" --seed 7 --scale 0.02
  mapfile -t files < <(find "$work/src/bronze/Files/Ingest/Imaging/DICOM" -type f ! -name '*.zip' | sort)
  "$bin" -q init "$work/disk"
  local drop="$work/disk/bronze/Files/Ingest/Imaging/DICOM/pacs1" i=0 f
  mkdir -p "$drop"
  for f in "${files[@]}"; do cp "$f" "$drop/$((i++)).dcm"; done
  "$bin" -q ingest "$work/disk" || [ $? -eq 3 ]  # the sample's one file that is not DICOM
}

# Orthanc on 127.0.0.1 (HTTP 8042, DICOM 4242, AE ORTHANC) with the JSON members in $1 added to
# its configuration; `api` is its REST root and `curl_auth` the curl options for its API.
start_orthanc() {
  cat > "$work/orthanc.json" <<JSON
{
  "Name": "dicomlake-test",
  "StorageDirectory": "$work/orthanc-db",
  "IndexDirectory": "$work/orthanc-db",
  "HttpPort": 8042,
  "DicomPort": 4242,
  "DicomAet": "ORTHANC",
  "RemoteAccessAllowed": false,
  $1
}
JSON
  Orthanc "$work/orthanc.json" > "$work/orthanc.log" 2>&1 &
  pids+=($!)
  api=http://127.0.0.1:8042
  local _
  for _ in $(seq 100); do curl -sf "${curl_auth[@]}" "$api/system" >/dev/null 2>&1 && break; sleep 0.2; done
  curl -sf "${curl_auth[@]}" "$api/system" >/dev/null || fail "Orthanc did not start"
}

# Gives Orthanc the sample's files; `count` is the number of instances it holds.
load_orthanc() {
  local f
  for f in "${files[@]}"; do
    curl -s "${curl_auth[@]}" -X POST --data-binary "@$f" "$api/instances" >/dev/null || true
  done
  ids=$(curl -sf "${curl_auth[@]}" "$api/instances")
  count=$(printf '%s' "$ids" | tr ',' '\n' | grep -c '"' || true)
  [ "$count" -gt 50 ] || fail "Orthanc holds only $count instances"
}
