#!/usr/bin/python3
"""The sample generator against an independent reader (issue 7): pydicom reads every file the
generator wrote except the one deliberately invalid file, and the Modality, UIDs and patient
attributes it finds are what the generator meant (its --manifest). Pixel data of every transfer
syntax used decodes. Usage: check_sample.py DICOMLAKE_BINARY WORK_DIR"""
import io
import json
import os
import subprocess
import sys
import zipfile
from collections import Counter

import pydicom


def main():
    binary, work = sys.argv[1], sys.argv[2]
    out = os.path.join(work, "sample")
    manifest = os.path.join(work, "manifest.jsonl")
    subprocess.run([binary, "-q", "sample", out, "--seed", "7", "--scale", "0.2",
                    "--manifest", manifest], check=True)
    expected = {}
    with open(manifest, encoding="utf-8") as f:
        for line in f:
            m = json.loads(line)
            key = m["file"] or (m["zip"] + "!" + m["member"])
            expected[key] = m
    root = os.path.join(out, "Imaging", "DICOM", "sample", "sample-7")
    seen, problems, syntaxes, invalid = set(), [], Counter(), []
    decoded = Counter()

    def check(key, ds):
        m = expected.get(key)
        if m is None:
            problems.append(f"{key}: not in the manifest")
            return
        seen.add(key)
        for attr, want in (("StudyInstanceUID", m["studyInstanceUid"]),
                           ("SeriesInstanceUID", m["seriesInstanceUid"]),
                           ("SOPInstanceUID", m["sopInstanceUid"]),
                           ("Modality", m["modality"]), ("PatientID", m["patientId"]),
                           ("PatientName", m["patientName"]),
                           ("PatientBirthDate", m["patientBirthDate"]),
                           ("PatientSex", m["patientSex"])):
            got = str(getattr(ds, attr, ""))
            if got != want:
                problems.append(f"{key}: {attr} is {got!r}, the generator meant {want!r}")
        ts = str(ds.file_meta.TransferSyntaxUID)
        syntaxes[ts] += 1
        if decoded[ts] < 5:  # decode a few of each syntax
            decoded[ts] += 1
            arr = ds.pixel_array
            if arr.size == 0 or int(arr.max()) == 0:
                problems.append(f"{key}: empty pixel data")

    for dirpath, _, files in os.walk(root):
        for name in files:
            path = os.path.join(dirpath, name)
            if name.endswith(".zip"):
                with zipfile.ZipFile(path) as z:
                    for member in z.namelist():
                        check(os.path.basename(path) + "!" + member,
                              pydicom.dcmread(io.BytesIO(z.read(member))))
                continue
            try:
                ds = pydicom.dcmread(path)
            except Exception as e:  # the deliberately invalid file
                invalid.append(f"{path}: {e}")
                continue
            check(path, ds)
    missing = set(expected) - seen
    report = {"instances": len(seen), "expected": len(expected), "invalid": invalid,
              "transferSyntaxes": syntaxes, "decoded": decoded,
              "problems": problems[:20], "missing": sorted(missing)[:5]}
    print(json.dumps(report, indent=2))
    ok = (not problems and not missing and len(invalid) == 1 and
          invalid[0].split(":")[0].endswith(".dcm") and len(syntaxes) >= 4)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
