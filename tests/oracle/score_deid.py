#!/usr/bin/python3
"""The answer-key test of de-identification (issue 14; the MIDI-B method on our own data).

`dicomlake sample --deid-answer-key` writes studies with identity planted where de-identifiers
miss it (nested items, private attributes, free text, Other Patient IDs, DT values, names with
ideographic and phonetic groups, text burned into ultrasound frames) and an answer key. This
script builds an identified lake from it, de-identifies it with the options the key names, and
scores every row of the key against the research lake's stored files (read by pydicom), in
MIDI-B's categories:
  text_removed      the value is gone (absent, empty, or a dummy that holds none of it)
  text_notnull      present and not empty
  tag_retained      equal to the original
  date_shifted      changed (or gone)
  date_interval     the days between a patient's studies are the same
  uid_changed       a UID, not the original
  uid_consistent    the UID the id map gives for the original
  patid_consistent  the pseudonym the id map gives for the original Patient ID
  pixels_hidden     no pixel of the burned-in text left in its box
  pixels_retained   a box without text equal to the original
Prints the score per category and in all; exits 1 below --min-score (percent).
Usage: score_deid.py DICOMLAKE [--min-score 99.9] [--patients N] [--keep DIR]
"""
import argparse
import collections
import csv
import datetime
import glob
import io
import json
import os
import shutil
import sys
import tempfile

import numpy as np
import pydicom

DUMMIES = {"REMOVED", "19991111", "111111", "19991111111111", "0", "000Y"}


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_deid import run, sql as rows, stored_bytes  # noqa: E402


def stored(lake, path, member):
    return pydicom.dcmread(io.BytesIO(stored_bytes(lake, path, member)))


def element(ds, path):
    """The element at "00400275/0/00080050" (tag, item, tag ...), or None."""
    parts = path.split("/")
    at = ds
    for i in range(0, len(parts), 2):
        tag = int(parts[i], 16)
        if at is None or tag not in at:
            return None
        elem = at[tag]
        if i + 1 == len(parts):
            return elem
        items = elem.value if elem.VR == "SQ" else []
        k = int(parts[i + 1])
        at = items[k] if k < len(items) else None
    return None


def text(elem):
    if elem is None or elem.value is None:
        return ""
    if elem.VR == "SQ":
        return "<sequence>" if len(elem.value) else ""
    v = elem.value
    if isinstance(v, (list, pydicom.multival.MultiValue)):
        return "\\".join(str(x) for x in v)
    return str(v).strip(" \0")


def check(row, new, old, id_map, frames):
    kind = row["check"]
    if kind == "date_interval":
        return None  # scored per patient below
    if new is None:
        return f"instance {row['sop']} is not in the research lake"
    if kind.startswith("pixels"):
        f, x, y, w, h = row["box"]
        a, b = frames(new)[f - 1], frames(old)[f - 1]
        region, original = a[y:y + h, x:x + w], b[y:y + h, x:x + w]
        if kind == "pixels_hidden":
            left = int((region >= 200).sum())
            return None if left == 0 else f"{left} text pixels left in frame {f} box {row['box']}"
        return None if np.array_equal(region, original) else f"frame {f} box {row['box']} changed"
    path = row["path"]
    got, was = text(element(new, path)), text(element(old, path))
    if kind == "text_removed":
        words = [w for w in row.get("words", []) if len(w) >= 3] + [row["value"]]
        left = [w for w in words if w and w.upper() in got.upper()]
        if got and got not in DUMMIES and left:
            return f"{path} = {got!r} still holds {left}"
        return None
    if kind == "text_notnull":
        return None if got else f"{path} is empty"
    if kind == "tag_retained":
        return None if got == was else f"{path} = {got!r}, was {was!r}"
    if kind == "date_shifted":
        return None if got != was else f"{path} = {got!r} not shifted"
    if kind == "uid_changed":
        return None if got and got != was else f"{path} = {got!r} (was {was!r})"
    if kind == "uid_consistent":
        want = id_map.get(was)
        return None if got == want else f"{path} = {got!r}, the id map says {want!r}"
    if kind == "patid_consistent":
        want = id_map.get(row["value"])
        return None if got == want else f"{path} = {got!r}, the id map says {want!r}"
    return f"unknown check {kind}"


