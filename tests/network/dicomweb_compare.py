#!/usr/bin/python3
"""`dicomlake serve` side by side with Orthanc's DICOMweb plugin, both fed the same files.

  - QIDO-RS: a battery of searches (the ones OHIF sends, wildcards, ranges, lists, UID lists,
    includefield, a Cyrillic name matched case-insensitively, limit/offset pages) answered by
    both: the same studies, series and instances, and the same values of the attributes both
    return.
  - WADO-RS metadata: every attribute Orthanc gives equal in ours (binary values aside), and
    each BulkDataURI of ours resolving to the bytes pydicom reads for that attribute.
  - WADO-RS: every instance retrieved with transfer-syntax=* byte-equal to its file; every frame
    byte-equal to the frame pydicom cuts from the file; decoded frames of lossless instances
    equal to pydicom's decoded pixels; rendered images and thumbnails decodable, of the right size.

Usage: dicomweb_compare.py OURS_ROOT ORTHANC_ROOT FILE... (roots end in /dicom-web).
Prints what differs and exits 1 if anything does.
"""
import email.parser
import email.policy
import io
import json
import sys
import urllib.error
import urllib.parse
import urllib.request

import numpy
import pydicom
from pydicom.encaps import generate_pixel_data_frame
from PIL import Image

problems = []
checked = {"queries": 0, "entities": 0, "attributes": 0, "instances": 0, "frames": 0,
           "decoded": 0, "bulk": 0, "rendered": 0, "metadata": 0}


def problem(text):
    problems.append(text)
    print("DIFF: " + text)


def get(url, accept="application/dicom+json"):
    request = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=120) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def search(root, path, params):
    # Wildcards, `^`, `\` and `,` sent as they are, as viewers send them (Orthanc 1.10 does not
    # decode %2A in a query).
    query = urllib.parse.urlencode(params, quote_via=urllib.parse.quote, safe="*^\\,")
    status, _, body = get(root + path + ("?" + query if query else ""))
    if status == 204 or (status == 200 and not body.strip()):
        return []
    if status != 200:
        raise RuntimeError("%s%s?%s answered %d: %s" % (root, path, query, status, body[:300]))
    return json.loads(body)


def parts(headers, body):
    """The parts of a multipart/related body: (content type, bytes)."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + headers["Content-Type"].encode() + b"\r\n\r\n" + body)
    return [(p.get_content_type() + "".join("; %s=%s" % kv for kv in p.get_params()[1:]),
             p.get_payload(decode=True)) for p in message.iter_parts()]


def values(attribute):
    """An attribute's values in a form both servers agree on."""
    if attribute is None:
        return []
    out = []
    vr = attribute.get("vr")
    for v in attribute.get("Value", []):
        if isinstance(v, dict) and vr == "PN":
            out.append(v.get("Alphabetic", ""))
        elif isinstance(v, dict):
            out.append(json.dumps(v, sort_keys=True))
        elif isinstance(v, (int, float)) or (vr in ("IS", "DS") and isinstance(v, str)):
            try:
                out.append("%.6g" % float(v))
            except ValueError:
                out.append(str(v))
        elif v is None:
            out.append("")
        else:
            out.append(str(v))
    return out


KEY = {"studies": "0020000D", "series": "0020000E", "instances": "00080018"}
# Attributes each server answers with (PS3.18 required return attributes) that are compared.
COMPARED = {
    "studies": ["00080020", "00080030", "00080050", "00080061", "00080090", "00081030",
                "00100010", "00100020", "00100030", "00100040", "0020000D", "00200010",
                "00201206", "00201208"],
    "series": ["00080060", "0008103E", "0020000E", "00200011", "00201209", "0020000D"],
    "instances": ["00080016", "00080018", "00200013", "00280010", "00280011", "00280008",
                  "0020000D", "0020000E"],
}


def compare_search(ours_root, theirs_root, level, path, params, compare_values=True):
    checked["queries"] += 1
    label = "%s?%s" % (path, urllib.parse.urlencode(params))
    ours = search(ours_root, path, params)
    theirs = search(theirs_root, path, params)
    key = KEY[level]
    ours_by = {values(o.get(key))[0]: o for o in ours if values(o.get(key))}
    theirs_by = {values(t.get(key))[0]: t for t in theirs if values(t.get(key))}
    if set(ours_by) != set(theirs_by):
        problem("%s: ours %d matches, Orthanc %d; only ours %s; only Orthanc's %s" % (
            label, len(ours_by), len(theirs_by), sorted(set(ours_by) - set(theirs_by))[:3],
            sorted(set(theirs_by) - set(ours_by))[:3]))
        return ours
    if not compare_values:
        return ours
    wanted = list(COMPARED[level])
    for name, value in params.items():
        if name == "includefield":
            wanted += [f for f in str(value).split(",") if len(f) == 8]
    for uid, t in theirs_by.items():
        o = ours_by[uid]
        checked["entities"] += 1
        for tag in wanted:
            if tag not in t:
                continue
            checked["attributes"] += 1
            if tag not in o:
                problem("%s: %s lacks %s (Orthanc: %s)" % (label, uid, tag, values(t[tag])))
            elif values(o[tag]) != values(t[tag]) and not (
                    tag == "00080061" and sorted(values(o[tag])) == sorted(values(t[tag]))) and \
                    not (level == "studies" and tag == "00080060" and
                         set(values(t[tag])) <= set(values(o[tag]))):
                # A study's Modality: Orthanc gives one of its series', ours all of them.
                problem("%s: %s %s ours %s, Orthanc %s" % (label, uid, tag, values(o[tag]),
                                                          values(t[tag])))
    return ours


