#!/usr/bin/python3
"""Summarises bench/out/results.jsonl: median, min and max per variant, throughput, CPU, RSS
and the ratios the targets are about. Usage: report.py RESULTS FILES BYTES CORES"""
import json
import platform
import statistics
import sys
from collections import defaultdict


def main():
    results, files, total_bytes, cores = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    instances = files - 1  # the sample's one file that is not DICOM
    runs = defaultdict(list)
    with open(results, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            runs[r["name"]].append(r)

    def med(name, key="wall"):
        return statistics.median(r[key] for r in runs[name])

    cpu = lambda r: r["user"] + r["sys"]  # noqa: E731
    print(f"Corpus: {instances} instances + 1 invalid file, {total_bytes / 1e6:.0f} MB, "
          f"{cores} cores, {platform.platform()}\n")
    print("| variant | wall s (median, min-max) | instances/s | MB/s | CPU s | peak RSS MB |")
    print("|---|---|---|---|---|---|")
    order = ["ref-default", "ref-stop", "byos", "byos-fixed", "ingest", "floor", "floor-whole", "gzip",
             "run-scale1"]
    for name in order + sorted(n for n in runs if n not in order):
        if name not in runs:
            continue
        rs = runs[name]
        walls = [r["wall"] for r in rs]
        w = statistics.median(walls)
        c = statistics.median(cpu(r) for r in rs)
        rss = max(r["rss_kb"] for r in rs) / 1024
        n = instances
        if name == "byos-fixed":
            n = 1
        if name == "run-scale1":
            n = 7739
        if name.startswith("scale-"):
            n = int(name.split("-")[1])
        mbps = f"{total_bytes / 1e6 / w:.0f}" if name in order[:8] and name != "byos-fixed" else ""
        print(f"| {name} | {w:.2f} ({min(walls):.2f}-{max(walls):.2f}) | {n / w:,.0f} | {mbps} | "
              f"{c:.1f} | {rss:.0f} |")
    print()
    if "byos" in runs and "ref-stop" in runs:
        print(f"- BYOS vs reference (stop_before_pixels), same cores: "
              f"{med('ref-stop') / med('byos'):.1f}x (target 20x)")
        print(f"- BYOS vs reference (default read): {med('ref-default') / med('byos'):.1f}x")
        print(f"- BYOS vs the header-read floor: {med('byos') / med('floor'):.1f}x slower "
              f"(target within 6x)")
        if "byos-fixed" in runs:
            steady = med('byos') - med('byos-fixed')
            print(f"- BYOS without its fixed cost per run ({med('byos-fixed'):.2f} s): "
                  f"{instances / steady:,.0f} instances/s, {med('ref-stop') / steady:.1f}x the "
                  f"reference (stop_before_pixels), {steady / med('floor'):.1f}x the header-read "
                  f"floor")
        if "floor-whole" in runs:
            print(f"- BYOS vs the whole-file read floor: "
                  f"{med('byos') / med('floor-whole'):.1f}x slower")
    if "ingest" in runs and "gzip" in runs:
        print(f"- Ingest (compressed copies) vs gzip -1 on one core: "
              f"{med('gzip') / med('ingest'):.2f}x the throughput (target 1.5x)")
    if "run-scale1" in runs:
        print(f"- `dicomlake run` on the scale-1 sample: {med('run-scale1'):.2f} s (target < 5 s)")
    scale = sorted((int(n.split("-")[1]), runs[n][0]) for n in runs if n.startswith("scale-"))
    if scale:
        print("\nScale run (BYOS ingest, small pixels, one run each):\n")
        print("| instances | wall s | instances/s | peak RSS MB |")
        print("|---|---|---|---|")
        for n, r in scale:
            print(f"| {n:,} | {r['wall']:.1f} | {n / r['wall']:,.0f} | {r['rss_kb'] / 1024:.0f} |")


if __name__ == "__main__":
    main()
