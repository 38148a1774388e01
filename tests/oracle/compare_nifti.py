#!/usr/bin/env python3
"""NIfTI volumes of `dicomlake export` against dcm2niix (Debian), both loaded by nibabel (Debian).

A small sample lake is built (dicomlake sample + run); every CT and MR series is exported twice
by dicomlake: as NIfTI, and as the original DICOM files. dcm2niix converts the originals (deflated
ones are first inflated by DCMTK's dcmconv +te: dcm2niix does not read deflate). For each series
both volumes, reoriented to the closest canonical (RAS+) orientation by nibabel so that the two
programs' choices of axis direction do not matter (they agree without it, too), must have the same shape, equal voxel values
(after each file's scl_slope / scl_inter) and affines equal within 1e-3 mm.

The datalist is checked too: the layout monai.data.load_decathlon_datalist reads (a "training"
list of objects with an "image" path relative to the datalist's folder), every path existing,
one entry per volume of the manifest.

Usage: compare_nifti.py DICOMLAKE [--min-series N] [--keep DIR]
"""
import argparse
import json
import os
import shutil
import sys
import tempfile

import nibabel as nib
import numpy as np
import pydicom
import pydicom.uid

from export_support import manifest, run

DEFLATE = "1.2.840.10008.1.2.1.99"
QUERY = ("SELECT image_series_uid FROM gold.image_occurrence "
         "WHERE modality_source_value IN ('CT', 'MR')")


def check_datalist(folder, rows):
    with open(os.path.join(folder, "datalist.json")) as f:
        d = json.load(f)
    problems = []
    training = d.get("training")
    if not isinstance(training, list) or not training:
        return ["datalist.json has no \"training\" list"]
    for e in training:
        if not isinstance(e, dict) or not isinstance(e.get("image"), str):
            problems.append(f"datalist entry without an image path: {e}")
        elif not os.path.exists(os.path.join(folder, e["image"])):
            problems.append(f"datalist path missing: {e['image']}")
    outputs = {r["output"] for r in rows if r["output"]}
    if {e.get("image") for e in training} != outputs:
        problems.append("datalist images differ from the manifest's outputs")
    if d.get("numTraining") != len(training):
        problems.append("numTraining differs from the number of entries")
    return problems


def rotation(axis, degrees):
    axis = np.asarray(axis, float) / np.linalg.norm(axis)
    a = np.radians(degrees)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(a) * k + (1 - np.cos(a)) * k @ k


def make_geometry_cases(series_folder, dest):
    """Series with other geometries, written by pydicom from one (inflated) CT series: oblique
    (25 degrees about (1, 1, 0)), sagittal, slices stored in reverse Instance Number order, two
    echoes at the same positions (two volumes), and one Enhanced CT multi-frame file. Returns {case: Series Instance UID}."""
    files = sorted((pydicom.dcmread(os.path.join(series_folder, n)) for n in os.listdir(series_folder)),
                   key=lambda d: float(d.ImagePositionPatient[2]))
    origin = np.array([float(v) for v in files[0].ImagePositionPatient])
    cases = {
        "oblique": (rotation([1, 1, 0], 25) @ np.eye(3)[:, 0], rotation([1, 1, 0], 25) @ np.eye(3)[:, 1], 2.5),
        "sagittal": (np.array([0, 1, 0]), np.array([0, 0, -1]), 3.0),
        "reversed": (np.array([1, 0, 0]), np.array([0, 1, 0]), -2.5),
        "echoes": (np.array([1, 0, 0]), np.array([0, 1, 0]), 2.5),
    }
    uids = {}
    for n, (case, (row, col, step)) in enumerate(cases.items()):
        series_uid = f"2.25.{9000000000 + n}"
        uids[case] = series_uid
        normal = np.cross(row, col)
        folder = os.path.join(dest, case)
        os.makedirs(folder)
        echoes = 2 if case == "echoes" else 1
        for k, ds in enumerate(files):
            for e in range(echoes):
                d = ds.copy()
                pixels = ds.pixel_array.astype("<u2")
                if e:
                    pixels = pixels // 2
                d.PixelData = pixels.tobytes()
                d["PixelData"].VR = "OW"
                d["PixelData"].is_undefined_length = False
                d.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
                d.is_implicit_VR, d.is_little_endian = False, True
                d.SeriesInstanceUID = series_uid
                d.SOPInstanceUID = f"{series_uid}.{k + 1}.{e + 1}"
                d.file_meta.MediaStorageSOPInstanceUID = d.SOPInstanceUID
                d.ImageOrientationPatient = [f"{v:.6f}" for v in list(row) + list(col)]
                d.ImagePositionPatient = [f"{v:.4f}" for v in origin + k * step * normal]
                d.InstanceNumber = (len(files) - k) if case == "reversed" else k * echoes + e + 1
                if echoes > 1:
                    d.EchoNumbers = e + 1
                    d.EchoTime = 10 * (e + 1)
                d.save_as(os.path.join(folder, f"{k:04d}-{e}.dcm"))
    uids["enhanced"] = make_enhanced(files, os.path.join(dest, "enhanced"))
    return uids