def first(entity, tag):
    v = values(entity.get(tag))
    return v[0] if v else ""


def compare_metadata(ours_root, theirs_root, study, series, files_by_uid):
    path = "/studies/%s/series/%s/metadata" % (study, series)
    _, _, ours_body = get(ours_root + path)
    _, _, theirs_body = get(theirs_root + path)
    ours = {first(d, "00080018"): d for d in json.loads(ours_body)}
    theirs = {first(d, "00080018"): d for d in json.loads(theirs_body)}
    if set(ours) != set(theirs):
        problem("%s: instances differ" % path)
        return

    def walk(o, t, where):
        for tag, ta in t.items():
            if tag.startswith("0002"):
                continue
            oa = o.get(tag)
            if oa is None:
                # Orthanc adds nothing that is not in the file; an attribute we lack is a loss.
                problem("%s: %s missing in ours" % (where, tag))
                continue
            if ta.get("vr") in ("OB", "OW", "OF", "OD", "OL", "UN", "OV") or \
                    "BulkDataURI" in ta or "InlineBinary" in ta:
                continue
            checked["metadata"] += 1
            if ta.get("vr") == "SQ":
                oi, ti = oa.get("Value", []), ta.get("Value", [])
                if len(oi) != len(ti):
                    problem("%s: %s has %d items, Orthanc %d" % (where, tag, len(oi), len(ti)))
                    continue
                for k, (a, b) in enumerate(zip(oi, ti)):
                    walk(a, b, "%s/%s[%d]" % (where, tag, k))
            elif values(oa) != values(ta):
                problem("%s: %s ours %s, Orthanc %s" % (where, tag, values(oa)[:4],
                                                       values(ta)[:4]))

    for uid in theirs:
        walk(ours[uid], theirs[uid], "metadata of " + uid)
        # Our BulkDataURIs (top level) resolve to the attribute's bytes in the file.
        path_ = files_by_uid.get(uid)
        if path_ is None:
            continue
        ds = pydicom.dcmread(path_, force=True)
        for tag, attribute in ours[uid].items():
            uri = attribute.get("BulkDataURI")
            if not uri or tag.startswith("0002"):
                continue
            status, headers, body = get(
                uri, "multipart/related; type=application/octet-stream; transfer-syntax=*")
            if status != 200:
                problem("BulkDataURI %s answered %d" % (uri, status))
                continue
            got = parts(headers, body)
            if tag == "7FE00010" and ds.file_meta.TransferSyntaxUID.is_compressed:
                # Encapsulated pixel data: its bulk data is its frames, as stored.
                if [p[1] for p in got] != frames_of(ds):
                    problem("BulkDataURI %s: the frames differ from pydicom's" % uri)
                checked["bulk"] += 1
                continue
            got = got[0][1]
            element = ds.get(int(tag, 16))
            want = element.value if element is not None else None
            if isinstance(want, bytes) and ds.is_little_endian and want[:len(got)] != got[:len(want)]:
                problem("BulkDataURI %s: %d bytes differ from pydicom's %d" % (uri, len(got),
                                                                               len(want)))
            checked["bulk"] += 1


def frames_of(ds):
    """pydicom's frames of a data set, as stored."""
    n = int(ds.get("NumberOfFrames", 1) or 1)
    if ds.file_meta.TransferSyntaxUID.is_compressed:
        return list(generate_pixel_data_frame(ds.PixelData, n))
    size = ds.Rows * ds.Columns * ds.SamplesPerPixel * ds.BitsAllocated // 8
    return [ds.PixelData[k * size:(k + 1) * size] for k in range(n)]


LOSSLESS = {"1.2.840.10008.1.2.5", "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.90",
            "1.2.840.10008.1.2.4.70", "1.2.840.10008.1.2.4.57"}


