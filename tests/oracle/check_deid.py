#!/usr/bin/python3
"""Oracle test for `dicomlake deid` (issue 14): the de-identified files against pydicom, an
independent re-computation of the keyed identifiers, and dciodvfy (Debian dicom3tools).

An identified lake is made of the sample (a small scale) and every pydicom test file that pydicom
reads (each given its own SOP Instance UID), and de-identified whole with
retain-longitudinal-modified-dates. Each research file is paired with its original through the id
map the run wrote, and:
  - pydicom reads it; Patient Identity Removed is YES; Longitudinal Temporal Information Modified
    is MODIFIED; no private attribute and no non-empty person name is left;
  - its Patient ID is the pseudonym recomputed here (HMAC-SHA256 of the key file's key), and
    every UID at any depth is either a DICOM-defined one (1.2.840.10008.*) or the keyed new UID
    (2.25. + the decimal of the first 128 bits of HMAC-SHA256(key, old UID)) of a UID the
    original holds: no original UID survives and references stay consistent;
  - every DA value of the original's top level that is still there moved by the patient's shift,
    recomputed here;
  - dciodvfy reports no error on it that it did not report on the original (for files it reads).
Exits 1 on any difference, or when fewer than --min-files pairs were compared; 77 without
dciodvfy.
Usage: check_deid.py DICOMLAKE [--min-files N]
"""
import argparse
import csv
import datetime
import glob
import hashlib
import hmac
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
import zipfile

import pydicom

DATA = "/usr/lib/python3/dist-packages/pydicom/data/test_files"
SHIFT_MIN, SHIFT_MAX = -3650, -1  # deid.date_shift_min_days / max_days defaults
DUMMY_NAME = "REMOVED"  # the D action's dummy person name (dcm4che's)


def run(cmd, ok=(0,)):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode not in ok:
        raise RuntimeError(f"{' '.join(cmd)} exited {r.returncode}: {r.stderr.strip()}")
    return r


def sql(dicomlake, lake, query):
    out = run([dicomlake, "sql", lake, "--format", "csv", query]).stdout
    return list(csv.reader(io.StringIO(out)))[1:]


def new_uid(key, uid):
    mac = hmac.new(key, uid.encode(), hashlib.sha256).digest()
    return "2.25." + str(int.from_bytes(mac[:16], "big"))


def pseudonym(key, patient_id):
    mac = hmac.new(key, b"PatientID\0" + patient_id.encode(), hashlib.sha256).digest()
    return mac[:8].hex().upper()


def shift_days(key, patient_id):
    mac = hmac.new(key, b"DateShift\0" + patient_id.encode(), hashlib.sha256).digest()
    has_zero = SHIFT_MIN <= 0 <= SHIFT_MAX
    choices = SHIFT_MAX - SHIFT_MIN + 1 - (1 if has_zero else 0)
    days = SHIFT_MIN + int.from_bytes(mac[:8], "big") % choices
    if has_zero and days >= 0:
        days += 1
    return days


def walk(ds):
    """Every data element at any depth (file meta group excluded)."""
    for elem in ds:
        yield elem
        if elem.VR == "SQ":
            for item in elem.value:
                yield from walk(item)


# UIDs that name a kind of object or a coding scheme, not an object: kept (Table E.1-1 keeps
# them or does not list them).
KIND_UIDS = {0x00080016, 0x00081150, 0x0008010C, 0x00080062, 0x0008001A, 0x00041510, 0x00041512,
             0x0008010D, 0x00400E01}


def uids(ds, only_tags=None):
    out = set()
    for elem in walk(ds):
        if only_tags is not None and elem.tag not in only_tags:
            continue
        if elem.VR == "UI" and elem.value:
            values = elem.value if isinstance(elem.value, (list, pydicom.multival.MultiValue)) else [elem.value]
            out.update(str(v).strip("\0 ") for v in values if str(v).strip("\0 "))
    return out


def dciodvfy_errors(path):
    """dciodvfy's errors, with numbers and UIDs written as <N> (UIDs differ by design)."""
    r = subprocess.run(["dciodvfy", path], capture_output=True, text=True, errors="replace")
    return {re.sub(r"\b\d+(\.\d+)*\b", "<N>", line.strip())
            for line in (r.stdout + r.stderr).splitlines() if line.startswith("Error")}


