#!/usr/bin/env bash
# `dicomlake serve` side by side with Orthanc's DICOMweb plugin (Debian `orthanc-dicomweb`), both
# fed the same files: the sample and one study of pydicom's test files in every transfer syntax
# (tests/network/make_ts_study.py). tests/network/dicomweb_compare.py asks both the same QIDO-RS
# searches and compares the answers, the WADO-RS metadata, and checks every retrieved instance
# and frame against the files (pydicom as the oracle). Then npm `dicomweb-client` reads the
# lake through `serve` (tests/network/dicomweb_client.js).
# Usage: orthanc_serve.sh DICOMLAKE_BINARY
set -euo pipefail
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
curl_auth=()
source "$here/orthanc_lib.sh"
plugin=/usr/share/orthanc/plugins/libOrthancDicomWeb.so
[ -e "$plugin" ] || { echo "orthanc-dicomweb is not installed"; exit 77; }

make_sample_and_disk
/usr/bin/python3 "$here/make_ts_study.py" "$work/ts" 2> "$work/make_ts.log"
mapfile -t ts_files < <(find "$work/ts" -name '*.dcm' | sort)
cp "${ts_files[@]}" "$work/disk/bronze/Files/Ingest/Imaging/DICOM/pacs1/"
files+=("${ts_files[@]}")
"$bin" -q run "$work/disk" > "$work/run.log" 2>&1 || [ $? -eq 3 ] || fail "the pipeline failed"

start_orthanc '"DefaultEncoding": "Utf8", "Plugins": ["'"$plugin"'"], "DicomWeb": { "Enable": true, "Root": "/dicom-web/" }'
load_orthanc

"$bin" serve "$work/disk" --port 8043 --port-file "$work/serve.port" > "$work/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/serve.port" ] && break; sleep 0.1; done
[ -s "$work/serve.port" ] || fail "serve did not start"
ours=http://127.0.0.1:8043/dicom-web

/usr/bin/python3 "$here/dicomweb_compare.py" "$ours" "$api/dicom-web" "${files[@]}" \
  > "$work/compare.log" 2>&1 || { cat "$work/compare.log"; fail "serve and Orthanc differ"; }
tail -1 "$work/compare.log"

node_modules=$(cd "$here/../.." && pwd)/.deps/node/node_modules
if [ -d "$node_modules/dicomweb-client" ]; then
  NODE_PATH=$node_modules node "$here/dicomweb_client.js" "$ours" > "$work/client.log" 2>&1 \
    || { cat "$work/client.log"; fail "dicomweb-client could not read the lake"; }
  tail -1 "$work/client.log"
else
  fail "npm dicomweb-client is not installed in .deps/node (run scripts/setup)"
fi
echo "PASS: serve answers as Orthanc does on the same files"