def check_instance(ours_root, study, series, uid, path):
    url = "%s/studies/%s/series/%s/instances/%s" % (ours_root, study, series, uid)
    status, headers, body = get(url, 'multipart/related; type="application/dicom"; transfer-syntax=*')
    if status != 200:
        problem("%s answered %d: %s" % (url, status, body[:200]))
        return
    got = parts(headers, body)
    with open(path, "rb") as f:
        original = f.read()
    checked["instances"] += 1
    if len(got) != 1 or got[0][1] != original:
        problem("%s: retrieved %d bytes, the file has %d" % (url, len(got[0][1]) if got else 0,
                                                             len(original)))
    ds = pydicom.dcmread(path, force=True)
    syntax = str(ds.file_meta.TransferSyntaxUID)
    if "PixelData" not in ds:
        return
    want = frames_of(ds)
    numbers = ",".join(str(k + 1) for k in range(len(want)))
    status, headers, body = get(url + "/frames/" + numbers,
                                "multipart/related; type=application/octet-stream; transfer-syntax=*")
    if status != 200:
        problem("%s/frames/%s answered %d: %s" % (url, numbers, status, body[:200]))
        return
    got = parts(headers, body)
    for k, (content_type, data) in enumerate(got):
        checked["frames"] += 1
        if (syntax if syntax != "1.2.840.10008.1.2.1.99" else "1.2.840.10008.1.2.1") \
                not in content_type:  # a deflated data set's frames come inflated
            problem("%s frame %d: Content-Type %s names no %s" % (url, k + 1, content_type, syntax))
        # An odd-length native frame is padded in pydicom's cut (the element is even).
        if data != want[k] and data != want[k].rstrip(b"\x00"):
            problem("%s frame %d: %d bytes differ from pydicom's %d" % (url, k + 1, len(data),
                                                                        len(want[k])))
    if syntax in LOSSLESS:
        status, headers, body = get(url + "/frames/1", "multipart/related; type=application/octet-stream")
        if status != 200:
            problem("%s/frames/1 decoded answered %d: %s" % (url, status, body[:200]))
        else:
            data = parts(headers, body)[0][1]
            pixels = ds.pixel_array
            if int(ds.get("NumberOfFrames", 1) or 1) > 1:
                pixels = pixels[0]
            checked["decoded"] += 1
            if data != numpy.ascontiguousarray(pixels).astype(pixels.dtype.newbyteorder("<")).tobytes():
                problem("%s frame 1 decoded differs from pydicom's pixel_array" % url)
    for kind, limit in (("rendered", None), ("thumbnail", 200)):
        status, headers, body = get(url + "/" + kind, "image/png")
        if status != 200:
            problem("%s/%s answered %d: %s" % (url, kind, status, body[:200]))
            continue
        image = Image.open(io.BytesIO(body))
        checked["rendered"] += 1
        size = (ds.Columns, ds.Rows)
        if limit is None and image.size != size:
            problem("%s/rendered is %s, the image %s" % (url, image.size, size))
        if limit is not None and max(image.size) > limit:
            problem("%s/thumbnail is %s" % (url, image.size))


