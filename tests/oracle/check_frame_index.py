#!/usr/bin/python3
"""Oracle test for the frame index (bronze ImagingDicom.frameIndex) and `dicomlake frames`.

Files: every file of pydicom's test data with Pixel Data, and 3-frame files made here (see
reencapsulated()): compressed by independent encoders, each frame in two fragments, located (a) by
a Basic Offset Table, (b) by an Extended Offset Table with an empty Basic Offset Table, (c) by no
table at all (start markers). They are ingested twice: by the Ingest
pattern (the stored originals are one-entry ZIPs: frames are read from the archive member) and in
place (BYOS: frames read at their offsets in the plain file).

For each instance:
  - `dicomlake frames --raw` gives each frame's bytes equal to pydicom's: the slice of the native
    Pixel Data, or the fragments of the encapsulated frame joined (pydicom's
    generate_pixel_data_frame; for the re-encapsulated files, the frames that were put in);
  - `dicomlake frames` (decoded) equals pydicom's pixel array (GDCM as its handler) in dicomlake's
    documented form (compare_pixels.expected), exactly for lossless syntaxes, and so does the
    last frame alone (`--frame N`);
  - every file with Pixel Data that is not deflated has a frame index, except the ones listed in
    UNINDEXED with their reason.
Exits 1 on any difference, or when fewer than --min-files instances were compared.
Usage: check_frame_index.py DICOMLAKE [--min-files N]
"""
import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import uuid

import numpy as np
import pydicom
from pydicom.encaps import generate_pixel_data_frame

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare_pixels  # noqa: E402  (its expected(): pydicom's array in dicomlake's form)
from pydicom.pixel_data_handlers import gdcm_handler, numpy_handler, rle_handler  # noqa: E402

DATA = compare_pixels.DATA
DEFLATED = "1.2.840.10008.1.2.1.99"
# Files with Pixel Data that get no frame index, and why (the reason must be in parseWarnings).
UNINDEXED = {
    "MR_truncated.dcm": "Pixel Data holds 8130 bytes, fewer than 1 frame(s) of 8192 bytes",
}


def run(cmd, ok=(0,)):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode not in ok:
        raise RuntimeError(f"{' '.join(cmd)} exited {r.returncode}: {r.stderr.strip()}")
    return r


def item(part):
    """One encapsulated item (FFFE,E000) holding `part`, padded to even length."""
    part += b"\0" * (len(part) % 2)
    return b"\xfe\xff\x00\xe0" + len(part).to_bytes(4, "little") + part