def score_intervals(key_rows, study_dates, id_map, results, failures):
    """date_interval: the days between a patient's two studies (their research Study Dates, as
    YYYY-MM-DD or YYYYMMDD, found through the id map) are the original's."""
    for row in key_rows:
        if row["check"] != "date_interval":
            continue
        a, b = (study_dates.get(id_map.get(s, "?"), "").replace("-", "") for s in row["studies"])
        results["date_interval"][1] += 1
        try:
            days = (datetime.date(int(b[:4]), int(b[4:6]), int(b[6:8])) -
                    datetime.date(int(a[:4]), int(a[4:6]), int(a[6:8]))).days
        except ValueError:
            days = None
        if days == row["days"]:
            results["date_interval"][0] += 1
        else:
            failures.append(f"date_interval: {row['patient']}: {days} days, was {row['days']}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dicomlake")
    parser.add_argument("--min-score", type=float, default=99.9)
    parser.add_argument("--patients", type=int, default=8)
    parser.add_argument("--keep", help="build the lakes in this folder and keep them")
    args = parser.parse_args()
    work = args.keep or tempfile.mkdtemp(prefix="dicomlake-score-")
    os.makedirs(work, exist_ok=True)
    try:
        lake, research = os.path.join(work, "identified"), os.path.join(work, "research")
        key_path, key_file = os.path.join(work, "answer-key.json"), os.path.join(work, "keys/r.key")
        run([args.dicomlake, "-q", "init", lake])
        run([args.dicomlake, "-q", "sample", lake, "--deid-answer-key", key_path,
             "--deid-patients", str(args.patients)])
        run([args.dicomlake, "-q", "run", lake])
        key = json.load(open(key_path))
        cmd = [args.dicomlake, "deid", lake, "--to", research, "--key-file", key_file, "--sql",
               "SELECT DISTINCT patientId FROM bronze.ImagingDicom"]
        for o in key["options"]:
            cmd += ["--option", o]
        print(run(cmd).stdout.strip())
        id_map = {}
        with open(glob.glob(os.path.join(lake, "admin/Files/Deid/*/id_map.csv"))[0]) as f:
            for old, new in list(csv.reader(f))[1:]:
                id_map[old] = new
        originals = {sop: (p, m) for sop, p, m in rows(
            args.dicomlake, lake,
            "SELECT sopInstanceUid, filePath, coalesce(archiveMember, '') FROM bronze.ImagingDicom")}
        researched = {sop: (p, m) for sop, p, m in rows(
            args.dicomlake, research,
            "SELECT sopInstanceUid, filePath, coalesce(archiveMember, '') FROM bronze.ImagingDicom")}
        cache, pixel_cache = {}, {}

        def load(lake_dir, table, sop):
            if (lake_dir, sop) not in cache:
                cache[(lake_dir, sop)] = stored(lake_dir, *table[sop]) if sop in table else None
            return cache[(lake_dir, sop)]

        def frames(ds):
            k = id(ds)
            if k not in pixel_cache:
                a = ds.pixel_array
                pixel_cache[k] = a if a.ndim == 3 else a[np.newaxis]
            return pixel_cache[k]

        results = collections.defaultdict(lambda: [0, 0])
        failures = []
        study_dates = {}
        for row in key["rows"]:
            if row["check"] == "date_interval":
                continue
            old = load(lake, originals, row["sop"])
            new = load(research, researched, id_map.get(row["sop"], "?"))
            problem = check(row, new, old, id_map, frames)
            results[row["check"]][1] += 1
            if problem is None:
                results[row["check"]][0] += 1
            else:
                failures.append(f"{row['check']}: {row['sop']}: {problem}")
        for study, date in rows(args.dicomlake, research,
                                "SELECT DISTINCT studyInstanceUid, studyDate FROM bronze.ImagingDicom"):
            study_dates[study] = date
        score_intervals(key["rows"], study_dates, id_map, results, failures)
        for f in failures[:50]:
            print(f)
        passed = sum(p for p, _ in results.values())
        total = sum(t for _, t in results.values())
        print(f"{'category':18} {'passed':>7} {'of':>6}")
        for kind in sorted(results):
            p, t = results[kind]
            print(f"{kind:18} {p:7} {t:6}  {100.0 * p / t:6.2f}%")
        score = 100.0 * passed / total if total else 0.0
        print(f"score: {passed} of {total} = {score:.3f}% (required: {args.min_score}%)")
        return 0 if score >= args.min_score and total > 0 else 1
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
