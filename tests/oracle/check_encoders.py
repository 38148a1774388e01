#!/usr/bin/env python3
"""Every transfer syntax from independent encoders (Debian), decoded by `dicomlake pixels` and
compared with pydicom using GDCM as its pixel handler (Debian python3-gdcm; pydicom's own
decoder for RLE) and, for lossless
syntaxes, with the uncompressed original.

The images: `dicomlake sample --pixels realistic` (512x512 16-bit CT with 12 bits stored, 8-bit
RGB ultrasound), made uncompressed by DCMTK's dcmconv. The encoders:
- DCMTK: dcmcrle (RLE), dcmcjpeg (baseline 8-bit, extended 12-bit, lossless process 14 and
  SV1), dcmcjpls (JPEG-LS lossless and near-lossless, NEAR 2);
- OpenJPEG's opj_compress (libopenjp2-tools): JPEG 2000 lossless and lossy codestreams, wrapped
  into DICOM by pydicom.
Lossless: equal to the original and to pydicom+GDCM. Lossy: within 2 of pydicom+GDCM (two builds
of a decoder may round differently) and, for JPEG-LS near-lossless, within NEAR of the original.

Usage: check_encoders.py DICOMLAKE [--keep DIR]
"""
import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import pydicom
import pydicom.config
from pydicom.encaps import encapsulate
from pydicom.pixel_data_handlers import gdcm_handler, numpy_handler, rle_handler
from pydicom.pixel_data_handlers.util import convert_color_space

from export_support import run

J2K_LOSSLESS, J2K = "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91"


def pydicom_gdcm(path):
    # GDCM for the compressed syntaxes; pydicom's own RLE decoder (GDCM's handler in pydicom 2.3
    # does not take RLE); numpy for uncompressed data. GDCM leaves lossy colour JPEG in YBR:
    # pydicom's own conversion makes it RGB, as dicomlake gives it.
    pydicom.config.pixel_data_handlers = [numpy_handler, gdcm_handler, rle_handler]
    ds = pydicom.dcmread(path)
    arr = ds.pixel_array
    if ds.SamplesPerPixel == 3 and ds.PhotometricInterpretation.startswith("YBR_FULL"):
        arr = convert_color_space(arr, "YBR_FULL", "RGB")
    return arr


def ours(binary, path, work):
    out = os.path.join(work, "npy")
    shutil.rmtree(out, ignore_errors=True)
    run([binary, "-q", "pixels", path, "--to", out])
    return np.load(glob.glob(os.path.join(out, "*.npy"))[0])[0]


def wrap_j2k(native, codestream, ts, dest):
    ds = pydicom.dcmread(native)
    ds.PixelData = encapsulate([codestream])
    ds["PixelData"].is_undefined_length = True
    ds["PixelData"].VR = "OB"
    ds.file_meta.TransferSyntaxUID = ts
    ds.is_little_endian, ds.is_implicit_VR = True, False
    if ds.SamplesPerPixel == 3:
        ds.PhotometricInterpretation = "RGB"  # opj_compress -mct 0: no colour transform
    ds.save_as(dest, write_like_original=False)


