#!/usr/bin/python3
"""Oracle test for HTJ2K: an independent encoder (OpenJPH's ojph_compress, Debian openjph-tools)
compresses the pixels of uncompressed pydicom test files losslessly; the codestreams are wrapped
into DICOM files with the HTJ2K Lossless transfer syntax (1.2.840.10008.1.2.4.201) by pydicom;
`dicomlake pixels` (OpenJPEG underneath, a different implementation) must give back exactly the
original stored values. Exits 1 on any difference, 77 when ojph_compress is missing.
Usage: check_htj2k.py DICOMLAKE
"""
import os
import shutil
import subprocess
import struct
import sys
import tempfile

import numpy as np
import pydicom
from pydicom._uid_dict import UID_dictionary
from pydicom.encaps import encapsulate

DATA = "/usr/lib/python3/dist-packages/pydicom/data/test_files"
HTJ2K_LOSSLESS = "1.2.840.10008.1.2.4.201"
# pydicom 2.3 predates HTJ2K: teach it the transfer syntax so it writes the file.
UID_dictionary.setdefault(HTJ2K_LOSSLESS, ("High-Throughput JPEG 2000 Image Compression (Lossless "
                                           "Only)", "Transfer Syntax", "", "", "HTJ2KLossless"))
# Uncompressed grey images of several bit depths and signs (the single-frame ones).
SOURCES = ["CT_small.dcm", "MR_small.dcm", "OBXXXX1A.dcm", "rtdose_1frame.dcm"]


def encode(arr, ds, work):
    """The HTJ2K codestream of one frame (rows x columns), lossless."""
    bits = int(ds.BitsStored)
    signed = int(ds.PixelRepresentation) == 1
    raw = os.path.join(work, "in.yuv")
    sample = {1: np.uint8, 2: np.uint16, 4: np.uint32}[arr.dtype.itemsize]
    arr.astype(arr.dtype.newbyteorder("<")).view(sample).tofile(raw)
    out = os.path.join(work, "out.j2c")
    subprocess.run(["ojph_compress", "-i", raw, "-o", out, "-reversible", "true",
                    "-dims", f"{{{ds.Columns},{ds.Rows}}}", "-num_comps", "1",
                    "-signed", "true" if signed else "false", "-bit_depth", str(bits),
                    "-downsamp", "{1,1}"], check=True, capture_output=True)
    with open(out, "rb") as f:
        return f.read()


def item(data):
    """One encapsulated item (FFFE,E000): tag, 32-bit length, the value padded to even length."""
    data += b"\0" * (len(data) % 2)
    return b"\xfe\xff\x00\xe0" + struct.pack("<I", len(data)) + data


def check_extended_offset_table(binary, work, problems):
    """Three HTJ2K frames, each in two fragments, located by an Extended Offset Table (empty
    Basic Offset Table, PS3.5 A.4): decoded back exactly. Returns 1 when checked."""
    path = os.path.join(DATA, "CT_small.dcm")
    if not os.path.exists(path):
        return 0
    ds = pydicom.dcmread(path)
    base = ds.pixel_array.astype(np.int16)
    frames = [base, (base // 2).astype(np.int16), (base // 3).astype(np.int16)]
    encapsulated, offsets, lengths = item(b""), [], []
    position = 0
    for k, frame in enumerate(frames):
        stream = encode(frame, ds, work)
        half = (len(stream) // 2) & ~1
        offsets.append(position)
        lengths.append(len(stream))
        for part in (stream[:half], stream[half:]):
            encapsulated += item(part)
            position += len(item(part))
    ds.NumberOfFrames = len(frames)
    ds.PixelData = encapsulated[:]
    ds["PixelData"].is_undefined_length = True
    ds["PixelData"].VR = "OB"
    ds.ExtendedOffsetTable = struct.pack(f"<{len(offsets)}Q", *offsets)
    ds.ExtendedOffsetTableLengths = struct.pack(f"<{len(lengths)}Q", *lengths)
    ds.file_meta.TransferSyntaxUID = HTJ2K_LOSSLESS
    ds.is_little_endian, ds.is_implicit_VR = True, False
    dicom = os.path.join(work, "eot.dcm")
    ds.save_as(dicom, write_like_original=False)
    out = os.path.join(work, "out-eot")
    run = subprocess.run([binary, "-q", "pixels", dicom, "--to", out], capture_output=True, text=True)
    if run.returncode != 0:
        problems.append(f"extended offset table: not decoded: {run.stderr.strip()}")
        return 1
    got = np.load(os.path.join(out, "eot.dcm.npy"))
    if got.shape != (3,) + base.shape or not np.array_equal(got.astype(np.int64), np.stack(frames).astype(np.int64)):
        problems.append("extended offset table: decoded frames differ from the originals")
    else:
        print("HTJ2K, 3 frames x 2 fragments, Extended Offset Table: decoded back exactly")
    return 1


def main():
    if shutil.which("ojph_compress") is None:
        print("ojph_compress (Debian openjph-tools) is not installed: skipped")
        return 77
    binary = sys.argv[1]
    work = tempfile.mkdtemp(prefix="dicomlake-htj2k-")
    problems, checked = [], 0
    for name in SOURCES:
        path = os.path.join(DATA, name)
        if not os.path.exists(path):
            continue
        ds = pydicom.dcmread(path)
        if int(getattr(ds, "NumberOfFrames", 1) or 1) != 1 or int(ds.SamplesPerPixel) != 1:
            continue
        if int(ds.BitsAllocated) not in (8, 16) or int(ds.BitsStored) > 16:
            continue  # OpenJPH's raw input is 8 or 16 bits per sample
        arr = ds.pixel_array
        ds.PixelData = encapsulate([encode(arr, ds, work)])
        ds["PixelData"].is_undefined_length = True
        ds["PixelData"].VR = "OB"
        ds.file_meta.TransferSyntaxUID = HTJ2K_LOSSLESS
        ds.is_little_endian, ds.is_implicit_VR = True, False
        dicom = os.path.join(work, name)
        ds.save_as(dicom, write_like_original=False)
        out = os.path.join(work, "out-" + name)
        run = subprocess.run([binary, "-q", "pixels", dicom, "--to", out], capture_output=True, text=True)
        if run.returncode != 0:
            problems.append(f"{name}: not decoded: {run.stderr.strip()}")
            continue
        got = np.load(os.path.join(out, name + ".npy"))[0]
        checked += 1
        if got.shape != arr.shape or not np.array_equal(got.astype(np.int64), arr.astype(np.int64)):
            diff = np.abs(got.astype(np.int64) - arr.astype(np.int64)).max() if got.shape == arr.shape else "shape"
            problems.append(f"{name}: decoded values differ from the original (max {diff})")
    checked += check_extended_offset_table(binary, work, problems)
    shutil.rmtree(work, ignore_errors=True)
    for p in problems:
        print("DIFFERENT", p)
    print(f"HTJ2K oracle: {checked} files encoded by OpenJPH and decoded back exactly, "
          f"{len(problems)} problems")
    return 1 if problems or checked < 2 else 0


if __name__ == "__main__":
    sys.exit(main())
