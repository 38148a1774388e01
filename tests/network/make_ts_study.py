#!/usr/bin/python3
"""Writes one study of pydicom's test files, one series per transfer syntax, into DIR.

The files keep their encoding (native, RLE, JPEG, JPEG-LS, JPEG 2000, deflated, big endian,
multi-frame) and get new UIDs, so that each is an instance of its own; the patient's name is
Cyrillic (UTF-8) for the case-insensitive matching of QIDO-RS. Usage: make_ts_study.py DIR
"""
import hashlib
import os
import sys

import pydicom
from pydicom.data import get_testdata_file

FILES = [
    "MR_small.dcm", "MR_small_implicit.dcm", "MR_small_bigendian.dcm", "MR_small_RLE.dcm",
    "MR_small_jpeg_ls_lossless.dcm", "MR_small_jp2klossless.dcm", "JPEG2000.dcm",
    "JPEG-lossy.dcm", "SC_rgb_jpeg_gdcm.dcm", "SC_rgb_rle_2frame.dcm", "rtdose.dcm",
    "rtdose_rle.dcm", "image_dfl.dcm", "SC_rgb_small_odd.dcm", "CT_small.dcm",
]


def uid(*parts):
    return "2.25." + str(int(hashlib.sha256("/".join(parts).encode()).hexdigest()[:30], 16))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    study = uid("ts-study")
    for n, name in enumerate(FILES, 1):
        ds = pydicom.dcmread(get_testdata_file(name), force=True)
        ds.SpecificCharacterSet = "ISO_IR 192"
        ds.PatientName = "Иванов^Иван"
        ds.PatientID = "TS-0001"
        ds.StudyInstanceUID = study
        ds.StudyDescription = "TRANSFER SYNTAXES"
        ds.StudyDate = "20230115"
        ds.AccessionNumber = "TS0001"
        ds.StudyTime = "101500"
        ds.StudyID = "TS1"
        ds.PatientSex = "M"
        ds.PatientBirthDate = "19700101"
        ds.ReferringPhysicianName = "Петров^Пётр"
        ds.SeriesInstanceUID = uid("ts-series", name)
        ds.SeriesNumber = n
        ds.SeriesDescription = name
        ds.SOPInstanceUID = uid("ts-instance", name)
        ds.InstanceNumber = 1
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.save_as(os.path.join(out, "%02d.dcm" % n), write_like_original=True)


if __name__ == "__main__":
    main()
