"""What the export oracles (compare_nifti.py, compare_export.py) share: running dicomlake and
reading an export's manifest."""
import csv
import os
import subprocess
import sys


def run(cmd, ok=(0,)):
    """Runs `cmd`; exits with its output when its exit code is not in `ok`."""
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode not in ok:
        sys.exit(f"FAILED ({p.returncode}): {' '.join(cmd)}\n{p.stdout}")
    return p.stdout


def manifest(folder):
    """The rows of an export's manifest.csv, as dicts."""
    with open(os.path.join(folder, "manifest.csv"), newline="") as f:
        return list(csv.DictReader(f))