def multiframe_native(work):
    """A 3-frame uncompressed file of three different 16-bit MR images; returns (path, array)."""
    ds = pydicom.dcmread(os.path.join(DATA, "MR_small.dcm"))
    base = ds.pixel_array.astype(np.int32)
    stack = np.stack([base, base // 2, (base * 3) // 4]).astype(ds.pixel_array.dtype)
    ds.NumberOfFrames = 3
    ds.PixelData = stack.tobytes()
    ds.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
    ds.is_little_endian, ds.is_implicit_VR = True, False
    path = os.path.join(work, "mf-native.dcm")
    ds.save_as(path, write_like_original=False)
    return path, compare_pixels.expected(pydicom.dcmread(path))


def j2k_frames(native, array, work):
    """Each frame compressed losslessly by OpenJPEG's opj_compress (an independent encoder)."""
    ds = pydicom.dcmread(native)
    out = []
    for k, frame in enumerate(array):
        raw = os.path.join(work, f"f{k}.rawl")  # little-endian samples
        frame.astype(frame.dtype.newbyteorder("<")).tofile(raw)
        j2k = os.path.join(work, f"f{k}.j2k")
        sign = "s" if int(ds.PixelRepresentation) else "u"
        run(["opj_compress", "-i", raw, "-o", j2k,
             "-F", f"{ds.Columns},{ds.Rows},1,{int(ds.BitsStored)},{sign}"])
        with open(j2k, "rb") as f:
            out.append(f.read())
        os.remove(raw)
        os.remove(j2k)
    return out


def reencapsulated(work, scratch):
    """Multi-frame files of every kind of frame location, made here: a 3-frame native file,
    compressed by independent encoders (DCMTK's dcmcjpls, dcmcjpeg, dcmcrle; opj_compress), its
    frames split by pydicom, then re-encapsulated with (a) a Basic Offset Table, (b) an Extended
    Offset Table and an empty Basic Offset Table, (c) no table, two fragments per frame (RLE: one
    per frame, PS3.5 G.1). Returns {file name: (frames as put in or None, expected array)}."""
    native, array = multiframe_native(work)
    made = {"mf-native.dcm": (None, array)}
    compressed = {}
    for name, cmd in (("jpegls", ["dcmcjpls", "+el"]), ("jpeg-sv1", ["dcmcjpeg", "+e1"]),
                      ("rle", ["dcmcrle"])):
        out = os.path.join(scratch, f"{name}.dcm")
        run(cmd + [native, out])
        ds = pydicom.dcmread(out)
        compressed[name] = (out, list(generate_pixel_data_frame(ds.PixelData, 3)))
    compressed["j2k"] = (native, j2k_frames(native, array, scratch))
    for name, (template, frames) in compressed.items():
        split = name != "rle"
        for kind in ("bot", "eot", "notable"):
            ds = pydicom.dcmread(template)
            if name == "j2k":
                ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.90"
            data, offsets, position = b"", [], 0
            for f in frames:
                offsets.append(position)
                half = (len(f) // 2) & ~1 if split else 0
                for part in ([f[:half], f[half:]] if half else [f]):
                    data += item(part)
                    position += len(item(part))
            table = b""
            if kind == "bot":
                table = b"".join(o.to_bytes(4, "little") for o in offsets)
            elif kind == "eot":
                ds.ExtendedOffsetTable = b"".join(o.to_bytes(8, "little") for o in offsets)
                ds.ExtendedOffsetTableLengths = b"".join(
                    len(f).to_bytes(8, "little") for f in frames)
            ds.PixelData = item(table) + data
            ds["PixelData"].is_undefined_length = True
            ds["PixelData"].VR = "OB"
            ds.is_little_endian, ds.is_implicit_VR = True, False
            out = os.path.join(work, f"mf-{name}-{kind}.dcm")
            ds.save_as(out, write_like_original=False)
            made[os.path.basename(out)] = ([f + b"\0" * (len(f) % 2) for f in frames], array)
    return made


def pydicom_frames(ds):
    """The stored bytes of each frame, by pydicom."""
    try:
        nr = int(getattr(ds, "NumberOfFrames", 1) or 1)
    except ValueError:
        return None  # pydicom cannot tell either
    if ds.file_meta.TransferSyntaxUID.is_compressed:
        return list(generate_pixel_data_frame(ds.PixelData, nr))
    rows, cols = int(ds.Rows), int(ds.Columns)
    samples, bits = int(getattr(ds, "SamplesPerPixel", 1)), int(ds.BitsAllocated)
    size = rows * cols * samples * bits // 8
    if str(getattr(ds, "PhotometricInterpretation", "")) == "YBR_FULL_422" and samples == 3:
        size = size // 3 * 2
    return [ds.PixelData[k * size:(k + 1) * size] for k in range(nr)]


def main():
    pydicom.config.pixel_data_handlers = [numpy_handler, gdcm_handler, rle_handler]
    parser = argparse.ArgumentParser()
    parser.add_argument("dicomlake")
    parser.add_argument("--min-files", type=int, default=1)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="dicomlake-frames-")
    try:
        src = os.path.join(work, "src")
        os.makedirs(src)
        cases = {}  # file name -> (path, dataset, frames put in or None)
        scratch = os.path.join(work, "scratch")
        os.makedirs(scratch)
        made = reencapsulated(src, scratch)
        paths = sorted(glob.glob(f"{DATA}/*.dcm")) + [os.path.join(src, n) for n in made]
        for k, path in enumerate(paths):
            # pydicom's test files are often variants of one instance (one SOP Instance UID in
            # several transfer syntaxes): each gets its own UID, so each is its own instance.
            name = os.path.basename(path)
            try:
                ds = pydicom.dcmread(path)
                if "PixelData" not in ds or "Rows" not in ds or not hasattr(ds, "file_meta"):
                    continue
                ds.SOPInstanceUID = f"2.25.{uuid.uuid4().int}"
                ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
                unique = os.path.join(src, name)
                ds.save_as(unique, write_like_original=True)
                ds = pydicom.dcmread(unique)
            except Exception:
                continue
            cases[name] = (unique, ds, made[name][0] if name in made else None)
        # Ingest pattern: one folder of the cases, dropped into the lake.
        lakes = {}
        for pattern in ("ingest", "byos"):
            lake = os.path.join(work, f"lake-{pattern}")
            run([args.dicomlake, "-q", "init", lake])
            if pattern == "ingest":
                drop = os.path.join(lake, "bronze/Files/Ingest/Imaging/DICOM/t")
                os.makedirs(drop)
                for name, (path, _, _) in cases.items():
                    shutil.copy(path, os.path.join(drop, name))
                run([args.dicomlake, "-q", "ingest", lake], ok=(0, 3))
            else:
                inplace = os.path.join(work, "inplace", "t")
                os.makedirs(inplace)
                for name, (path, _, _) in cases.items():
                    shutil.copy(path, os.path.join(inplace, name))
                run([args.dicomlake, "-q", "ingest", lake, "--source", inplace], ok=(0, 3))
            lakes[pattern] = lake

        problems, compared, raw_compared, syntaxes = [], 0, 0, {}
        for pattern, lake in lakes.items():
            rows = run([args.dicomlake, "sql", lake, "--format", "csv",
                        "SELECT sopInstanceUid, sourceFilePath, transferSyntaxUid, "
                        "frameIndex IS NOT NULL, array_to_string(parseWarnings, ' | ') "
                        "FROM bronze.ImagingDicom"]).stdout.splitlines()[1:]
            import csv
            for sop, source, ts, indexed, warnings in csv.reader(rows):
                name = os.path.basename(source)
                if name not in cases:
                    continue
                path, ds, put_in = cases[name]
                label = f"{pattern}/{name}"
                if ts == DEFLATED:
                    continue
                if indexed != "true":
                    if name not in UNINDEXED or UNINDEXED[name] not in warnings:
                        problems.append(f"{label} ({ts}): not indexed: {warnings}")
                    continue
                want_raw = put_in if put_in is not None else pydicom_frames(ds)
                if want_raw is None:
                    continue
                out = os.path.join(work, "out", pattern, name)
                r = subprocess.run([args.dicomlake, "-q", "frames", lake, "--sop", sop, "--raw",
                                    "--to", out], capture_output=True, text=True)
                if r.returncode != 0:
                    problems.append(f"{label}: frames --raw failed: {r.stderr.strip()}")
                    continue
                got = {int(f.rsplit("_", 1)[1].split(".")[0]): open(os.path.join(out, f), "rb").read()
                       for f in os.listdir(out)}
                if len(got) != len(want_raw):
                    problems.append(f"{label}: {len(got)} raw frames, pydicom {len(want_raw)}")
                    continue
                for k, want in enumerate(want_raw):
                    # An odd-length frame is padded to even length inside its fragment.
                    g = got[k + 1]
                    if g != want and not (len(g) == len(want) + 1 and g[:-1] == want):
                        problems.append(f"{label}: raw frame {k + 1} differs from pydicom's")
                        break
                raw_compared += 1
                expected = made[name][1] if name in made else compare_pixels.expected(ds)
                if expected is None:
                    continue  # pydicom cannot decode it
                decoded = os.path.join(work, "npy", pattern, name)
                r = subprocess.run([args.dicomlake, "-q", "frames", lake, "--sop", sop,
                                    "--to", decoded], capture_output=True, text=True)
                if r.returncode != 0:
                    if name not in compare_pixels.KNOWN:
                        problems.append(f"{label}: frames failed: {r.stderr.strip()}")
                    continue
                arr = np.load(os.path.join(decoded, os.listdir(decoded)[0]))
                limit = 2 if ts in compare_pixels.LOSSY else 0
                if arr.shape != expected.shape or arr.dtype != expected.dtype:
                    problems.append(f"{label}: {arr.shape} {arr.dtype} vs pydicom "
                                    f"{expected.shape} {expected.dtype}")
                    continue
                diff = np.abs(arr.astype(np.int64) - expected.astype(np.int64)).max()
                if diff > limit:
                    problems.append(f"{label} ({ts}): decoded values differ by up to {diff}")
                    continue
                # The last frame alone, read without the others.
                n = arr.shape[0]
                last = os.path.join(work, "last", pattern, name)
                r = subprocess.run([args.dicomlake, "-q", "frames", lake, "--sop", sop,
                                    "--frame", str(n), "--to", last], capture_output=True,
                                   text=True)
                one = np.load(os.path.join(last, os.listdir(last)[0])) if r.returncode == 0 else None
                if one is None or not np.array_equal(one[0], arr[-1]):
                    problems.append(f"{label}: frame {n} alone differs from frame {n} of all")
                    continue
                compared += 1
                syntaxes[ts] = syntaxes.get(ts, 0) + 1
        # The whole-file reader (`dicomlake pixels`, what export uses) on the made files: DCMTK's
        # decoders are told where each frame starts (Extended Offset Table included).
        whole = 0
        for name, (_, array) in made.items():
            out = os.path.join(work, "whole", name)
            r = subprocess.run([args.dicomlake, "-q", "pixels", cases[name][0], "--to", out],
                               capture_output=True, text=True)
            got = np.load(os.path.join(out, os.listdir(out)[0])) if r.returncode == 0 else None
            if got is None or not np.array_equal(got, array):
                problems.append(f"pixels {name}: not equal to the frames put in {r.stderr.strip()}")
            else:
                whole += 1
        for p in problems:
            print("DIFFERENT", p)
        print(f"frame index oracle: {whole} made multi-frame files equal through dicomlake pixels, "
              f"{raw_compared} instances' raw frames equal to pydicom's, "
              f"{compared} decoded equal to pydicom+GDCM "
              f"({', '.join(f'{n} {s}' for s, n in sorted(syntaxes.items()))}), "
              f"{len(problems)} problems")
        return 1 if problems or compared < args.min_files else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