def make_enhanced(files, folder):
    """One Enhanced CT multi-frame file of the series, frames stored in reverse order: geometry
    and rescale in the Shared / Per-Frame Functional Groups only (none at the top level)."""
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence
    os.makedirs(folder)
    first = files[0]
    d = first.copy()
    series_uid = "2.25.9000000009"
    d.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2.1"
    d.file_meta.MediaStorageSOPClassUID = d.SOPClassUID
    d.SeriesInstanceUID = series_uid
    d.SOPInstanceUID = d.file_meta.MediaStorageSOPInstanceUID = series_uid + ".1"
    for keyword in ("ImagePositionPatient", "ImageOrientationPatient", "PixelSpacing",
                    "SliceThickness", "RescaleIntercept", "RescaleSlope", "SliceLocation"):
        if keyword in d:
            delattr(d, keyword)
    order = list(reversed(files))
    d.NumberOfFrames = len(order)
    shared = Dataset()
    measures = Dataset()
    measures.PixelSpacing = first.PixelSpacing
    measures.SliceThickness = first.get("SliceThickness", 1)
    orientation = Dataset()
    orientation.ImageOrientationPatient = first.ImageOrientationPatient
    shared.PixelMeasuresSequence = Sequence([measures])
    shared.PlaneOrientationSequence = Sequence([orientation])
    d.SharedFunctionalGroupsSequence = Sequence([shared])
    frames = []
    for k, f in enumerate(order):
        item = Dataset()
        position = Dataset()
        position.ImagePositionPatient = f.ImagePositionPatient
        item.PlanePositionSequence = Sequence([position])
        transform = Dataset()
        transform.RescaleIntercept = f.get("RescaleIntercept", 0)
        transform.RescaleSlope = f.get("RescaleSlope", 1)
        transform.RescaleType = "HU"
        item.PixelValueTransformationSequence = Sequence([transform])
        content = Dataset()
        content.InStackPositionNumber = len(order) - k
        content.StackID = "1"
        content.DimensionIndexValues = [1, len(order) - k]
        item.FrameContentSequence = Sequence([content])
        frames.append(item)
    d.PerFrameFunctionalGroupsSequence = Sequence(frames)
    d.PixelData = np.stack([f.pixel_array.astype("<u2") for f in order]).tobytes()
    d["PixelData"].VR = "OW"
    d["PixelData"].is_undefined_length = False
    d.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
    d.is_implicit_VR, d.is_little_endian = False, True
    d.save_as(os.path.join(folder, "enhanced.dcm"))
    return series_uid


