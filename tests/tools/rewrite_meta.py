#!/usr/bin/python3
"""Gives each DICOM file named on the command line a new file meta group, as another receiver
would write it (another Implementation Version Name and Source AE Title), and keeps its data set
byte for byte: writes `re-<name>` beside it and removes the original. pydicom finds the end of
the old meta group and writes the new one (an implementation independent of dicomlake's)."""
import io
import os
import sys

from pydicom.filereader import _read_file_meta_info, read_preamble
from pydicom.filewriter import write_file_meta_info

for path in sys.argv[1:]:
    data = open(path, "rb").read()
    f = io.BytesIO(data)
    read_preamble(f, False)
    meta = _read_file_meta_info(f)
    dataset = data[f.tell():]
    meta.ImplementationVersionName = "OTHER_RECEIVER"
    meta.SourceApplicationEntityTitle = "ELSEWHERE"
    out = io.BytesIO()
    out.write(b"\0" * 128 + b"DICM")
    write_file_meta_info(out, meta, enforce_standard=True)
    folder, name = os.path.split(path)
    with open(os.path.join(folder, "re-" + name), "wb") as w:
        w.write(out.getvalue() + dataset)
    os.remove(path)
