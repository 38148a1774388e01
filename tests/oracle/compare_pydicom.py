#!/usr/bin/python3
"""Oracle test: dicomlake's DICOM JSON against pydicom's.

For every file of Debian's python3-pydicom test data (test_files, charset_files) that pydicom
reads, compares `dicomlake dump FILE` with pydicom's `Dataset.to_json_dict()` with the file meta
merged in, after the normalisations listed in docs/bronze.md ("Differences from pydicom"):

  1. group length elements (gggg,0000) are left out (PS3.18 F.2: not part of the model);
  2. binary values over 1 KiB: dicomlake gives a BulkDataURI, pydicom inlines them; only the VR
     is compared;
  3. numbers are compared as numbers (IS/DS text and FL/FD within a relative 1e-6);
  4. PN component groups that are empty strings are dropped (pydicom emits {"Alphabetic": ""});
  5. the ambiguous VRs pydicom leaves unresolved ("OB or OW", "US or SS", ...) match either;
  6. an empty value inside a multi-valued element: dicomlake writes null (F.2.5), pydicom "";
  7. trailing spaces of text values: dicomlake removes them (PS3.5 6.2: insignificant padding),
     pydicom keeps them in some values;
  8. encapsulated (compressed) pixel data is always a BulkDataURI in dicomlake with VR OB (PS3.5
     A.4); pydicom inlines it and sometimes reports OW;
  9. binary values of Explicit VR Big Endian files: dicomlake inlines them in little-endian byte
     order (the order of every other transfer syntax), pydicom as stored;
 10. an explicit-VR UN value of 64 KiB or more whose VR the dictionary knows: pydicom keeps it UN
     (its replace_un_with_known_vr stops at 0xFFFF bytes), dicomlake reads it with the
     dictionary's VR; pydicom's bytes are read under that VR and compared value by value;
 11. a private attribute only DCMTK's private dictionary types (183 entries pydicom's lacks,
     e.g. Philips "PHILIPS MR IMAGING DD 001"): pydicom keeps it UN; compared the same way.

Prints the match rate and, for each mismatch, the first differing tag. Exits 1 when fewer files
match than --min-matches (a floor that only ever rises), so a regression fails the suite.
With --files-from, the files listed there are compared instead (the real-world set of
tests/realworld/fetch; files without the "DICM" prefix are read with force=True). Run with
Debian's /usr/bin/python3 (pydicom 2.3).
"""
import argparse
import base64
import glob
import json
import math
import os
import struct
import subprocess
import sys

import pydicom

DATA = "/usr/lib/python3/dist-packages/pydicom/data"
INLINE_LIMIT = 1024


def pydicom_json(path, force):
    try:
        ds = pydicom.dcmread(path)
    except pydicom.errors.InvalidDicomError:
        if not force:
            raise
        ds = pydicom.dcmread(path, force=True)  # a bare data set without the "DICM" prefix
        if len(ds) == 0:
            raise
    out = {}
    if getattr(ds, "file_meta", None) is not None:
        out.update(ds.file_meta.to_json_dict())
    out.update(ds.to_json_dict())
    return out


def number(v):
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return None
    return None


def same_value(a, b, vr):
    if a in ("", None) and b in ("", None):
        return True
    if isinstance(a, str) and isinstance(b, str) and a.rstrip(" ") == b.rstrip(" "):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        if vr == "PN":
            a = {k: v for k, v in a.items() if v != ""}
            b = {k: v for k, v in b.items() if v != ""}
            return a == b
        return same_dataset(a, b, False) is None
    na, nb = number(a), number(b)
    if vr in ("IS", "DS", "FL", "FD", "US", "SS", "UL", "SL", "SV", "UV") and na is not None and nb is not None:
        return math.isclose(na, nb, rel_tol=1e-6, abs_tol=1e-12)
    return a == b


NUMERIC_FORMATS = {"US": "H", "SS": "h", "UL": "I", "SL": "i", "FL": "f", "FD": "d",
                   "UV": "Q", "SV": "q"}


def un_read_as(ours, theirs, tag):
    """Normalisations 10 and 11: pydicom's UN bytes read under dicomlake's VR, or None.

    Applies to an explicit-VR UN value of 64 KiB or more (10) and to a private attribute whose
    VR only DCMTK's private dictionary knows (11); pydicom keeps both UN."""
    if theirs.get("vr") != "UN" or ours.get("vr") in ("UN", "SQ", None) or "InlineBinary" not in theirs:
        return None
    raw = base64.b64decode(theirs["InlineBinary"])
    private = int(tag[:4], 16) % 2 == 1
    if len(raw) < 0xFFFF and not private:
        return None
    vr = ours["vr"]
    if vr in NUMERIC_FORMATS:
        size = struct.calcsize(NUMERIC_FORMATS[vr])
        if len(raw) % size:
            return None
        return {"vr": vr, "Value": list(struct.unpack(f"<{len(raw) // size}{NUMERIC_FORMATS[vr]}", raw))}
    if vr in ("OB", "OW", "OD", "OF", "OL", "OV"):
        return {"vr": vr, "InlineBinary": theirs["InlineBinary"]}
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    if vr in ("LT", "ST", "UT", "UR"):
        return {"vr": vr, "Value": [text.rstrip(" \0")]}
    values = [v.strip(" \0") for v in text.split("\\")]
    if vr == "PN":
        groups = ("Alphabetic", "Ideographic", "Phonetic")
        values = [{g: c for g, c in zip(groups, v.split("=")) if c} for v in values]
    return {"vr": vr, "Value": values}


