#!/usr/bin/python3
"""Oracle test: bronze's promoted columns and UIDs against GDCM, a second independent reader.

Ingests every file of the oracle sets (pydicom's test data that GDCM reads, and with
--files-from the real-world set of tests/realworld/fetch) into a fresh lake with
`dicomlake ingest --source`, then compares each bronze ImagingDicom row with what GDCM
(Debian python3-gdcm) reads from the same file: the UIDs exactly, and every promoted column
after the conversions bronze documents (docs/bronze.md): dates as YYYY-MM-DD, times as
HH:MM:SS.ffffff, IS as integers, a person name as its alphabetic group, text decoded from the
file's Specific Character Set (ISO-IR 100 when none is declared, as docs/dicom-json.md says).

Values GDCM gives that are not the standard form (a date that is not 8 digits, text in an ISO
2022 multi-byte set this script does not decode) are not compared; the counts are printed.
Exits 1 when any compared value differs, or when fewer than --min-files files were compared.
Usage: compare_gdcm.py DICOMLAKE [--files-from LIST] [--min-files N]
"""
import argparse
import base64
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import gdcm

from compare_pydicom import oracle_files  # the same sets as the pydicom oracle

# bronze column -> (group, element, kind); kinds as in src/bronze/imaging_dicom.cc's list, but
# written down again here from PS3.6 so the two do not share a mistake.
PROMOTED = {
    "studyInstanceUid": (0x0020, 0x000D, "uid"),
    "seriesInstanceUid": (0x0020, 0x000E, "uid"),
    "sopInstanceUid": (0x0008, 0x0018, "uid"),
    "sopClassUid": (0x0008, 0x0016, "uid"),
    "patientName": (0x0010, 0x0010, "pn"),
    "patientSex": (0x0010, 0x0040, "text"),
    "patientId": (0x0010, 0x0020, "text"),
    "patientBirthDate": (0x0010, 0x0030, "date"),
    "accessionNumber": (0x0008, 0x0050, "text"),
    "referringPhysicianName": (0x0008, 0x0090, "pn"),
    "studyDate": (0x0008, 0x0020, "date"),
    "studyDescription": (0x0008, 0x1030, "text"),
    "modality": (0x0008, 0x0060, "text"),
    "modalitiesInStudy": (0x0008, 0x0061, "list"),
    "performedProcedureStepStartDate": (0x0040, 0x0244, "date"),
    "manufacturerModelName": (0x0008, 0x1090, "text"),
    "studyTime": (0x0008, 0x0030, "time"),
    "timezoneOffsetFromUtc": (0x0008, 0x0201, "text"),
    "numberOfStudyRelatedSeries": (0x0020, 0x1206, "int"),
    "numberOfStudyRelatedInstances": (0x0020, 0x1208, "int"),
    "seriesNumber": (0x0020, 0x0011, "int"),
    "seriesDescription": (0x0008, 0x103E, "text"),
    "numberOfSeriesRelatedInstances": (0x0020, 0x1209, "int"),
    "bodyPartExamined": (0x0018, 0x0015, "text"),
    "laterality": (0x0020, 0x0060, "text"),
    "seriesDate": (0x0008, 0x0021, "date"),
    "seriesTime": (0x0008, 0x0031, "time"),
    "instanceNumber": (0x0020, 0x0013, "int"),
    "documentTitle": (0x0042, 0x0010, "text"),
}

# Specific Character Set defined terms -> Python codecs (single-valued, no code extensions).
CODECS = {
    "": "latin-1", "ISO_IR 6": "latin-1", "ISO_IR 100": "latin-1", "ISO_IR 101": "iso8859_2",
    "ISO_IR 109": "iso8859_3", "ISO_IR 110": "iso8859_4", "ISO_IR 144": "iso8859_5",
    "ISO_IR 127": "iso8859_6", "ISO_IR 126": "iso8859_7", "ISO_IR 138": "iso8859_8",
    "ISO_IR 148": "iso8859_9", "ISO_IR 203": "iso8859_15", "ISO_IR 166": "tis_620",
    "ISO_IR 192": "utf-8", "GB18030": "gb18030", "GBK": "gbk",
}


