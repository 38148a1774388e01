#!/usr/bin/env bash
# `dicomlake pull` from Orthanc's DICOMweb plugin (Debian's `orthanc-dicomweb`), with HTTP basic
# authentication: refused without credentials (exit 4, nothing stored); one study by --study with
# a netrc file; then everything, the study already complete skipped; then again from the
# watermark, nothing added. Bronze equals the disk ingest of the same files (every instance once,
# whole files byte for byte: WADO-RS with transfer-syntax=* gives the stored file). The password
# appears in no output and nowhere in the lake.
# Usage: orthanc_pull.sh DICOMLAKE_BINARY
set -euo pipefail
bin=$1
password=s3cret-Pa55
curl_auth=(-u "lake:$password")
source "$(dirname "$0")/orthanc_lib.sh"
make_sample_and_disk
plugin=/usr/share/orthanc/plugins/libOrthancDicomWeb.so
[ -e "$plugin" ] || { echo "orthanc-dicomweb is not installed"; exit 77; }
start_orthanc '"AuthenticationEnabled": true, "RegisteredUsers": { "lake": "'"$password"'" },
  "Plugins": ["'"$plugin"'"], "DicomWeb": { "Enable": true, "Root": "/dicom-web/" }'
load_orthanc
web=$api/dicom-web
"$bin" -q init "$work/net"

# No credentials: refused, exit 4, the reason named.
rc=0
"$bin" pull "$work/net" --dicomweb "$web" --namespace pacs1 > "$work/nocred.log" 2>&1 || rc=$?
[ "$rc" -eq 4 ] || fail "pull without credentials exited $rc"
grep -q "HTTP 401" "$work/nocred.log" || fail "no 401 named: $(cat "$work/nocred.log")"

# One study, credentials from a netrc file.
printf 'machine 127.0.0.1 login lake password %s\n' "$password" > "$work/netrc"
chmod 600 "$work/netrc"
study=$("$bin" sql "$work/disk" --format csv \
  "SELECT studyInstanceUid FROM bronze.ImagingDicom GROUP BY ALL ORDER BY count(*) DESC LIMIT 1" | tail -1)
"$bin" pull "$work/net" --dicomweb "$web" --namespace pacs1 --study "$study" \
  --netrc-file "$work/netrc" > "$work/one.log" 2>&1 || fail "pull --study failed"
one=$("$bin" sql "$work/net" --format csv "SELECT count(*) FROM bronze.ImagingDicom" | tail -1)
want=$("$bin" sql "$work/disk" --format csv \
  "SELECT count(*) FROM bronze.ImagingDicom WHERE studyInstanceUid = '$study'" | tail -1)
[ "$one" -eq "$want" ] || fail "pull --study stored $one instances, the study has $want"

# Everything (environment credentials): the complete study is skipped.
DICOMLAKE_DICOMWEB_USER=lake DICOMLAKE_DICOMWEB_PASSWORD=$password \
  "$bin" pull "$work/net" --dicomweb "$web" --namespace pacs1 > "$work/all.log" 2>&1 \
  || fail "pull failed"
grep -q "1 already complete" "$work/all.log" || fail "the study pulled before was retrieved again"
grep -q "watermark recorded" "$work/all.log" || fail "no watermark recorded"

# Again: from the watermark, nothing added.
DICOMLAKE_DICOMWEB_USER=lake DICOMLAKE_DICOMWEB_PASSWORD=$password \
  "$bin" pull "$work/net" --dicomweb "$web" --namespace pacs1 > "$work/again.log" 2>&1 \
  || fail "the second pull failed"
grep -q "from the watermark of the last pull" "$work/again.log" || fail "the watermark was not used"
grep -q "0 added to bronze" "$work/again.log" || fail "the second pull added instances"

rows() {
  "$bin" sql "$1" --format csv "SELECT sopInstanceUid, transferSyntaxUid, modality, contentHash, \
    datasetHash FROM bronze.ImagingDicom ORDER BY ALL"
}
rows "$work/disk" > "$work/disk.csv"
rows "$work/net" > "$work/net.csv"
disk_rows=$(($(wc -l < "$work/disk.csv") - 1))
[ "$disk_rows" -eq "$count" ] || fail "Orthanc holds $count instances, the disk ingest $disk_rows"
diff "$work/disk.csv" "$work/net.csv" > "$work/diff.log" || fail "the rows pulled differ from the disk's"

# The password is nowhere: not in any output, not in the lake's tables or files.
for t in admin.BusinessEvents admin.ExecutionSummary; do
  "$bin" sql "$work/net" --format csv "SELECT * FROM $t" >> "$work/tables.txt"
done
if grep -rq -- "$password" "$work"/*.log "$work/tables.txt" "$work/net"; then
  fail "the password was written somewhere"
fi
echo "PASS: pulled $count instances from Orthanc's DICOMweb; bronze equals the disk ingest byte for byte"
