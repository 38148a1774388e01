#!/usr/bin/python3
"""Oracle test: `dicomlake pixels` against pydicom with GDCM as its pixel handler (Debian
python3-pydicom, python3-gdcm; numpy's handler for uncompressed data), on every file of
pydicom's test data that has Pixel Data and that pydicom decodes.

pydicom's array is brought to dicomlake's documented form (docs/pixels.md) here, independently:
shape (frames, rows, columns[, samples]), Bits Stored kept and sign-extended. Lossless transfer
syntaxes must be equal exactly; lossy JPEG within --jpeg-tolerance. Transfer syntaxes dicomlake
does not decode yet (JPEG 2000, HTJ2K, JPEG XL, video) must fail with a reason that names the
transfer syntax, never produce a wrong array. Exits 1 on any difference, or when fewer than
--min-files files were compared.
Usage: compare_pixels.py DICOMLAKE [--min-files N]
"""
import argparse
import glob
import os
import subprocess
import sys
import tempfile

import numpy as np
import pydicom
from pydicom.pixel_data_handlers import gdcm_handler, numpy_handler, rle_handler
from pydicom.pixel_data_handlers.util import convert_color_space

DATA = "/usr/lib/python3/dist-packages/pydicom/data/test_files"

LOSSY = {"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.81",
         "1.2.840.10008.1.2.4.91"}
JPEG = {"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.57",
        "1.2.840.10008.1.2.4.70"}


# Files pydicom decodes and dicomlake refuses, with the reason (each must fail with an error).
KNOWN = {
    "JPEG2000-embedded-sequence-delimiter.dcm": "OpenJPEG refuses its SIZ marker segment (a tile "
                                                "count over the standard's limit); GDCM decodes it",
    "SC_rgb_jpeg.dcm": "its data set is implicit VR under an explicit VR transfer syntax: the DICOM "
                       "reader re-reads such files, the pixel reader does not yet",
}


def expected(ds):
    """pydicom's decoded array in dicomlake's form, or None when pydicom cannot decode it."""
    try:
        # pydicom corrects Pixel Representation and Bits Stored from a JPEG 2000 codestream
        # that contradicts them, as dicomlake does (docs/pixels.md).
        arr = ds.pixel_array
    except Exception:  # pydicom (or GDCM) cannot decode it: not part of the comparison
        return None
    frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
    samples = int(getattr(ds, "SamplesPerPixel", 1))
    shape = (frames, ds.Rows, ds.Columns) + ((samples,) if samples > 1 else ())
    arr = np.asarray(arr).reshape(shape)
    # DCMTK's JPEG decoders convert YBR to RGB (docs/pixels.md); GDCM leaves YBR.
    ts = str(ds.file_meta.TransferSyntaxUID) if hasattr(ds, "file_meta") else ""
    if ts in JPEG and str(ds.PhotometricInterpretation).startswith("YBR_FULL") and samples == 3:
        arr = convert_color_space(arr, "YBR_FULL", "RGB")
    bits, stored = int(ds.BitsAllocated), int(getattr(ds, "BitsStored", ds.BitsAllocated))
    signed = int(getattr(ds, "PixelRepresentation", 0)) == 1
    if bits not in (8, 16, 32):
        return None
    unsigned = arr.astype(np.uint64 if bits == 32 else np.uint32) & ((1 << stored) - 1)
    if signed:
        values = unsigned.astype(np.int64)
        values[values >= (1 << (stored - 1))] -= 1 << stored
        return values.astype({8: np.int8, 16: np.int16, 32: np.int32}[bits])
    return unsigned.astype({8: np.uint8, 16: np.uint16, 32: np.uint32}[bits])


def main():
    pydicom.config.pixel_data_handlers = [numpy_handler, gdcm_handler, rle_handler]
    parser = argparse.ArgumentParser()
    parser.add_argument("dicomlake")
    parser.add_argument("--min-files", type=int, default=1)
    parser.add_argument("--jpeg-tolerance", type=int, default=2)
    args = parser.parse_args()
    cases = []
    for path in sorted(glob.glob(f"{DATA}/**/*.dcm", recursive=True)):
        try:
            ds = pydicom.dcmread(path)
        except Exception:
            continue
        if "PixelData" not in ds or "Rows" not in ds:
            continue
        cases.append((path, ds))
    out = tempfile.mkdtemp(prefix="dicomlake-pixels-")
    problems, compared, syntaxes = [], 0, {}
    for i, (path, ds) in enumerate(cases):
        target = os.path.join(out, str(i))
        run = subprocess.run([args.dicomlake, "-q", "pixels", path, "--to", target],
                             capture_output=True, text=True)
        ts = str(ds.file_meta.TransferSyntaxUID) if hasattr(ds, "file_meta") else ""
        want = expected(ds)
        name = os.path.relpath(path, DATA)
        if run.returncode != 0:
            if name in KNOWN:
                continue
            if want is not None:
                problems.append(f"{name}: pydicom decodes it, dicomlake does not: {run.stderr.strip()}")
            continue
        if want is None:
            continue  # pydicom cannot decode it; nothing to compare with
        got = np.load(os.path.join(target, os.path.basename(path) + ".npy"))
        compared += 1
        syntaxes[ts] = syntaxes.get(ts, 0) + 1
        if got.shape != want.shape or got.dtype != want.dtype:
            problems.append(f"{name}: shape/dtype {got.shape} {got.dtype} vs {want.shape} {want.dtype}")
            continue
        diff = np.abs(got.astype(np.int64) - want.astype(np.int64)).max() if got.size else 0
        limit = args.jpeg_tolerance if ts in LOSSY else 0
        if diff > limit:
            problems.append(f"{name} ({ts}): values differ by up to {diff} (allowed {limit})")
    for p in problems:
        print("DIFFERENT", p)
    print(f"pixel oracle: {compared} files compared with pydicom+GDCM "
          f"({', '.join(f'{n} {s}' for s, n in sorted(syntaxes.items()))}), {len(problems)} problems")
    return 1 if problems or compared < args.min_files else 0


if __name__ == "__main__":
    sys.exit(main())