def main():
    ours_root, theirs_root, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    files_by_uid = {}
    for path in files:
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True, force=True)
            files_by_uid.setdefault(str(ds.SOPInstanceUID), path)
        except Exception:  # the sample's file that is not DICOM
            pass

    studies = compare_search(ours_root, theirs_root, "studies", "/studies", {})
    by_date = sorted(first(s, "00080020") for s in studies if first(s, "00080020"))
    some = [s for s in studies if first(s, "00100020")][:3]
    pid = first(some[0], "00100020")
    name = first(some[0], "00100010")
    family = name.split("^")[0]
    low, high = by_date[len(by_date) // 4], by_date[3 * len(by_date) // 4]
    uids = [first(s, "0020000D") for s in studies[:3]]
    accession = first(some[1], "00080050")
    battery = [
        {"PatientID": pid},
        {"00100020": pid},
        {"PatientName": family + "*"},
        {"PatientName": "*" + family[1:4].lower() + "*"},
        {"PatientName": name},
        {"StudyDate": low + "-" + high},
        {"StudyDate": "-" + low},
        {"StudyDate": high + "-"},
        {"StudyDate": low},
        {"ModalitiesInStudy": "CT"},
        {"ModalitiesInStudy": "MR"},
        {"ModalitiesInStudy": "CT,MR"},
        {"StudyInstanceUID": ",".join(uids[:2])},
        {"StudyInstanceUID": uids[2]},
        {"AccessionNumber": accession[:4] + "*"},
        {"AccessionNumber": accession},
        {"StudyDescription": "*CHEST*"},
        {"StudyDescription": "*chest*"},
        {"ReferringPhysicianName": "*"},
        {"PatientSex": "F"},
        {"PatientBirthDate": "19500101-19991231"},
        # What OHIF's study list sends.
        {"PatientName": "*" + family[:3] + "*", "limit": "101", "offset": "0",
         "fuzzymatching": "false", "includefield": "00081030,00080060,00080090,00100030"},
        {"StudyDate": low + "-" + high, "limit": "101", "offset": "0",
         "includefield": "00081030,00080060,00080090,00100030"},
        {"includefield": "00081030,00080060,00080090,00100030"},
    ]
    for params in battery:
        compare_search(ours_root, theirs_root, "studies", "/studies", params)

    # What Orthanc 1.10 cannot be asked (it neither decodes percent-encoded values nor folds the
    # case of Cyrillic letters), checked against what the files say: backslash lists equal comma
    # lists; Cyrillic names matched whatever their case.
    def ours_uids(params, level="studies", path="/studies"):
        checked["queries"] += 1
        return sorted(first(x, KEY[level]) for x in search(ours_root, path, params))
    ts_study = ours_uids({"PatientID": "TS-0001"})
    if len(ts_study) != 1:
        problem("the study of transfer syntaxes is not found by its PatientID")
    for name in ("иванов*", "*ИВАН*", "Иванов^Иван", "ИВАНОВ^иван", "*ванов^ив*"):
        if ours_uids({"PatientName": name}) != ts_study:
            problem("PatientName=%s does not find the Cyrillic-named study" % name)
    if ours_uids({"PatientName": "*петров*"}) != []:
        problem("a name that is not there matched")
    if ours_uids({"ReferringPhysicianName": "пётр*"}) != [] or \
            ours_uids({"ReferringPhysicianName": "*пётр*"}) != ts_study:
        problem("ReferringPhysicianName matching of Cyrillic is wrong")
    if ours_uids({"ModalitiesInStudy": "CT\\MR"}) != ours_uids({"ModalitiesInStudy": "CT,MR"}):
        problem("a backslash list differs from a comma list")
    if ours_uids({"StudyInstanceUID": "\\".join(uids[:2])}) != sorted(uids[:2]):
        problem("a backslash UID list does not find its studies")
    if ours_uids({"PatientName": "joh ais", "fuzzymatching": "true"}) != \
            ours_uids({"PatientName": "Johansson^Aisha"}):
        problem("fuzzy matching of 'joh ais' does not find Johansson^Aisha")

    # limit / offset: the pages of each server together are all its studies, once each.
    for root in (ours_root, theirs_root):
        seen = []
        for offset in range(0, len(studies) + 6, 5):
            page = search(root, "/studies", {"limit": "5", "offset": str(offset)})
            if len(page) > 5:
                problem("%s: a page of limit 5 holds %d" % (root, len(page)))
            seen += [first(s, "0020000D") for s in page]
        checked["queries"] += 1
        if sorted(seen) != sorted(first(s, "0020000D") for s in studies):
            problem("%s: limit/offset pages are not the studies once each" % root)

    # Series and instances: each study's, and searches across the lake.
    series_all = []
    for s in studies:
        study = first(s, "0020000D")
        series = compare_search(ours_root, theirs_root, "series", "/studies/%s/series" % study, {})
        for se in series:
            series_all.append((study, first(se, "0020000E")))
            compare_search(ours_root, theirs_root, "instances",
                           "/studies/%s/series/%s/instances" % (study, first(se, "0020000E")), {})
    compare_search(ours_root, theirs_root, "instances", "/studies/%s/instances" % uids[0], {})
    for params in ({"Modality": "CT"}, {"Modality": "MR,CT"}, {"SeriesNumber": "1"},
                   {"SeriesDescription": "*series*"}, {"SeriesDescription": "*SERIES*"},
                   {"SeriesInstanceUID": series_all[0][1]}):
        compare_search(ours_root, theirs_root, "series", "/series", params, compare_values=False)
    for params in ({"SOPClassUID": "1.2.840.10008.5.1.4.1.1.4"}, {"InstanceNumber": "1"}):
        compare_search(ours_root, theirs_root, "instances", "/instances", params,
                       compare_values=False)
    compare_search(ours_root, theirs_root, "instances",
                   "/studies/%s/series/%s/instances" % series_all[0],
                   {"includefield": "00280010,00280011,00080008"})

    # Metadata, instances, frames, renderings.
    for study, series in series_all:
        compare_metadata(ours_root, theirs_root, study, series, files_by_uid)
        for inst in search(ours_root, "/studies/%s/series/%s/instances" % (study, series), {}):
            uid = first(inst, "00080018")
            if uid in files_by_uid:
                check_instance(ours_root, study, series, uid, files_by_uid[uid])

    print("checked: " + ", ".join("%d %s" % (v, k) for k, v in checked.items()))
    if problems:
        print("%d difference(s)" % len(problems))
        sys.exit(1)


if __name__ == "__main__":
    main()