def compare(uid, ours_folder, rows, dicom_folder, work, problems):
    """Compares our volumes of series `uid` with dcm2niix's of `dicom_folder`; True when equal."""
    mine = [r for r in rows if r["series_instance_uid"] == uid]
    if not mine or any(not r["output"] for r in mine):
        problems.append(f"{uid}: not exported ({[r['problem'] for r in mine]})")
        return False
    out = os.path.join(work, "dcm2niix", uid)
    os.makedirs(out)
    run(["dcm2niix", "-z", "y", "-b", "n", "-f", "volume", "-o", out, dicom_folder])
    made = sorted(n for n in os.listdir(out) if n.endswith(".nii.gz"))
    if len(made) != len(mine):
        problems.append(f"{uid}: dcm2niix wrote {made}, we {[r['output'] for r in mine]}")
        return False
    for r, name in zip(sorted(mine, key=lambda r: int(r["volume"])), made):
        theirs = nib.as_closest_canonical(nib.load(os.path.join(out, name)))
        ours = nib.as_closest_canonical(nib.load(os.path.join(ours_folder, r["output"])))
        if theirs.shape != ours.shape:
            problems.append(f"{uid}: shape {ours.shape}, dcm2niix {theirs.shape}")
            return False
        a, b = ours.get_fdata(), theirs.get_fdata()
        if not np.array_equal(a, b):
            problems.append(f"{uid} {name}: voxel values differ (max {np.abs(a - b).max()})")
            return False
        if not np.allclose(ours.affine, theirs.affine, atol=1e-3):
            problems.append(f"{uid} {name}: affine\n{ours.affine}\ndcm2niix\n{theirs.affine}")
            return False
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dicomlake")
    ap.add_argument("--min-series", type=int, default=10)
    ap.add_argument("--keep")
    args = ap.parse_args()
    work = args.keep or tempfile.mkdtemp(prefix="dicomlake-nifti-")
    if args.keep:
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
    lake = os.path.join(work, "lake")
    try:
        run([args.dicomlake, "-q", "init", lake])
        run([args.dicomlake, "-q", "sample", lake, "--seed", "7", "--scale", "0.05"])
        run([args.dicomlake, "-q", "run", lake], ok=(0, 3))
        ours = os.path.join(work, "nifti")
        originals = os.path.join(work, "dicom")
        run([args.dicomlake, "-q", "export", lake, "--sql", QUERY, "--to", ours])
        run([args.dicomlake, "-q", "export", lake, "--sql", QUERY, "--to", originals,
             "--format", "dicom"])
        rows = manifest(ours)
        folders = {r["series_instance_uid"]: r["output"] for r in manifest(originals)}
        problems = check_datalist(ours, rows)
        compared = 0
        first_staged = None
        for uid in sorted({r["series_instance_uid"] for r in rows}):
            src = os.path.join(originals, folders[uid])
            staged = os.path.join(work, "staged", uid)
            os.makedirs(staged)
            for name in os.listdir(src):
                path = os.path.join(src, name)
                ts = pydicom.dcmread(path, stop_before_pixels=True).file_meta.TransferSyntaxUID
                if ts == DEFLATE:
                    run(["dcmconv", "+te", path, os.path.join(staged, name)])
                else:
                    shutil.copy(path, staged)
            modality = next(r["modality"] for r in rows if r["series_instance_uid"] == uid)
            if first_staged is None and modality == "CT":
                first_staged = staged
            compared += compare(uid, ours, rows, staged, work, problems)
        # Other geometries, through a second lake (files read in place).
        cases_dir = os.path.join(work, "cases")
        cases = make_geometry_cases(first_staged, cases_dir)
        lake2 = os.path.join(work, "lake2")
        run([args.dicomlake, "-q", "init", lake2])
        run([args.dicomlake, "-q", "ingest", lake2, "--source", cases_dir])
        ours2 = os.path.join(work, "nifti2")
        series_args = [a for uid in cases.values() for a in ("--series", uid)]
        run([args.dicomlake, "-q", "export", lake2, "--to", ours2] + series_args)
        rows2 = manifest(ours2)
        for case, uid in cases.items():
            if compare(uid, ours2, rows2, os.path.join(cases_dir, case), work, problems):
                compared += 1
                print(f"{case}: equal to dcm2niix")
        for p in problems:
            print("MISMATCH", p)
        print(f"{compared} series equal to dcm2niix (shape, voxel values, affine within 1e-3 mm); "
              f"{len(problems)} problems")
        if problems or compared < args.min_series:
            sys.exit(1)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