def opj(native, work, lossy):
    ds = pydicom.dcmread(native)
    arr = ds.pixel_array
    raw = os.path.join(work, "in.rawl")  # .rawl: little-endian samples (.raw is big-endian)
    samples = int(ds.SamplesPerPixel)
    planes = arr.reshape(arr.shape[0], arr.shape[1], samples).transpose(2, 0, 1)
    planes.astype(arr.dtype.newbyteorder("<") if arr.dtype.itemsize > 1 else arr.dtype).tofile(raw)
    j2k = os.path.join(work, "out.j2k")
    sign = "s" if int(ds.PixelRepresentation) else "u"
    cmd = ["opj_compress", "-i", raw, "-o", j2k, "-mct", "0",
           "-F", f"{arr.shape[1]},{arr.shape[0]},{samples},{int(ds.BitsStored)},{sign}"]
    if lossy:
        cmd += ["-r", "8"]
    run(cmd)
    with open(j2k, "rb") as f:
        return f.read()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dicomlake")
    ap.add_argument("--keep")
    args = ap.parse_args()
    for tool in ("dcmconv", "dcmcrle", "dcmcjpeg", "dcmcjpls", "opj_compress"):
        if shutil.which(tool) is None:
            print(f"{tool} is not installed (dcmtk, libopenjp2-tools): skipped")
            return 77
    work = args.keep or tempfile.mkdtemp(prefix="dicomlake-encoders-")
    os.makedirs(work, exist_ok=True)
    problems, checked = [], 0
    try:
        sample = os.path.join(work, "sample")
        if not os.path.isdir(sample):
            run([args.dicomlake, "-q", "sample", sample, "--seed", "11", "--scale", "0.01",
                 "--pixels", "realistic", "--no-archives"])
        sources = {}
        for path in sorted(glob.glob(os.path.join(sample, "**", "*.dcm"), recursive=True)):
            try:
                ds = pydicom.dcmread(path, stop_before_pixels=True)
            except Exception:
                continue
            kind = {"CT": "ct", "US": "us"}.get(ds.get("Modality"))
            if kind and kind not in sources and int(getattr(ds, "NumberOfFrames", 1) or 1) == 1:
                native = os.path.join(work, f"{kind}-native.dcm")
                run(["dcmconv", "+te", path, native])
                sources[kind] = native
        if set(sources) != {"ct", "us"}:
            sys.exit(f"the sample gave {sorted(sources)}, need a CT and a US image")
        # (name, source, command or None for OpenJPEG, lossless, tolerance against the original)
        cases = [
            ("rle", "ct", ["dcmcrle"], True, 0),
            ("rle-rgb", "us", ["dcmcrle"], True, 0),
            ("jpeg-lossless-sv1", "ct", ["dcmcjpeg", "+e1"], True, 0),
            ("jpeg-lossless-p14", "ct", ["dcmcjpeg", "+el"], True, 0),
            ("jpeg-extended-12bit", "ct", ["dcmcjpeg", "+ee"], False, None),
            ("jpeg-baseline-rgb", "us", ["dcmcjpeg", "+eb"], False, None),
            ("jpegls-lossless", "ct", ["dcmcjpls", "+el"], True, 0),
            ("jpegls-near-lossless", "ct", ["dcmcjpls", "+en", "+md", "2"], False, 2),
            ("j2k-lossless", "ct", None, True, 0),
            ("j2k-lossless-rgb", "us", None, True, 0),
            ("j2k-lossy", "ct", None, False, None),
        ]
        for name, source, command, lossless, tolerance in cases:
            native = sources[source]
            path = os.path.join(work, name + ".dcm")
            if command is None:
                stream = opj(native, work, lossy=not lossless)
                wrap_j2k(native, stream, J2K_LOSSLESS if lossless else J2K, path)
            else:
                run(command + [native, path])
            original = pydicom_gdcm(native)
            theirs = pydicom_gdcm(path)
            mine = ours(args.dicomlake, path, work)
            if mine.shape != theirs.shape:
                problems.append(f"{name}: shape {mine.shape}, pydicom+GDCM {theirs.shape}")
                continue
            diff = np.abs(mine.astype(np.int64) - theirs.astype(np.int64)).max()
            if lossless and diff != 0:
                problems.append(f"{name}: differs from pydicom+GDCM by up to {diff}")
            elif not lossless and diff > 2:
                problems.append(f"{name}: differs from pydicom+GDCM by up to {diff} (lossy; 2 allowed)")
            to_original = np.abs(mine.astype(np.int64) - original.astype(np.int64)).max()
            if tolerance is not None and to_original > tolerance:
                problems.append(f"{name}: differs from the original by up to {to_original}")
            print(f"{name}: equal to pydicom+GDCM{' (max difference %d)' % diff if diff else ''}; "
                  f"max difference to the original {to_original}")
            checked += 1
        for p in problems:
            print("MISMATCH", p)
        print(f"independent encoders: {checked} files checked, {len(problems)} problems")
        return 1 if problems or checked < len(cases) else 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
