#!/usr/bin/python3
"""Crash safety of `dicomlake ingest` (issue 3): kill it with SIGKILL at random moments, again
and again, then let a last run finish, and check the exactly-once rule (ARCHITECTURE section 2):

  - every instance dropped into Ingest is in bronze ImagingDicom exactly once;
  - every original is either stored under Files/Process (referenced by a bronze row) or, for
    the files that are not DICOM, under Files/Failed; none is lost, Ingest is empty;
  - every Delta table still reads.

Usage: kill_ingest.py <dicomlake> [--kills N] [--seed S]. Needs Debian's python3-pydicom.
"""
import argparse
import glob
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import pydicom
from pydicom.uid import generate_uid

DATA = "/usr/lib/python3/dist-packages/pydicom/data/test_files"


def run(dicomlake, *args, check=True):
    p = subprocess.run([dicomlake, *args], capture_output=True, text=True)
    if check and p.returncode not in (0, 3):
        raise SystemExit(f"dicomlake {' '.join(args)} failed ({p.returncode}): {p.stderr}")
    return p


def sql(dicomlake, lake, query):
    p = run(dicomlake, "sql", lake, query, "--format", "json")
    return json.loads(p.stdout)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dicomlake")
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = tempfile.mkdtemp(prefix="dicomlake-crash-")
    try:
        lake = os.path.join(work, "lake")
        run(args.dicomlake, "init", lake)
        ingest = os.path.join(lake, "bronze/Files/Ingest/Imaging/DICOM")
        # 40 distinct instances (new UIDs on a real file) in two namespaces, plus 3 non-DICOM files.
        expected = set()
        base = pydicom.dcmread(os.path.join(DATA, "CT_small.dcm"))
        for i in range(40):
            base.SOPInstanceUID = generate_uid()
            expected.add(str(base.SOPInstanceUID))
            folder = os.path.join(ingest, "NS%d" % (i % 2), "s%d" % (i % 5))
            os.makedirs(folder, exist_ok=True)
            base.save_as(os.path.join(folder, "img%03d.dcm" % i))
        for i in range(3):
            with open(os.path.join(ingest, "NS0", "junk%d.dcm" % i), "w") as f:
                f.write("not dicom %d" % i)
        config = ["--set", "ingest.max_files_per_trigger=3"]
        kills = 0
        while kills < args.kills:
            proc = subprocess.Popen([args.dicomlake, *config, "-q", "ingest", lake],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.0, 0.4))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
            proc.wait()
            if not glob.glob(os.path.join(ingest, "**", "*.dcm"), recursive=True):
                # Everything went through before a kill landed: drop the same files again under
                # new names so that the next runs have work (they must all be duplicates).
                for i, uid in enumerate(sorted(expected)[:6]):
                    base.SOPInstanceUID = uid
                    os.makedirs(os.path.join(ingest, "NS1", "again"), exist_ok=True)
                    base.save_as(os.path.join(ingest, "NS1", "again", "copy%d_%d.dcm" % (kills, i)))
        final = run(args.dicomlake, *config, "ingest", lake, "--json")
        rows = sql(args.dicomlake, lake,
                   "SELECT sopInstanceUid AS uid, count(*) AS n FROM bronze.ImagingDicom GROUP BY 1")
        problems = []
        got = {r["uid"]: r["n"] for r in rows}
        missing = expected - set(got)
        doubled = {u: n for u, n in got.items() if n != 1}
        if missing:
            problems.append(f"{len(missing)} instances missing from bronze")
        if doubled:
            problems.append(f"instances in bronze more than once: {doubled}")
        left = [p for p in glob.glob(os.path.join(ingest, "**", "*"), recursive=True) if os.path.isfile(p)]
        if left:
            problems.append(f"{len(left)} files left in Ingest: {left[:3]}")
        failed = glob.glob(os.path.join(lake, "bronze/Files/Failed/**/junk*.dcm"), recursive=True)
        if len(failed) != 3:
            problems.append(f"expected the 3 non-DICOM files under Failed, found {len(failed)}")
        stored = sql(args.dicomlake, lake, "SELECT DISTINCT filePath AS p FROM bronze.ImagingDicom")
        lost = [r["p"] for r in stored if not os.path.exists(os.path.join(lake, r["p"]))]
        if lost:
            problems.append(f"bronze rows point at missing files: {lost[:3]}")
        tables = run(args.dicomlake, "tables", lake)
        if tables.returncode != 0:
            problems.append("a table does not read: " + tables.stderr)
        print(f"crash safety: {kills} SIGKILLs, then a clean run: {len(got)} instances in bronze "
              f"(expected {len(expected)}), {len(failed)} failures in Failed")
        print("last run:", final.stdout.strip().replace("\n", " ")[:300])
        for p in problems:
            print("PROBLEM:", p)
        return 1 if problems else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
