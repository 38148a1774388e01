#!/usr/bin/python3
"""The reference: what the Fabric DICOM metadata extraction does with pydicom
(reference/hds-imaging-facts.md section 3.1): read each file with dcmread, turn every element
into DICOM JSON with to_json_dict, write one NDJSON line per instance. One process per core.

Usage: reference_extract.py FILE_LIST OUT.ndjson [--stop-before-pixels] [--processes N]"""
import json
import multiprocessing
import os
import sys

import pydicom


def extract(path, stop_before_pixels):
    try:
        ds = pydicom.dcmread(path, stop_before_pixels=stop_before_pixels)
        # Bulk data above 1 KiB is not inlined (Fabric keeps metadata); the handler returns "".
        meta = ds.file_meta.to_json_dict(1024, lambda e: "") if hasattr(ds, "file_meta") else {}
        body = ds.to_json_dict(1024, lambda e: "")
        meta.update(body)
        return json.dumps({"filePath": path, "metadata_string": json.dumps(meta)})
    except Exception as e:  # noqa: BLE001 - a bad file is a row with the error, as in Fabric
        return json.dumps({"filePath": path, "error": str(e)})


def work(args):
    paths, stop = args
    return [extract(p, stop) for p in paths]


def main():
    list_file, out = sys.argv[1], sys.argv[2]
    stop = "--stop-before-pixels" in sys.argv
    procs = os.cpu_count() or 1
    if "--processes" in sys.argv:
        procs = int(sys.argv[sys.argv.index("--processes") + 1])
    with open(list_file, encoding="utf-8") as f:
        paths = [line.rstrip("\n") for line in f if line.strip()]
    chunks = [(paths[i:i + 64], stop) for i in range(0, len(paths), 64)]
    with multiprocessing.Pool(procs) as pool, open(out, "w", encoding="utf-8") as o:
        for lines in pool.imap(work, chunks):
            for line in lines:
                o.write(line + "\n")


if __name__ == "__main__":
    main()