class NotCompared(Exception):
    """GDCM's value is not in a form this script decodes independently."""


def raw_value(dataset, group, element):
    """The bytes of an element as stored, or None when absent or empty."""
    tag = gdcm.Tag(group, element)
    if not dataset.FindDataElement(tag):
        return None
    value = dataset.GetDataElement(tag).GetByteValue()
    if value is None:
        return None
    # python3-gdcm hands bytes over as str with surrogate escapes.
    data = value.GetBuffer().encode("utf-8", "surrogateescape")[: int(str(value.GetLength()))]
    return data if data else None


def decode(data, charset, text_vr):
    if text_vr and b"\x1b" in data:
        # ISO 2022 escape sequences: Python's iso2022_jp_2 decodes the Japanese ones.
        if "IR 87" in charset or "IR 159" in charset:
            try:
                return data.decode("iso2022_jp_2")
            except UnicodeDecodeError:
                pass
        raise NotCompared(f"character set {charset!r} with escape sequences")
    if all(b < 0x80 for b in data):
        return data.decode("ascii")
    codec = CODECS.get(charset) if text_vr else "latin-1"
    if codec is None:
        raise NotCompared(f"character set {charset!r}")
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        return data.decode("latin-1")  # the documented fallback


def expected(values, charset, group, element, kind):
    data = values.get(group, element)
    if data is None:
        return None
    text = decode(data, charset, kind in ("text", "pn"))
    values = [v.strip(" \0") for v in text.split("\\")]
    first = values[0] or None
    if kind == "list":
        return [v or None for v in values]
    if first is None:
        return None
    if kind in ("uid", "text"):
        return first
    if kind == "pn":
        return first.split("=")[0] or None
    if kind == "int":
        return int(first) if re.fullmatch(r"[+-]?\d+", first) else None
    if kind == "date":
        # YYYYMMDD, or the ACR-NEMA form YYYY.MM.DD that PS3.5 asks readers to accept.
        m = re.fullmatch(r"(\d{4})\.?(\d\d)\.?(\d\d)", first)
        if not m or (("." in first) and first.count(".") != 2):
            raise NotCompared(f"date {first!r}")
        try:
            return datetime.date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
        except ValueError:
            return None
    if kind == "time":
        # HHMMSS.FFFFFF, or the ACR-NEMA form HH:MM:SS.FFFFFF.
        if re.fullmatch(r"\d\d:\d\d(:\d\d(\.\d{1,6})?)?", first):
            first = first.replace(":", "")
        m = re.fullmatch(r"(\d\d)(\d\d)?(\d\d)?(?:\.(\d{1,6}))?", first)
        if not m:
            raise NotCompared(f"time {first!r}")
        hh, mm, ss, frac = m.group(1), m.group(2) or "00", m.group(3) or "00", m.group(4) or ""
        return f"{hh}:{mm}:{ss}.{frac.ljust(6, '0')}"
    raise AssertionError(kind)


CHARSET = (0x0008, 0x0005)


def extract(path):
    """{"gggg,eeee": base64 of the stored bytes or None} for the promoted tags and the character
    set, or None when GDCM cannot read the file."""
    reader = gdcm.Reader()  # owns the data set: keep it alive while the data set is used
    reader.SetFileName(path)
    if not reader.Read():
        return None
    ds = reader.GetFile().GetDataSet()
    out = {}
    for group, element in [CHARSET] + [(g, e) for g, e, _ in PROMOTED.values()]:
        data = raw_value(ds, group, element)
        out[f"{group:04x},{element:04x}"] = base64.b64encode(data).decode() if data else None
    return out


def extract_worker():
    """`--extract`: reads paths from stdin, prints one JSON line per path (GDCM runs here, in a
    child process, because it aborts the process on some malformed files)."""
    for line in sys.stdin:
        path = line.rstrip("\n")
        print(json.dumps({"path": path, "values": extract(path)}), flush=True)


