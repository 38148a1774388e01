#!/bin/bash
# Access kept apart (issue 14, scope 6): run as root, this makes two groups (a PHI group and a
# research group) and a user in the research group only, de-identifies the sample into a research
# lake with deid.identified_group / deid.research_group set, and shows with runuser and setpriv
# that the user reads the research lake and cannot read the identified lake, the id map or the
# key. The users and groups are removed afterwards. Exit 77 (skipped) when not root.
# Usage: deid_access.sh DICOMLAKE
set -uo pipefail
dicomlake=$1
if [ "$(id -u)" != 0 ] || ! command -v useradd >/dev/null || ! command -v setpriv >/dev/null; then
  echo "needs root, useradd and setpriv: skipped"
  exit 77
fi
suffix=$$
phi=dlphi$suffix research=dlres$suffix user=dlreader$suffix
work=$(mktemp -d /tmp/dicomlake-access-XXXXXX)
cleanup() {
  userdel "$user" >/dev/null 2>&1
  groupdel "$research" >/dev/null 2>&1
  groupdel "$phi" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
chmod 755 "$work"  # the user may look into the work folder, not into what is kept from them
groupadd "$phi" && groupadd "$research" && useradd -M -N -g "$research" -s /usr/sbin/nologin "$user" ||
  { echo "cannot create the groups and the user"; exit 1; }

failures=0
check() {  # check DESCRIPTION EXPECTED_OK COMMAND...
  local what=$1 want=$2
  shift 2
  if "$@" >"$work/out" 2>&1; then got=ok; else got=refused; fi
  if [ "$got" = "$want" ]; then
    echo "ok   $what: $got"
  else
    echo "FAIL $what: $got, expected $want"
    sed 's/^/     /' "$work/out"
    failures=$((failures + 1))
  fi
}

lake=$work/identified research_lake=$work/research key=$work/keys/research.key
"$dicomlake" -q init "$lake" && "$dicomlake" -q sample "$lake" --seed 1 --scale 0.02 &&
  { "$dicomlake" -q run "$lake"; [ $? -le 3 ]; } || { echo "cannot build the identified lake"; exit 1; }
"$dicomlake" -q --set deid.identified_group="$phi" --set deid.research_group="$research" \
  deid "$lake" --to "$research_lake" --key-file "$key" \
  --sql "SELECT DISTINCT patientId FROM bronze.ImagingDicom" || { echo "deid failed"; exit 1; }
id_map=$(ls "$lake"/admin/Files/Deid/*/id_map.csv)

# The user runs a copy of the binary and of its DuckDB library: the build folder may sit where
# the user cannot reach it (a clone inside a 0700 folder, a private home).
mkdir -p "$work/bin" && cp "$dicomlake" "$work/bin/dicomlake" &&
  cp "$(ldd "$dicomlake" | awk '/libduckdb/ {print $3}')" "$work/bin/" && chmod -R a+rX "$work/bin" ||
  { echo "cannot copy the binary for the user"; exit 1; }
user_dicomlake=$work/bin/dicomlake
as_user() { (cd "$work" && runuser -u "$user" -- env LD_LIBRARY_PATH="$work/bin" "$@"); }
as_user_setpriv() {
  (cd "$work" && setpriv --reuid="$user" --regid="$research" --init-groups \
    env LD_LIBRARY_PATH="$work/bin" "$@")
}

check "the research lake's group is $research" ok test "$(stat -c %G "$research_lake/gold")" = "$research"
check "the identified lake's group is $phi" ok test "$(stat -c %G "$lake/bronze")" = "$phi"
check "nobody else may read the research lake" ok test "$(stat -c %A "$research_lake" | cut -c8-10)" = "---"
check "the key is its owner's alone" ok test "$(stat -c %a "$key")" = 600
check "the user queries the research lake (runuser)" ok \
  as_user "$user_dicomlake" -q sql "$research_lake" "SELECT count(*) FROM gold.person"
check "the user queries the research lake (setpriv)" ok \
  as_user_setpriv "$user_dicomlake" -q sql "$research_lake" "SELECT count(*) FROM gold.image_occurrence"
check "the user reads a research original" ok \
  as_user cat "$(find "$research_lake/bronze/Files/Process" -type f | head -1)"
check "the user cannot query the identified lake" refused \
  as_user "$user_dicomlake" -q sql "$lake" "SELECT count(*) FROM bronze.ImagingDicom"
check "the user cannot list the identified lake" refused as_user ls "$lake/bronze"
check "the user cannot read the id map" refused as_user cat "$id_map"
check "the user cannot read the key" refused as_user cat "$key"
check "the user cannot read the key (setpriv)" refused as_user_setpriv cat "$key"
echo "$failures failure(s)"
[ "$failures" = 0 ]
