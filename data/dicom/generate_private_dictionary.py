#!/usr/bin/python3
"""Writes data/dicom/private_dictionary.tsv: the private attributes (by private creator and
element) that DCMTK's private dictionary lacks or types differently, taken from pydicom's
private dictionary (itself generated from GDCM's, which most toolkits share: where DCMTK and
GDCM disagree, GDCM's VR is used; --conflicts lists those entries). Run with Debian's /usr/bin/python3 (python3-pydicom, libdcmtk17):

    /usr/bin/python3 data/dicom/generate_private_dictionary.py > data/dicom/private_dictionary.tsv

Entries DCMTK has with the same VR are left to DCMTK. Entries that
cannot be private data elements are left out: an element below 0x1000 lies in the private
creator block (PS3.5 7.8.1), and a group wildcard ("60xx") is not a private group.
"""
import argparse
import re
import sys

import pydicom
from pydicom._private_dict import private_dictionaries

DCMTK_PRIVATE_DIC = "/usr/share/libdcmtk17/private.dic"


def dcmtk_entries():
    """{(group, creator, low_byte): vr} from DCMTK's private.dic."""
    out = {}
    pattern = re.compile(r'^\(([0-9A-Fa-f]{4}),"([^"]*)",([0-9A-Fa-f]{2})\)\s+(\S+)')
    with open(DCMTK_PRIVATE_DIC, encoding="latin-1") as f:
        for line in f:
            m = pattern.match(line)
            if m:
                out[(int(m.group(1), 16), m.group(2), int(m.group(3), 16))] = m.group(4)
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--conflicts", action="store_true",
                        help="list the entries where DCMTK and pydicom disagree on the VR")
    args = parser.parse_args()
    dcmtk = dcmtk_entries()
    rows = []
    conflicts = []
    for creator in sorted(private_dictionaries):
        if "\t" in creator or "\n" in creator:
            continue
        for key, (vr, vm, name, _retired) in sorted(private_dictionaries[creator].items()):
            key = key.lower()
            if "x" in key[:4]:
                continue  # a group wildcard
            group = int(key[:4], 16)
            if group % 2 == 0:
                continue  # not a private group
            element = key[4:]
            if "x" not in element and int(element, 16) < 0x1000:
                continue  # in the private creator block: not a data element
            if "x" in element[2:]:
                continue  # no element number
            low = int(element[2:], 16)
            theirs = dcmtk.get((group, creator, low))
            if theirs == vr:
                continue  # DCMTK has it
            if theirs is not None:
                conflicts.append(f"({group:04X},{element.upper()}) {creator}: DCMTK {theirs}, pydicom {vr}")
            rows.append(f"{group:04X}\t{element.upper().replace('X', 'x')}\t{creator}\t{vr}\t{vm}\t{name}")
    if args.conflicts:
        print("\n".join(conflicts))
        return 0
    print(f"# Private attributes DCMTK's dictionary lacks or types differently, from pydicom {pydicom.__version__}'s")
    print("# _private_dict.py (generated from GDCM's private dictionary; MIT licence).")
    print("# Written by data/dicom/generate_private_dictionary.py; do not edit by hand.")
    print("# group\telement (xx: any block)\tprivate creator\tVR\tVM\tname")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
