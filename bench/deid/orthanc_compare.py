#!/usr/bin/python3
"""dicomlake deid against Orthanc's /anonymize (Debian orthanc 1.10, its default profile) on the
same files: speed, and the answer key scored for both.

Run by bench/deid/run (inside a private network namespace: Orthanc listens on that namespace's
loopback only). Orthanc is given the identified lake's originals, each study is anonymized with
POST /studies/{id}/anonymize (Orthanc's default: the Basic Profile of its DICOM edition, new
random UIDs and patient ids, private tags removed), the anonymized files are downloaded and the
answer key's rows are scored with tests/oracle/score_deid.py's checks; an anonymized instance is
paired with its original by modality and instance number within the study.
Usage: orthanc_compare.py LAKE ANSWER_KEY WORKDIR PORT
"""
import collections
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile

import numpy as np
import pydicom

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../tests/oracle"))
import score_deid  # noqa: E402


def http(port, method, path, body=None, raw=False):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, method=method)
    with urllib.request.urlopen(req, timeout=600) as r:
        data = r.read()
    return data if raw else json.loads(data or b"null")


def main():
    lake, key_path, work, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    storage = tempfile.mkdtemp(dir=work, prefix="orthanc-")
    config = os.path.join(storage, "orthanc.json")
    json.dump({"Name": "bench", "HttpPort": port, "DicomServerEnabled": False, "DicomPort": port + 1,
               "StorageDirectory": storage, "IndexDirectory": storage,
               "RemoteAccessAllowed": False, "AuthenticationEnabled": False, "Plugins": [],
               "ConcurrentJobs": 2}, open(config, "w"))
    orthanc = subprocess.Popen(["Orthanc", config], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                http(port, "GET", "/system")
                break
            except Exception:  # noqa: BLE001
                time.sleep(0.1)
        # The originals, from the identified lake's stored copies.
        rows = score_deid.rows("dicomlake", lake, "SELECT sopInstanceUid, filePath, "
                               "coalesce(archiveMember, '') FROM bronze.ImagingDicom")
        originals = {}
        for sop, path, member in rows:
            path = path if os.path.isabs(path) else os.path.join(lake, path)
            with zipfile.ZipFile(path) as z:
                originals[sop] = z.read(member or z.namelist()[0])
        for data in originals.values():
            http(port, "POST", "/instances", data)
        studies = http(port, "GET", "/studies")
        start = time.monotonic()
        anonymized = {}
        for s in studies:
            r = http(port, "POST", f"/studies/{s}/anonymize", json.dumps({}).encode())
            anonymized[s] = r["ID"]
        seconds = time.monotonic() - start
        print(f"orthanc anonymize: {len(originals)} instances in {seconds:.2f} s = "
              f"{len(originals) / seconds:.0f} instances/s")
        # Pair anonymized instances with originals (modality, instance number, in the study).
        id_map, new_files = {}, {}
        for s, a in anonymized.items():
            old_ds = {}
            for i in http(port, "GET", f"/studies/{s}/instances"):
                d = pydicom.dcmread(io.BytesIO(http(port, "GET", f"/instances/{i['ID']}/file", raw=True)))
                old_ds[(d.Modality, str(d.get("InstanceNumber", "")))] = d
            for i in http(port, "GET", f"/studies/{a}/instances"):
                data = http(port, "GET", f"/instances/{i['ID']}/file", raw=True)
                n = pydicom.dcmread(io.BytesIO(data))
                o = old_ds.get((n.Modality, str(n.get("InstanceNumber", ""))))
                if o is None:
                    continue
                new_files[str(o.SOPInstanceUID)] = n
                for tag in ("SOPInstanceUID", "SeriesInstanceUID", "StudyInstanceUID",
                            "FrameOfReferenceUID"):
                    if tag in o and tag in n:
                        id_map.setdefault(str(o[tag].value), str(n[tag].value))
                id_map.setdefault(str(o.PatientID), str(n.get("PatientID", "")))
        key = json.load(open(key_path))
        results = collections.defaultdict(lambda: [0, 0])
        failures = collections.Counter()
        pixel_cache = {}

        def frames(ds):
            if id(ds) not in pixel_cache:
                a = ds.pixel_array
                pixel_cache[id(ds)] = a if a.ndim == 3 else a[np.newaxis]
            return pixel_cache[id(ds)]

        study_dates = {}
        for row in key["rows"]:
            if row["check"] == "date_interval":
                continue
            old = pydicom.dcmread(io.BytesIO(originals[row["sop"]]))
            problem = score_deid.check(row, new_files.get(row["sop"]), old, id_map, frames)
            results[row["check"]][1] += 1
            if problem is None:
                results[row["check"]][0] += 1
            else:
                failures[(row["check"], row.get("path", "pixels"))] += 1
        for n in new_files.values():
            study_dates[str(n.StudyInstanceUID)] = str(n.get("StudyDate", ""))
        interval_failures = []
        score_deid.score_intervals(key["rows"], study_dates, id_map, results, interval_failures)
        failures[("date_interval", "StudyDate")] += len(interval_failures)
        passed = sum(p for p, _ in results.values())
        total = sum(t for _, t in results.values())
        for kind in sorted(results):
            p, t = results[kind]
            print(f"orthanc {kind:18} {p:6} of {t:6}  {100.0 * p / t:6.2f}%")
        print(f"orthanc score: {passed} of {total} = {100.0 * passed / total:.3f}%")
        for (kind, path), n in sorted(failures.items()):
            print(f"orthanc fails {kind} at {path}: {n}")
    finally:
        orthanc.terminate()
        orthanc.wait()


if __name__ == "__main__":
    main()