def same_element(ours, theirs, tag, big_endian):
    """None when equal, else a reason."""
    theirs = un_read_as(ours, theirs, tag) or theirs
    their_vr = theirs.get("vr", "")
    if tag == "7FE00010" and "BulkDataURI" in ours and ours.get("vr") == "OB":
        return None  # normalisation 8
    if big_endian and "InlineBinary" in ours and ours.get("vr") != "OB":
        return None if "InlineBinary" in theirs else "InlineBinary missing in pydicom"
    if " or " in their_vr:
        if ours.get("vr") not in their_vr.split(" or "):
            return f"vr {ours.get('vr')} vs {their_vr}"
    elif ours.get("vr") != their_vr:
        return f"vr {ours.get('vr')} vs {their_vr}"
    if "BulkDataURI" in ours:
        inline = theirs.get("InlineBinary")
        if inline is not None and len(base64.b64decode(inline)) <= INLINE_LIMIT:
            return "BulkDataURI for a small value"
        return None
    if "InlineBinary" in ours or "InlineBinary" in theirs:
        return None if ours.get("InlineBinary") == theirs.get("InlineBinary") else "InlineBinary differs"
    a, b = ours.get("Value"), theirs.get("Value")
    if a is None or b is None:
        # pydicom may emit [""] or [None] for an empty value where dicomlake emits no Value.
        rest = a if a is not None else b
        if all(v in ("", None, {}) for v in rest or []):
            return None
        return f"Value {json.dumps(a)[:80]} vs {json.dumps(b)[:80]}"
    if len(a) != len(b):
        return f"{len(a)} values vs {len(b)}"
    for x, y in zip(a, b):
        if not same_value(x, y, ours.get("vr")):
            return f"value {json.dumps(x, ensure_ascii=False)[:80]} vs {json.dumps(y, ensure_ascii=False)[:80]}"
    return None


def dataset_differences(ours, theirs, big_endian):
    """Every differing top-level tag with its reason."""
    theirs = {k: v for k, v in theirs.items() if not k.endswith("0000")}
    out = []
    for tag in sorted(set(ours) | set(theirs)):
        if tag not in ours:
            out.append(f"{tag}: missing in dicomlake")
        elif tag not in theirs:
            out.append(f"{tag}: extra in dicomlake")
        else:
            reason = same_element(ours[tag], theirs[tag], tag, big_endian)
            if reason:
                out.append(f"{tag}: {reason}")
    return out


def same_dataset(ours, theirs, big_endian):
    differences = dataset_differences(ours, theirs, big_endian)
    return differences[0] if differences else None


def oracle_files(files_from=None):
    """The files of an oracle set: those listed in `files_from` (the real-world set of
    tests/realworld/fetch), else pydicom's test data. Shared with compare_gdcm.py."""
    if files_from:
        if not os.path.exists(files_from):
            sys.exit(f"{files_from} is missing: run tests/realworld/fetch (scripts/setup does)")
        with open(files_from) as f:
            return [line.strip() for line in f if line.strip()]
    files = sorted(glob.glob(f"{DATA}/test_files/**/*", recursive=True) + glob.glob(f"{DATA}/charset_files/*"))
    return [f for f in files if os.path.isfile(f) and not f.endswith((".py", ".gz", ".bz2", ".json", ".txt", ".pyc"))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dicomlake")
    parser.add_argument("--min-matches", type=int, default=0)
    parser.add_argument("--min-rate", type=float, default=0.0, help="percent of files that must match")
    parser.add_argument("--files-from", help="compare the files listed in this file instead")
    parser.add_argument("--all", action="store_true", help="list every differing tag, not the first")
    args = parser.parse_args()
    files = oracle_files(args.files_from)
    compared = matched = 0
    mismatches = []
    for path in files:
        try:
            theirs = pydicom_json(path, force=bool(args.files_from))
        except Exception:  # pydicom cannot read or serialise it: not part of the comparison
            continue
        compared += 1
        run = subprocess.run([args.dicomlake, "-q", "dump", path], capture_output=True, text=True)
        if run.returncode != 0:
            mismatches.append((path, "dicomlake could not read it: " + run.stderr.strip()[:120]))
            continue
        ours = json.loads(run.stdout)
        ts = theirs.get("00020010", {}).get("Value", [""])[0]
        differences = dataset_differences(ours, theirs, ts == "1.2.840.10008.1.2.2")
        if differences:
            mismatches.append((path, "; ".join(differences) if args.all else differences[0]))
        else:
            matched += 1
    for path, reason in mismatches:
        print(f"MISMATCH {os.path.relpath(path, DATA) if path.startswith(DATA) else path}: {reason}")
    rate = 100.0 * matched / compared if compared else 0.0
    print(f"pydicom oracle: {matched} of {compared} readable files match ({rate:.1f}%)")
    if matched < args.min_matches:
        print(f"FAILED: fewer than {args.min_matches} files match", file=sys.stderr)
        return 1
    if rate < args.min_rate:
        print(f"FAILED: fewer than {args.min_rate}% of the files match", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
