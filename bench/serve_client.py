#!/usr/bin/python3
"""QIDO-RS latency and WADO-RS throughput of one DICOMweb server (bench/serve).

Usage: serve_client.py ROOT SAMPLE_JSON
SAMPLE_JSON names what to ask for: {"patients": [...], "names": [...], "dates": [[lo, hi]...],
"studies": [...], "series": [[study, series]...]}. Prints one JSON object of results.
"""
import concurrent.futures
import json
import statistics
import sys
import time
import urllib.request


def get(url, accept):
    request = urllib.request.Request(url, headers={"Accept": accept})
    with urllib.request.urlopen(request, timeout=300) as r:
        return r.read()


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100.0 * (len(values) - 1))))]


def main():
    root, sample = sys.argv[1], json.load(open(sys.argv[2]))
    queries = []
    for k in range(100):
        queries.append("/studies?PatientID=%s" % sample["patients"][k % len(sample["patients"])])
        queries.append("/studies?PatientName=%s*&limit=101&offset=0&includefield=00081030,00080060"
                       % sample["names"][k % len(sample["names"])])
        lo, hi = sample["dates"][k % len(sample["dates"])]
        queries.append("/studies?StudyDate=%s-%s&limit=101&offset=0&ModalitiesInStudy=CT" % (lo, hi))
        study = sample["studies"][k % len(sample["studies"])]
        queries.append("/studies/%s/series" % study)
        s, se = sample["series"][k % len(sample["series"])]
        queries.append("/studies/%s/series/%s/instances" % (s, se))
    get(root + queries[0], "application/dicom+json")  # warm up
    latencies = []
    for q in queries:
        t0 = time.perf_counter()
        get(root + q, "application/dicom+json")
        latencies.append((time.perf_counter() - t0) * 1000)
    out = {"qido_requests": len(latencies),
           "qido_p50_ms": round(statistics.median(latencies), 2),
           "qido_p99_ms": round(percentile(latencies, 99), 2)}

    # WADO-RS: whole series (as stored) and single frames, 4 clients at once.
    series = sample["series"][:40]
    def retrieve(pair):
        body = get(root + "/studies/%s/series/%s" % tuple(pair),
                   'multipart/related; type="application/dicom"; transfer-syntax=*')
        return len(body)
    t0 = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        sizes = list(pool.map(retrieve, series))
    seconds = time.perf_counter() - t0
    out["wado_series"] = len(series)
    out["wado_mb_per_s"] = round(sum(sizes) / 1e6 / seconds, 1)
    frames = [root + "/studies/%s/series/%s/instances/%s/frames/1" % tuple(x)
              for x in sample["instances"][:400]]
    def frame(url):
        return len(get(url, "multipart/related; type=application/octet-stream; transfer-syntax=*"))
    t0 = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(frame, frames))
    out["frames_per_s"] = round(len(frames) / (time.perf_counter() - t0), 1)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
