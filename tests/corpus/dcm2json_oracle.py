#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Oracle test: `dicompix dump --json` against DCMTK's `dcm2json` on every corpus file.

For each file listed in MANIFEST.tsv of the corpus, both tools convert the dataset to the DICOM JSON
Model (PS3.18 F.2) and the two documents are compared recursively: same attributes, same VRs, equal
values (strings without trailing padding, numbers numerically - DS/IS exactly as decimals, FL after
rounding to float32 - binary values byte for byte after base64 decoding).

dcm2json refuses encapsulated Pixel Data, so for those files it reads a copy without it
(`dcmodify -nb -e "(7fe0,0010)"`) and dicompix is run with --encapsulated=omit.

Every accepted difference is listed in ALLOWED below by (file, attribute path, kind), with its reason,
and in doc/dcm2json-differences.md. The test fails on any difference not listed, and on any listed
difference that no longer occurs (so the list cannot go stale). There is no broad tolerance.

It also runs `dicompix dump` and `dicompix info` on every file and checks that neither crashes: exit
status 0, or 1 with exactly one line on stderr; files whose MANIFEST note says "malformed" must give
either an error or at least one warning.

Exit status: 0 pass, 1 fail, 77 skipped (corpus or dcm2json absent; CTest SKIP_RETURN_CODE).
Python standard library only.
"""

import argparse
import base64
import concurrent.futures
import csv
import decimal
import json
import math
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

SKIP = 77
DECODE_AVAILABLE = [False]  # set in main(): whether this dicompix has the decode subcommand
TOP_LEVEL_LINE = re.compile(r"^ *(\d+)  \(([0-9A-F]{4}),([0-9A-F]{4})\) ")

# ---- accepted differences ------------------------------------------------------------------------
# (file relative to the corpus, attribute path, kind) -> reason. Paths: tags joined by '/', with
# '[i]' for the item of a sequence, e.g. "00081140[0]/00081150". Kinds are those compare() reports.
# Keep doc/dcm2json-differences.md in step with this table.
FD_LAST_DIGIT = (
    "FD printed by dcm2json with a wrong 17th significant digit (DCMTK's own ftoa): the two texts are "
    "adjacent doubles, and the stored 8 bytes read with struct.unpack('<d') give dicompix's value, "
    "which is the shortest text that reads back as that double")
NUL_PADDED_NUMBER = (
    "DS/IS value padded with NUL instead of SPACE (PS3.5 6.2 pads DS and IS with SPACE): dcm2json keeps "
    "the NUL, finds the value invalid and writes the JSON string 'N\\u0000'; dicompix removes trailing NUL "
    "as padding (as element::string does) and writes the number (PS3.18 F.2.3.1)")
ODD_LENGTH_PADDED = (
    "Pixel Data (OB) has odd length 35659 (PS3.5 7.1.1 requires even lengths): DCMTK appends the pad "
    "byte when reading; dicompix writes the value exactly as stored")
PADDING_ONLY = (
    "value made only of SPACE padding (AS of 4 spaces, LT of 24 spaces): with the padding removed it is "
    "empty, so dicompix writes no \"Value\" (PS3.18 F.2.5: an empty value has no Value); dcm2json "
    "writes [null], i.e. one empty value")

ALLOWED = {
    ("pydicom-data/data_store/data/JPGLosslessP14SV1_1s_1f_8b.dcm", "00186011[0]/0018602C", "fd-last-digit"): FD_LAST_DIGIT,
    ("pydicom-data/data_store/data/JPGLosslessP14SV1_1s_1f_8b.dcm", "00186011[0]/0018602E", "fd-last-digit"): FD_LAST_DIGIT,
    ("pydicom-data/data_store/data/OBXXXX1A.dcm", "00186011[0]/0018602C", "fd-last-digit"): FD_LAST_DIGIT,
    ("pydicom-data/data_store/data/OBXXXX1A.dcm", "00186011[0]/0018602E", "fd-last-digit"): FD_LAST_DIGIT,
    ("pydicom-data/data_store/data/OBXXXX1A_2frame.dcm", "00186011[0]/0018602C", "fd-last-digit"): FD_LAST_DIGIT,
    ("pydicom-data/data_store/data/OBXXXX1A_2frame.dcm", "00186011[0]/0018602E", "fd-last-digit"): FD_LAST_DIGIT,
    ("pydicom-data/data_store/data/OBXXXX1A_expb.dcm", "00186011[0]/0018602C", "fd-last-digit"): FD_LAST_DIGIT,
    ("pydicom-data/data_store/data/OBXXXX1A_expb.dcm", "00186011[0]/0018602E", "fd-last-digit"): FD_LAST_DIGIT,
    ("pydicom-data/data_store/data/OBXXXX1A_expb_2frame.dcm", "00186011[0]/0018602C", "fd-last-digit"): FD_LAST_DIGIT,
    ("pydicom-data/data_store/data/OBXXXX1A_expb_2frame.dcm", "00186011[0]/0018602E", "fd-last-digit"): FD_LAST_DIGIT,
    ("pydicom-data/data_store/data/OBXXXX1A_rle.dcm", "00186011[0]/0018602C", "fd-last-digit"): FD_LAST_DIGIT,
    ("pydicom-data/data_store/data/OBXXXX1A_rle.dcm", "00186011[0]/0018602E", "fd-last-digit"): FD_LAST_DIGIT,
    ("pydicom-data/data_store/data/OBXXXX1A_rle_2frame.dcm", "00186011[0]/0018602C", "fd-last-digit"): FD_LAST_DIGIT,
    ("pydicom-data/data_store/data/OBXXXX1A_rle_2frame.dcm", "00186011[0]/0018602E", "fd-last-digit"): FD_LAST_DIGIT,
    ("pylibjpeg-data/ljdata/ds/JPEGLosslessSV1/JPEGLosslessP14SV1_3s_2f_u_08_08.dcm", "00186011[1]/0018602C", "fd-last-digit"): FD_LAST_DIGIT,
    ("libdicom/data/test_files/generated_encapsulated_defined_bot_1_to_1.dcm", "00280008", "nul-padded-number"): NUL_PADDED_NUMBER,
    ("libdicom/data/test_files/generated_encapsulated_defined_bot_2_to_1.dcm", "00280008", "nul-padded-number"): NUL_PADDED_NUMBER,
    ("libdicom/data/test_files/generated_encapsulated_defined_bot_2_to_2.dcm", "00280008", "nul-padded-number"): NUL_PADDED_NUMBER,
    ("libdicom/data/test_files/generated_encapsulated_empty_bot_1_to_1.dcm", "00280008", "nul-padded-number"): NUL_PADDED_NUMBER,
    ("libdicom/data/test_files/generated_encapsulated_empty_bot_2_to_1.dcm", "00280008", "nul-padded-number"): NUL_PADDED_NUMBER,
    ("pylibjpeg-data/ljdata/ds/JPEG2000/OsirixFake16BitsStoredFakeSpacing.dcm", "00180050", "nul-padded-number"): NUL_PADDED_NUMBER,
    ("pylibjpeg-data/ljdata/ds/JPEG2000/OsirixFake16BitsStoredFakeSpacing.dcm", "00200013", "nul-padded-number"): NUL_PADDED_NUMBER,
    ("pylibjpeg-data/ljdata/ds/JPEG2000/OsirixFake16BitsStoredFakeSpacing.dcm", "00280030", "nul-padded-number"): NUL_PADDED_NUMBER,
    ("pylibjpeg-data/ljdata/ds/JPEG2000/OsirixFake16BitsStoredFakeSpacing.dcm", "00281052", "nul-padded-number"): NUL_PADDED_NUMBER,
    ("pylibjpeg-data/ljdata/ds/JPEG2000/OsirixFake16BitsStoredFakeSpacing.dcm", "00281053", "nul-padded-number"): NUL_PADDED_NUMBER,
    ("highdicom/data/test_files/dx_image.dcm", "7FE00010", "odd-length-padded"): ODD_LENGTH_PADDED,
    ("pylibjpeg-data/ljdata/ds/JPEG2000/MAROTECH_CT_JP2Lossy.dcm", "00101010", "padding-only-value"): PADDING_ONLY,
    ("pylibjpeg-data/ljdata/ds/JPEGLossless/JPEGLossless_1s_1f_i_16_16_bad.dcm", "001021B0", "padding-only-value"): PADDING_ONLY,
}


class Difference:
    def __init__(self, path, kind, detail):
        self.path = path
        self.kind = kind
        self.detail = detail

    def key(self, file):
        return (file, self.path, self.kind)

    def __str__(self):
        return f"{self.path} {self.kind}: {self.detail}"


# ---- comparison ----------------------------------------------------------------------------------

def strip_padding(s):
    return s.rstrip(" \0") if isinstance(s, str) else s


def as_float32(x):
    return struct.unpack("<f", struct.pack("<f", float(x)))[0]


def equal_scalar(vr, a, b):
    """Compares two values of one attribute in the JSON Model."""
    if a is None or b is None:
        return a is b
    if isinstance(a, dict) or isinstance(b, dict):  # PN
        if not (isinstance(a, dict) and isinstance(b, dict)):
            return False
        ka = {k: strip_padding(v) for k, v in a.items() if strip_padding(v)}
        kb = {k: strip_padding(v) for k, v in b.items() if strip_padding(v)}
        return ka == kb
    numeric_a = isinstance(a, (int, decimal.Decimal)) and not isinstance(a, bool)
    numeric_b = isinstance(b, (int, decimal.Decimal)) and not isinstance(b, bool)
    if numeric_a and numeric_b:
        if vr == "FL":  # binary32: dcm2json prints 17 digits of the widened value
            return as_float32(a) == as_float32(b)
        if vr == "FD":  # binary64: equal when they read as the same double
            return float(a) == float(b)
        return decimal.Decimal(a) == decimal.Decimal(b)  # IS/DS text, US...: exactly
    if isinstance(a, str) and isinstance(b, str):
        return strip_padding(a) == strip_padding(b)
    return False


def compare_objects(ours, theirs, prefix, out):
    for tag in sorted(set(ours) | set(theirs)):
        path = f"{prefix}{tag}"
        if tag not in theirs:
            out.append(Difference(path, "only-dicompix", json.dumps(ours[tag], default=str)[:120]))
            continue
        if tag not in ours:
            out.append(Difference(path, "only-dcm2json", json.dumps(theirs[tag], default=str)[:120]))
            continue
        compare_attribute(ours[tag], theirs[tag], path, out)


def compare_attribute(a, b, path, out):
    va, vb = a.get("vr"), b.get("vr")
    if va != vb:
        out.append(Difference(path, "vr", f"dicompix {va}, dcm2json {vb}"))
        return
    if ("InlineBinary" in a) != ("InlineBinary" in b) or ("Value" in a) != ("Value" in b):
        kind = "value-form"
        if "Value" in b and "Value" not in a and all(x in (None, "") for x in b["Value"]):
            # dcm2json writes [null] for a value made only of padding; dicompix writes no value.
            kind = "padding-only-value"
        out.append(Difference(path, kind, f"dicompix {a!r:.100}, dcm2json {b!r:.100}"))
        return
    if "InlineBinary" in a:
        ba, bb = base64.b64decode(a["InlineBinary"]), base64.b64decode(b["InlineBinary"])
        if ba != bb:
            first = next((i for i in range(min(len(ba), len(bb))) if ba[i] != bb[i]), min(len(ba), len(bb)))
            kind = "binary"
            if len(ba) % 2 == 1 and bb == ba + b"\0":
                kind = "odd-length-padded"  # dcm2json adds the pad byte PS3.5 §7.1.1 requires
            out.append(Difference(path, kind, f"{len(ba)} vs {len(bb)} bytes, first difference at byte {first}"))
        return
    if "Value" not in a:
        return
    xa, xb = a["Value"], b["Value"]
    if va == "SQ":
        if len(xa) != len(xb):
            out.append(Difference(path, "items", f"dicompix {len(xa)} items, dcm2json {len(xb)}"))
            return
        for i, (ia, ib) in enumerate(zip(xa, xb)):
            compare_objects(ia, ib, f"{path}[{i}]/", out)
        return
    if len(xa) != len(xb):
        out.append(Difference(path, "value-count", f"dicompix {xa!r:.100}, dcm2json {xb!r:.100}"))
        return
    for i, (ea, eb) in enumerate(zip(xa, xb)):
        if equal_scalar(va, ea, eb):
            continue
        kind = "value"
        if va == "FD" and isinstance(ea, (int, decimal.Decimal)) and isinstance(eb, (int, decimal.Decimal)):
            if math.nextafter(float(ea), float(eb)) == float(eb):
                kind = "fd-last-digit"  # adjacent doubles: one of the two printed the wrong 17th digit
        if va in ("DS", "IS") and isinstance(eb, str) and eb.endswith("\0") and not isinstance(ea, str):
            # dcm2json keeps a NUL pad (PS3.5 pads DS/IS with spaces) and then writes a string.
            try:
                if decimal.Decimal(eb.rstrip("\0 ")) == decimal.Decimal(ea):
                    kind = "nul-padded-number"
            except decimal.InvalidOperation:
                pass
        out.append(Difference(path, kind, f"[{i}] dicompix {ea!r:.80}, dcm2json {eb!r:.80}"))


def count_attributes(obj):
    n = 0
    for attribute in obj.values():
        n += 1
        if attribute.get("vr") == "SQ":
            n += sum(count_attributes(item) for item in attribute.get("Value", []))
    return n


def load_json(text):
    # Decimals keep DS values exact; integers stay ints.
    return json.loads(text, parse_float=decimal.Decimal)


# ---- running the tools ---------------------------------------------------------------------------

def run(cmd, timeout=300):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)


class FileResult:
    def __init__(self, rel):
        self.rel = rel
        self.differences = []   # Difference
        self.problems = []      # failures not about JSON values (crash, bad error report, ...)
        self.skipped = None     # reason the JSON comparison was not made
        self.attributes = 0     # attributes compared (all levels)
        self.notes = []         # what was checked, for the log
        self.stripped = []      # top-level tags dcm2json refused, compared on a copy without them


def check_clean_exit(result, what, proc):
    """0, or 1 with exactly one line on stderr that starts with 'dicompix: error: '; no sanitizer report."""
    if b"Sanitizer" in proc.stderr or b"runtime error:" in proc.stderr:
        result.problems.append(f"{what}: sanitizer report: {proc.stderr[-1500:]!r}")
        return
    if proc.returncode < 0 or proc.returncode not in (0, 1):
        result.problems.append(f"{what}: exit status {proc.returncode} (crash?) stderr={proc.stderr[-400:]!r}")
        return
    if proc.returncode == 1:
        lines = proc.stderr.decode("utf-8", "replace").splitlines()
        if len(lines) != 1 or not lines[0].startswith("dicompix: error: "):
            result.problems.append(f"{what}: error report is not one 'dicompix: error:' line: {lines[:3]!r}")


def top_level_ranges(dicompix, path):
    """{tag: (start, end)} byte ranges of the top-level elements after the meta group, from
    `dicompix dump --offsets` (end = start of the next element, or end of file)."""
    listing = run([dicompix, "dump", "--offsets", "--no-meta", path])
    if listing.returncode != 0:
        return None
    starts = []
    for line in listing.stdout.decode("utf-8", "replace").splitlines():
        m = TOP_LEVEL_LINE.match(line)
        if m:
            starts.append((int(m.group(1)), m.group(2) + m.group(3)))
    size = os.path.getsize(path)
    ranges = {}
    for i, (start, tag) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else size
        ranges.setdefault(tag, (start, end))
    return ranges


def spliced_copy(path, ranges, tags, out_path):
    """A byte-for-byte copy of `path` without the top-level elements `tags` (everything else, including
    what follows them, is untouched, so DCMTK reads the very same bytes)."""
    with open(path, "rb") as f:
        data = f.read()
    cut = sorted(ranges[t] for t in tags if t in ranges)
    pieces, at = [], 0
    for start, end in cut:
        pieces.append(data[at:start])
        at = end
    pieces.append(data[at:])
    with open(out_path, "wb") as f:
        f.write(b"".join(pieces))


def dcm2json_refusal(stderr):
    """The top-level element that makes dcm2json refuse a file, or None."""
    text = stderr.decode("utf-8", "replace")
    if "compressed pixel data" in text:  # "JSON InlineBinary encoding not supported for compressed pixel data"
        return "7FE00010"
    if "SpecificCharacterSet" in text or "character encoding" in text:  # its conversion to UTF-8 failed
        return "00080005"
    return None


def process(dicompix, corpus, rel, note, tmpdir):
    result = FileResult(rel)
    path = os.path.join(corpus, rel)

    # Robustness: listing, info, strict listing; never a crash, errors on one line.
    listing = run([dicompix, "dump", "--warnings", path])
    check_clean_exit(result, "dump", listing)
    check_clean_exit(result, "info", run([dicompix, "info", path]))
    check_clean_exit(result, "dump --strict", run([dicompix, "dump", "--strict", path]))
    if "malformed" in note.lower():
        warned = b"dicompix: warning:" in listing.stderr
        if listing.returncode == 0 and not warned:
            # A valid structure around a broken codestream: decoding must report it.
            if not DECODE_AVAILABLE[0]:
                result.notes.append("structure valid; codestream not checked (no `dicompix decode`)")
            else:
                decoded = run([dicompix, "decode", path, os.path.join(tmpdir, rel.replace("/", "_") + ".raw")])
                check_clean_exit(result, "decode", decoded)
                if decoded.returncode == 0 and b"warning" not in decoded.stderr:
                    result.problems.append("malformed file: neither parsing nor decoding gives an error or a warning")
                else:
                    lines = decoded.stderr.decode("utf-8", "replace").strip().splitlines()
                    result.notes.append("structure valid; decode reports: " + (lines[0][:160] if lines else "?"))

    # Both with the meta group: dcm2json +m writes it (group lengths left out, as in the dataset).
    ours = run([dicompix, "dump", "--json", "--compact", "--meta", "--encapsulated=omit", path])
    check_clean_exit(result, "dump --json", ours)
    a = None
    if ours.returncode == 0:
        try:
            a = load_json(ours.stdout.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            result.problems.append(f"dicompix JSON is not valid UTF-8 JSON: {e}")
            return result

    # dcm2json refuses encapsulated Pixel Data, and character sets it cannot convert: it then reads a
    # copy without the element it refused, and that element is left out of both sides.
    stripped = []
    source = path
    theirs = run(["dcm2json", "-fc", "+m", source])
    while theirs.returncode != 0:
        refused = dcm2json_refusal(theirs.stderr)
        if refused is None or refused in stripped:
            break
        ranges = top_level_ranges(dicompix, path)
        if ranges is None or refused not in ranges:
            break
        if rel.endswith(".dcm") and b"1.2.840.10008.1.2.1.99" in open(path, "rb").read(1024):
            break  # deflated: offsets count in the inflated stream, the file cannot be spliced
        stripped.append(refused)
        source = os.path.join(tmpdir, rel.replace("/", "_") + ".spliced.dcm")
        spliced_copy(path, ranges, stripped, source)
        theirs = run(["dcm2json", "-fc", "+m", source])
    result.stripped = stripped
    if theirs.returncode != 0:
        message = theirs.stderr.decode("utf-8", "replace").strip().splitlines()
        result.skipped = f"dcm2json fails ({message[-1] if message else theirs.returncode})"
        if ours.returncode == 0:
            result.skipped += "; dicompix reads it"
        else:
            result.skipped += "; dicompix: " + ours.stderr.decode("utf-8", "replace").strip()
        return result
    if a is None:
        result.differences.append(Difference("", "dicompix-error", ours.stderr.decode("utf-8", "replace").strip()))
        return result
    try:
        # dcm2json writes the bytes of the source where it did not convert: keep them comparable.
        b = load_json(theirs.stdout.decode("utf-8", "surrogateescape"))
    except ValueError as e:
        result.skipped = f"dcm2json output is not JSON ({e}) for {source}"
        return result
    for tag in stripped:
        a.pop(tag, None)
    compare_objects(a, b, "", result.differences)
    result.attributes = count_attributes(b)
    return result


def read_manifest(corpus):
    with open(os.path.join(corpus, "MANIFEST.tsv"), newline="", encoding="utf-8") as f:
        return [(row["path"], row.get("note", "")) for row in csv.DictReader(f, delimiter="\t")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dicompix", required=True, help="path of the dicompix executable")
    parser.add_argument("--corpus", required=True, help="corpus folder (with MANIFEST.tsv)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", default="", help="only files whose path contains this text")
    parser.add_argument("--verbose", action="store_true", help="print every file's result")
    args = parser.parse_args()

    if not os.path.isfile(os.path.join(args.corpus, "MANIFEST.tsv")):
        print(f"SKIP: corpus not found at {args.corpus} (MANIFEST.tsv missing)")
        return SKIP
    for tool in ("dcm2json", "dcmodify"):
        if shutil.which(tool) is None:
            print(f"SKIP: DCMTK's {tool} is not installed (apt-get install dcmtk)")
            return SKIP
    if not os.access(args.dicompix, os.X_OK):
        print(f"FAIL: dicompix executable not found at {args.dicompix}")
        return 1

    DECODE_AVAILABLE[0] = run([args.dicompix, "decode", "--help"]).returncode == 0
    files = [(rel, note) for rel, note in read_manifest(args.corpus) if args.only in rel]
    with tempfile.TemporaryDirectory(prefix="dcm2json-oracle-") as tmpdir:
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            results = list(pool.map(lambda f: process(args.dicompix, args.corpus, f[0], f[1], tmpdir), files))

    failures = 0
    compared = skipped = stripped = 0
    seen_allowed = set()
    for r in results:
        unexpected = []
        for d in r.differences:
            key = d.key(r.rel)
            if key in ALLOWED:
                seen_allowed.add(key)
                if args.verbose:
                    print(f"  allowed {r.rel}: {d}  ({ALLOWED[key]})")
            else:
                unexpected.append(d)
        if r.skipped is not None:
            skipped += 1
            print(f"skipped {r.rel}: {r.skipped}")
        else:
            compared += 1
            stripped += bool(r.stripped)
        for n in r.notes:
            print(f"note {r.rel}: {n}")
        for p in r.problems:
            failures += 1
            print(f"FAIL {r.rel}: {p}")
        for d in unexpected:
            failures += 1
            print(f"FAIL {r.rel}: {d}")
        if args.verbose and not unexpected and not r.problems and r.skipped is None:
            print(f"ok {r.rel}{' (dcm2json read a copy without ' + ', '.join(r.stripped) + ')' if r.stripped else ''}")
    if not args.only:
        for key in sorted(set(ALLOWED) - seen_allowed):
            failures += 1
            print(f"FAIL stale allow-list entry (difference no longer occurs): {key}")
    attributes = sum(r.attributes for r in results)
    print(f"{len(results)} files: {compared} compared ({attributes} attributes at all levels; {stripped} files against "
          f"a copy without an element dcm2json refuses), "
          f"{skipped} skipped, {len(seen_allowed)} accepted differences, {failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
