#!/usr/bin/python3
"""Writes DICOM files with pydicom (an implementation independent of dicomlake's reader) from a
JSON description, for tests that need controlled headers.

Usage: make_dicom.py SPEC.json   where SPEC is a list of
  {"path": "...", "mtime": <unix seconds, optional>, "tags": {"Keyword": value, ...}}
Values: strings, numbers, lists (multi-valued). SOPClassUID defaults to CT Image Storage;
transfer syntax Explicit VR Little Endian.
"""
import json
import os
import sys

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian


def write(spec):
    ds = Dataset()
    tags = dict(spec["tags"])
    tags.setdefault("SOPClassUID", "1.2.840.10008.5.1.4.1.1.2")
    for keyword, value in tags.items():
        setattr(ds, keyword, value)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = tags["SOPClassUID"]
    meta.MediaStorageSOPInstanceUID = tags.get("SOPInstanceUID", "1.2.3.999")
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta = meta
    os.makedirs(os.path.dirname(spec["path"]), exist_ok=True)
    if hasattr(ds, "save_as"):
        try:
            ds.save_as(spec["path"], enforce_file_format=True)
        except TypeError:  # pydicom < 3
            ds.is_little_endian = True
            ds.is_implicit_VR = False
            ds.preamble = b"\0" * 128
            ds.save_as(spec["path"], write_like_original=False)
    if "mtime" in spec:
        os.utime(spec["path"], (spec["mtime"], spec["mtime"]))


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        for spec in json.load(f):
            write(spec)


if __name__ == "__main__":
    main()