def extract_all(paths):
    """{path: values or None} for every path; a file that kills GDCM counts as unreadable."""
    results = {}
    remaining = list(paths)
    while remaining:
        child = subprocess.run([sys.executable, __file__, "--extract"], input="\n".join(remaining) + "\n",
                               capture_output=True, text=True)
        done = [json.loads(line) for line in child.stdout.splitlines() if line.startswith("{")]
        for d in done:
            results[d["path"]] = d["values"]
        remaining = remaining[len(done):]
        if remaining and child.returncode != 0:
            results[remaining[0]] = None  # GDCM crashed on it
            remaining = remaining[1:]
    return results


class GdcmValues:
    """The extracted bytes of one file, looked up like a data set."""

    def __init__(self, values):
        self.values = values

    def get(self, group, element):
        v = self.values.get(f"{group:04x},{element:04x}")
        return base64.b64decode(v) if v else None


def bronze_rows(binary, files, work):
    """Ingests `files` (copied under work/src) and returns {copied path: row}, {copied: original}."""
    src = os.path.join(work, "src")
    copies = {}
    for i, path in enumerate(files):
        copy = os.path.join(src, f"{i:04d}", os.path.basename(path))
        os.makedirs(os.path.dirname(copy))
        shutil.copyfile(path, copy)
        copies[copy] = path
    lake = os.path.join(work, "lake")
    subprocess.run([binary, "-q", "init", lake], check=True)
    run = subprocess.run([binary, "-q", "ingest", lake, "--source", src, "--namespace", "oracle"])
    if run.returncode not in (0, 3):  # 3: some files are not DICOM, as expected here
        sys.exit(f"ingest failed with exit code {run.returncode}")
    columns = ", ".join(PROMOTED)
    out = subprocess.run([binary, "sql", lake, f"SELECT filePath, {columns} FROM bronze.ImagingDicom",
                          "--format", "json"], check=True, capture_output=True, text=True).stdout
    return {row["filePath"]: row for row in json.loads(out)}, copies


def main():
    if sys.argv[1:] == ["--extract"]:
        extract_worker()
        return 0
    parser = argparse.ArgumentParser()
    parser.add_argument("dicomlake")
    parser.add_argument("--files-from")
    parser.add_argument("--min-files", type=int, default=1)
    args = parser.parse_args()
    files = oracle_files(args.files_from)
    work = tempfile.mkdtemp(prefix="dicomlake-gdcm-")
    rows, copies = bronze_rows(args.dicomlake, files, work)
    compared_files = compared_values = 0
    differences, not_compared, missing = [], [], []
    rows_by_uid = {}
    for row in rows.values():
        rows_by_uid.setdefault(row["sopInstanceUid"], []).append(row)
    extracted = extract_all(sorted(copies))
    for copy, original in sorted(copies.items()):
        if extracted.get(copy) is None:
            continue  # GDCM cannot read it: not part of the comparison
        ds = GdcmValues(extracted[copy])
        row = rows.get(copy)
        if row is None:
            uid = ds.get(0x0008, 0x0018)
            uid = uid.decode("latin-1").strip(" \0") if uid else None
            if uid and uid in rows_by_uid:
                continue  # a duplicate of a file already in bronze (same instance, same bytes)
            if uid:
                missing.append(original)
            continue
        compared_files += 1
        charset_raw = ds.get(*CHARSET)
        charset = charset_raw.decode("latin-1").strip(" \0") if charset_raw else ""
        for column, (group, element, kind) in PROMOTED.items():
            try:
                want = expected(ds, charset, group, element, kind)
            except NotCompared as reason:
                not_compared.append(f"{os.path.relpath(original, '/')}: {column}: {reason}")
                continue
            compared_values += 1
            got = row[column]
            if got != want:
                differences.append(f"{original}: {column}: bronze {got!r}, GDCM {want!r}")
    shutil.rmtree(work, ignore_errors=True)
    for d in differences:
        print("DIFFERENT", d)
    for m in missing:
        print("MISSING in bronze (GDCM reads it):", m)
    for n in not_compared:
        print("not compared:", n)
    print(f"GDCM oracle: {compared_files} files, {compared_values} values compared, "
          f"{len(differences)} differ, {len(missing)} files GDCM reads are missing from bronze, "
          f"{len(not_compared)} values not compared")
    if differences or missing or compared_files < args.min_files:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