def check_pair(key, original, research, label, work):
    problems = []
    try:
        o = pydicom.dcmread(io.BytesIO(original))
        n = pydicom.dcmread(io.BytesIO(research))
    except Exception as e:  # noqa: BLE001
        return [f"{label}: pydicom cannot read: {e}"], False
    if n.get("PatientIdentityRemoved") != "YES":
        problems.append(f"{label}: Patient Identity Removed is {n.get('PatientIdentityRemoved')!r}")
    if n.get("LongitudinalTemporalInformationModified") != "MODIFIED":
        problems.append(f"{label}: Longitudinal Temporal Information Modified is "
                        f"{n.get('LongitudinalTemporalInformationModified')!r}")
    for elem in walk(n):
        if elem.tag.is_private:
            problems.append(f"{label}: private attribute {elem.tag} kept")
        elif elem.VR == "PN" and str(elem.value or "").strip() not in ("", DUMMY_NAME):
            problems.append(f"{label}: person name {elem.tag} = {elem.value!r} kept")
    pid = str(o.get("PatientID", "") or "")
    if pid and n.get("PatientID") != pseudonym(key, pid):
        problems.append(f"{label}: Patient ID {n.get('PatientID')!r}, expected the pseudonym "
                        f"{pseudonym(key, pid)}")
    old = uids(o)
    kinds = uids(o, KIND_UIDS)
    images = {new_uid(key, u): u for u in old}
    for u in uids(n):
        if u.startswith("1.2.840.10008.") or u in kinds:
            continue
        if u in old:
            problems.append(f"{label}: original UID {u} kept")
        elif u not in images:
            problems.append(f"{label}: UID {u} is not the keyed image of a UID of the original")
    if n.file_meta.get("MediaStorageSOPInstanceUID") != n.get("SOPInstanceUID"):
        problems.append(f"{label}: the file meta group's SOP Instance UID differs")
    days = shift_days(key, pid)
    for elem in o:
        if elem.VR != "DA" or not elem.value or elem.tag not in n:
            continue
        v = str(elem.value)
        moved = str(n[elem.tag].value or "")
        if not moved:
            continue
        try:
            want = (datetime.date(int(v[0:4]), int(v[4:6]), int(v[6:8])) +
                    datetime.timedelta(days=days)).strftime("%Y%m%d")
        except ValueError:
            continue
        if moved != want:
            problems.append(f"{label}: {elem.keyword} {v} became {moved}, expected {want} "
                            f"(shift {days} days)")
    # dciodvfy: no error it did not report on the original.
    po, pn = os.path.join(work, "o.dcm"), os.path.join(work, "n.dcm")
    open(po, "wb").write(original)
    open(pn, "wb").write(research)
    before, after = dciodvfy_errors(po), dciodvfy_errors(pn)
    if "Error - Dicom dataset read failed" in before:
        return problems, True  # dciodvfy cannot read the original (e.g. deflate): no judge
    for e in sorted(after - before):
        problems.append(f"{label}: dciodvfy: {e}")
    return problems, True


def stored_bytes(lake, path, member):
    path = path if os.path.isabs(path) else os.path.join(lake, path)
    if path.endswith(".zip") or member:
        with zipfile.ZipFile(path) as z:
            return z.read(member or z.namelist()[0])
    return open(path, "rb").read()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dicomlake")
    parser.add_argument("--min-files", type=int, default=1)
    args = parser.parse_args()
    if shutil.which("dciodvfy") is None:
        print("dciodvfy (Debian dicom3tools) is not installed")
        return 77
    work = tempfile.mkdtemp(prefix="dicomlake-deid-")
    try:
        lake, research = os.path.join(work, "lake"), os.path.join(work, "research")
        key_file = os.path.join(work, "keys", "research.key")
        run([args.dicomlake, "-q", "init", lake])
        run([args.dicomlake, "-q", "sample", lake, "--seed", "3", "--scale", "0.03"])
        drop = os.path.join(lake, "bronze/Files/Ingest/Imaging/DICOM/pydicom")
        os.makedirs(drop)
        for path in sorted(glob.glob(f"{DATA}/*.dcm")):
            try:
                ds = pydicom.dcmread(path)
                if not hasattr(ds, "file_meta") or "SOPInstanceUID" not in ds:
                    continue
                ds.SOPInstanceUID = f"2.25.{uuid.uuid4().int}"
                ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
                ds.save_as(os.path.join(drop, os.path.basename(path)), write_like_original=True)
            except Exception:  # noqa: BLE001
                continue
        run([args.dicomlake, "-q", "run", lake], ok=(0, 3))
        r = run([args.dicomlake, "deid", lake, "--to", research, "--key-file", key_file,
                 "--sql", "SELECT DISTINCT seriesInstanceUid FROM bronze.ImagingDicom",
                 "--option", "retain-longitudinal-modified-dates"], ok=(0, 3))
        print(r.stdout.strip())
        for path, member, message in sql(args.dicomlake, lake,
                                         "SELECT sourceFilePath, recordIdentifier, message FROM "
                                         "admin.BusinessEvents WHERE activityName = "
                                         "'imaging_deidentification'"):
            print(f"not de-identified: {os.path.basename(path)}: {message}")
        key = bytes.fromhex(open(key_file).read().strip())
        id_map = glob.glob(os.path.join(lake, "admin/Files/Deid/*/id_map.csv"))[0]
        new_to_old = {}
        with open(id_map, newline="") as f:
            for old, new in list(csv.reader(f))[1:]:
                new_to_old[new] = old
        originals = {sop: (path, member) for sop, path, member in sql(
            args.dicomlake, lake,
            "SELECT sopInstanceUid, filePath, coalesce(archiveMember, '') FROM bronze.ImagingDicom")}
        problems, compared = [], 0
        for sop, path, member in sql(args.dicomlake, research,
                                     "SELECT sopInstanceUid, filePath, coalesce(archiveMember, '') "
                                     "FROM bronze.ImagingDicom ORDER BY sopInstanceUid"):
            old = new_to_old.get(sop)
            if old is None or old not in originals:
                problems.append(f"{sop}: not in the id map")
                continue
            label = f"{old} -> {sop} ({os.path.basename(originals[old][0])})"
            p, ok = check_pair(key, stored_bytes(lake, *originals[old]),
                               stored_bytes(research, path, member), label, work)
            problems += p
            compared += ok
        for p in problems:
            print(p)
        print(f"{compared} de-identified files compared with their originals, {len(problems)} "
              f"problem(s)")
        if compared < args.min_files:
            print(f"fewer than {args.min_files} files compared")
            return 1
        return 1 if problems else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
