#!/usr/bin/env python3
"""`dicomlake export` in every format on a small sample lake, checked against pydicom (Debian).

- dicom: every instance of bronze is exported once, under its SOP Instance UID, readable by
  pydicom with the UIDs the manifest says;
- npy: each array equals pydicom's pixels of the exported originals, in the sidecar's slice
  order, with pydicom's Modality LUT applied (apply_modality_lut) for monochrome images and RGB
  (convert_color_space for YBR) for colour ones; slices are in increasing position along the
  normal when the series has geometry;
- png: each image is the frame, windowed (Window Center/Width, else the frame's minimum to
  maximum) into 0..255, within 1 of the value computed from pydicom's pixels; read by Pillow;
- every format: manifest.csv and a datalist.json whose paths all exist.

Usage: compare_export.py DICOMLAKE [--keep DIR]
"""
import argparse
import json
import os
import shutil
import sys
import tempfile

import numpy as np
import pydicom
from PIL import Image
from pydicom.pixel_data_handlers.util import apply_modality_lut, convert_color_space

from export_support import manifest, run

ALL = "SELECT DISTINCT seriesInstanceUid FROM bronze.ImagingDicom"


def datalist_problems(folder):
    with open(os.path.join(folder, "datalist.json")) as f:
        d = json.load(f)
    items = d.get("training", [])
    bad = [e for e in items if not os.path.exists(os.path.join(folder, e["image"]))]
    return [f"{folder}: datalist path missing: {e['image']}" for e in bad] + (
        [] if items else [f"{folder}: empty datalist"])


def model_values(ds, frame):
    """pydicom's idea of a frame as dicomlake's npy holds it."""
    arr = ds.pixel_array
    if int(getattr(ds, "NumberOfFrames", 1) or 1) > 1:
        arr = arr[frame]
    pi = ds.PhotometricInterpretation
    if ds.SamplesPerPixel == 3:
        if pi.startswith("YBR") and not ds.file_meta.TransferSyntaxUID.is_compressed:
            arr = convert_color_space(arr, pi, "RGB")
        return arr.astype(np.uint8)
    values = apply_modality_lut(arr, ds).astype(np.float64)
    if pi == "MONOCHROME1":
        raise SystemExit("MONOCHROME1 not expected in the sample")
    return values


def window(values, ds):
    if "WindowCenter" in ds and "WindowWidth" in ds:
        c = float(ds.WindowCenter[0] if ds["WindowCenter"].VM > 1 else ds.WindowCenter)
        w = float(ds.WindowWidth[0] if ds["WindowWidth"].VM > 1 else ds.WindowWidth)
        lo, hi = c - 0.5 - (w - 1) / 2, c - 0.5 + (w - 1) / 2
    else:
        lo, hi = values.min(), values.max()
    scale = 255.0 / (hi - lo) if hi > lo else 0
    return np.clip(np.rint((values - lo) * scale), 0, 255)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dicomlake")
    ap.add_argument("--keep")
    args = ap.parse_args()
    work = args.keep or tempfile.mkdtemp(prefix="dicomlake-export-")
    if args.keep:
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
    problems = []
    try:
        lake = os.path.join(work, "lake")
        run([args.dicomlake, "-q", "init", lake])
        run([args.dicomlake, "-q", "sample", lake, "--seed", "3", "--scale", "0.05"])
        run([args.dicomlake, "-q", "run", lake], ok=(0, 3))
        bronze = json.loads(run([args.dicomlake, "sql", lake, "--format", "json",
                                 "SELECT sopInstanceUid, seriesInstanceUid FROM bronze.ImagingDicom"]))
        out = {}
        for fmt in ("dicom", "npy", "png", "nifti"):
            out[fmt] = os.path.join(work, fmt)
            run([args.dicomlake, "-q", "export", lake, "--sql", ALL, "--format", fmt,
                 "--to", out[fmt]])
            problems += datalist_problems(out[fmt])
        # dicom: every instance once, with its UIDs.
        files = {}
        for r in manifest(out["dicom"]):
            for name in os.listdir(os.path.join(out["dicom"], r["output"])):
                ds = pydicom.dcmread(os.path.join(out["dicom"], r["output"], name))
                if name != ds.SOPInstanceUID + ".dcm" or ds.SeriesInstanceUID != r["series_instance_uid"]:
                    problems.append(f"dicom: {name} holds {ds.SOPInstanceUID} of {ds.SeriesInstanceUID}")
                files[ds.SOPInstanceUID] = ds
        expected = {row["sopInstanceUid"] for row in bronze}
        if set(files) != expected:
            problems.append(f"dicom: {len(files)} instances exported, bronze has {len(expected)}")
        # npy against pydicom.
        arrays = 0
        for r in manifest(out["npy"]):
            if not r["output"]:
                problems.append(f"npy: {r['series_instance_uid']} not exported: {r['problem']}")
                continue
            arr = np.load(os.path.join(out["npy"], r["output"]))
            side = json.load(open(os.path.join(out["npy"], r["output"][:-4] + ".json")))
            expect = np.stack([model_values(files[s["SOPInstanceUID"]], s["Frame"] - 1)
                               for s in side["Slices"]])
            if arr.shape != expect.shape or not np.array_equal(arr.astype(np.float64), expect):
                problems.append(f"npy: {r['output']} differs from pydicom ({arr.shape}, {expect.shape})")
            if side["HasGeometry"] and len(side["Slices"]) > 1:
                pos = [files[s["SOPInstanceUID"]].ImagePositionPatient for s in side["Slices"]]
                o = [float(v) for v in files[side["Slices"][0]["SOPInstanceUID"]].ImageOrientationPatient]
                n = np.cross(o[:3], o[3:])
                d = [np.dot(n, [float(v) for v in p]) for p in pos]
                if not all(b > a for a, b in zip(d, d[1:])):
                    problems.append(f"npy: {r['output']} slices not in increasing position")
            arrays += 1
        # png: windowed frames.
        pngs = 0
        # The same volumes in both: a PNG folder is named as the array without ".npy".
        npy_by_name = {r["output"][:-4]: r for r in manifest(out["npy"]) if r["output"]}
        for r in manifest(out["png"]):
            nr = npy_by_name.get(r["output"])
            if not r["output"] or nr is None:
                continue
            side = json.load(open(os.path.join(out["npy"], nr["output"][:-4] + ".json")))
            for k, s in enumerate(side["Slices"]):
                img = np.asarray(Image.open(os.path.join(out["png"], r["output"], f"{k + 1:04d}.png")))
                ds = files[s["SOPInstanceUID"]]
                v = model_values(ds, s["Frame"] - 1)
                expect = v if ds.SamplesPerPixel == 3 else window(v, ds)
                if img.shape != expect.shape or np.abs(img.astype(float) - expect).max() > 1:
                    problems.append(f"png: {r['output']}/{k + 1:04d}.png differs")
                    break
                pngs += 1
        for p in problems:
            print("MISMATCH", p)
        print(f"{len(files)} DICOM copies, {arrays} arrays and {pngs} PNGs equal to pydicom; "
              f"{len(problems)} problems")
        sys.exit(1 if problems or arrays == 0 or pngs == 0 else 0)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
