#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""dicompix's rendered 8-bit output must match DCMTK's dcm2pnm within one grey level on at least 99.9 % of
the samples of every corpus file that DCMTK can render.

For each file of MANIFEST.tsv, frame 0 (and the last frame of a multi-frame file) is rendered by
`dicompix convert --verbose --frame K FILE out.pnm`; the VOI it chose (printed by --verbose) selects the
same one in DCMTK:
  the file's window K        -> +Wi K+1      (+Wfs for SIGMOID)
  a functional-group window  -> +Ww C W      (DCMTK 3.6.7 does not read functional groups)
  the file's VOI LUT K       -> +Wl K+1
  min-max (no window in file)-> +Wm
and DCMTK renders with overlays off (-O) to PGM/PPM (+op). Files with overlay planes are compared a second
time with overlays burned in (dicompix --overlays, DCMTK's default +O: "replace" with white).

DCMTK's tools by transfer syntax: dcm2pnm (native, deflate, RLE), dcmj2pnm (JPEG), dcml2pnm (JPEG-LS). DCMTK
has no free JPEG 2000 / HTJ2K / JPEG XL codec: those files are skipped with that reason; files DCMTK
refuses are skipped with its message. Known differences are listed in KNOWN_DIFFERENCES below and in
doc/dcm2pnm-differences.md; the test checks they still differ, so a stale entry fails too. Files dicompix
cannot decode yet (no_decoder: codecs still being written) fail, listed separately.

usage: compare_dcm2pnm.py DICOMPIX_BINARY CORPUS_DIR [--jobs N] [--keep DIR] [--only SUBSTRING]
Exit status 0: every compared file matches; 1: mismatches or dicompix failures; 77: skipped (no corpus or
no dcm2pnm).
"""
import argparse
import concurrent.futures
import csv
import os
import re
import shutil
import subprocess
import sys
import tempfile

THRESHOLD = 0.999  # share of samples within one grey level

JPEG = {"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70"}
JPEG_LS = {"1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81"}
NO_DCMTK_CODEC = {
    "1.2.840.10008.1.2.4.90": "JPEG 2000", "1.2.840.10008.1.2.4.91": "JPEG 2000",
    "1.2.840.10008.1.2.4.92": "JPEG 2000", "1.2.840.10008.1.2.4.93": "JPEG 2000",
    "1.2.840.10008.1.2.4.201": "HTJ2K", "1.2.840.10008.1.2.4.202": "HTJ2K", "1.2.840.10008.1.2.4.203": "HTJ2K",
    "1.2.840.10008.1.2.4.110": "JPEG XL", "1.2.840.10008.1.2.4.111": "JPEG XL", "1.2.840.10008.1.2.4.112": "JPEG XL",
}

# Files where DCMTK 3.6.7 and dicompix differ on purpose: path relative to the corpus -> reason (with the
# standard's section). Kept in step with doc/dcm2pnm-differences.md.
KNOWN_DIFFERENCES = {
    "pydicom-data/data_store/data/SC_ybr_full_uncompressed.dcm":
        "native YBR_FULL: DCMTK converts with truncated per-term tables (diybrpxt.h), up to 2 levels below the "
        "PS3.3 C.7.6.3.1.2 equations; dicompix rounds the exact equations (max difference 0 against them)",
    "pylibjpeg-data/ljdata/ds/JPEGBaseline/SC_rgb_jpeg_lossy_gdcm.dcm":
        "Photometric Interpretation says RGB but the baseline JPEG holds YCbCr (components 1,2,3 with 4:2:0 "
        "chroma, no Adobe marker: T.81 / T.871 YCbCr; the same codestream is YBR_FULL in pydicom's copy). "
        "libjpeg-turbo converts to RGB; DCMTK trusts the attribute and shows YCbCr as RGB (PS3.5 8.2.1 requires "
        "YBR_FULL_422 for such a stream)",
}

# Files dicompix refuses on purpose (the error code must appear in its message): path -> (code, reason).
EXPECTED_REFUSALS = {
    "pydicom/src/pydicom/data/test_files/MR_truncated.dcm":
        ("pixel_data_too_short", "Pixel Data ends before its first frame; DCMTK refuses it too (premature end of stream)"),
}


def read_pnm(path):
    """(width, height, channels, bytes) of a binary PGM/PPM with maxval 255."""
    with open(path, "rb") as f:
        data = f.read()
    tokens = []
    pos = 0
    while len(tokens) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            while data[pos:pos + 1] not in (b"\n", b""):
                pos += 1
            continue
        start = pos
        while not data[pos:pos + 1].isspace():
            pos += 1
        tokens.append(data[start:pos])
    pos += 1  # one whitespace byte after maxval
    magic, width, height, maxval = tokens[0], int(tokens[1]), int(tokens[2]), int(tokens[3])
    if magic not in (b"P5", b"P6") or maxval != 255:
        raise ValueError(f"{path}: not an 8-bit binary PGM/PPM ({magic!r}, maxval {maxval})")
    channels = 3 if magic == b"P6" else 1
    return width, height, channels, data[pos:pos + width * height * channels]


def compare(ours, theirs):
    """(ok, share within one level, max difference, message)."""
    w1, h1, c1, a = ours
    w2, h2, c2, b = theirs
    if (w1, h1, c1) != (w2, h2, c2):
        return False, 0.0, 255, f"shape {w1}x{h1}x{c1} vs DCMTK {w2}x{h2}x{c2}"
    if len(a) != len(b) or not a:
        return False, 0.0, 255, "sample counts differ"
    if a == b:
        return True, 1.0, 0, "identical"
    far = 0
    worst = 0
    for x, y in zip(a, b):
        d = x - y if x > y else y - x
        if d > 1:
            far += 1
        if d > worst:
            worst = d
    share = 1.0 - far / len(a)
    return share >= THRESHOLD, share, worst, f"{share * 100:.3f}% within 1 (max diff {worst})"


def dcmtk_tool(ts):
    if ts in JPEG:
        return "dcmj2pnm"
    if ts in JPEG_LS:
        return "dcml2pnm"
    return "dcm2pnm"


VOI_RE = re.compile(r"voi=(window\(([^,]+),([^,]+),([A-Z_]+),(?:file:(\d+)@(\w+)|explicit)\)|lut\((\d+)@(\w+)\)|min-max|none)")


def dcmtk_voi_args(description):
    """DCMTK options selecting the VOI dicompix used, or [] for colour images; None when not expressible."""
    m = VOI_RE.search(description)
    if not m:
        return []
    if m.group(1) == "min-max":
        return ["+Wm"]
    if m.group(1) == "none":
        return ["-W"]
    if m.group(1).startswith("window"):
        center, width, function, index, level = m.group(2), m.group(3), m.group(4), m.group(5), m.group(6)
        extra = ["+Wfs"] if function == "SIGMOID" else []
        if index is not None and level == "top":
            return ["+Wi", str(int(index) + 1)] + extra
        return ["+Ww", center, width] + extra
    if m.group(7) is not None:
        if m.group(8) != "top":
            return None
        return ["+Wl", str(int(m.group(7)) + 1)]
    return None


def run(cmd):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace")


def check_file(dicompix, corpus, row, workdir):
    """Returns (status, path, message); status in PASS, FAIL, SKIP, KNOWN, REFUSED, NODECODER."""
    rel = row["path"]
    path = os.path.join(corpus, rel)
    ts = row["transfer_syntax_uid"]
    try:
        frames = max(1, int(row["frames"] or "1"))
    except ValueError:
        frames = 1
    tag = re.sub(r"[^A-Za-z0-9]+", "_", rel)
    results = []
    compared = False
    for frame in sorted({0, frames - 1}):
        for overlays in (False, True):
            ours_path = os.path.join(workdir, f"{tag}_{frame}_{int(overlays)}_ours.pnm")
            cmd = [dicompix, "convert", "--verbose", "--quiet", "--frame", str(frame), path, ours_path]
            if overlays:
                cmd.insert(2, "--overlays")
            mine = run(cmd)
            if mine.returncode != 0:
                err = mine.stderr.strip().splitlines()[-1] if mine.stderr.strip() else "exit %d" % mine.returncode
                if rel in EXPECTED_REFUSALS and EXPECTED_REFUSALS[rel][0] in err:
                    return "REFUSED", rel, f"{EXPECTED_REFUSALS[rel][1]} ({err})"
                if "no_decoder" in err:
                    return "NODECODER", rel, err
                if ts in NO_DCMTK_CODEC:
                    return "SKIP", rel, f"DCMTK 3.6.7 has no {NO_DCMTK_CODEC[ts]} codec (and dicompix failed: {err})"
                return "FAIL", rel, f"dicompix failed: {err}"
            info = mine.stderr
            if overlays:
                m = re.search(r"overlays=(\d+)", info)
                if not m or m.group(1) == "0":
                    break  # no overlay plane: nothing more to compare
            if ts in NO_DCMTK_CODEC:
                return "SKIP", rel, f"DCMTK 3.6.7 has no {NO_DCMTK_CODEC[ts]} codec"
            voi = dcmtk_voi_args(info)
            if voi is None:
                return "SKIP", rel, f"DCMTK cannot select this VOI: {info.strip()}"
            theirs_path = os.path.join(workdir, f"{tag}_{frame}_{int(overlays)}_dcmtk.pnm")
            dcmd = [dcmtk_tool(ts), "+F", str(frame + 1), "+op"] + voi + (["+O", "0"] if overlays else ["-O"]) + [path, theirs_path]
            theirs = run(dcmd)
            if theirs.returncode != 0 or not os.path.exists(theirs_path):
                msg = " | ".join(line for line in theirs.stderr.strip().splitlines() if line.startswith(("E:", "F:")))
                return "SKIP", rel, f"DCMTK ({dcmtk_tool(ts)}) cannot render it: {msg or 'exit %d' % theirs.returncode}"
            ok, share, worst, text = compare(read_pnm(ours_path), read_pnm(theirs_path))
            compared = True
            label = f"frame {frame}{' +overlays' if overlays else ''}"
            results.append((ok, f"{label}: {text} [{' '.join(voi)}]"))
    if not compared:
        return "SKIP", rel, "nothing compared"
    bad = [text for ok, text in results if not ok]
    summary = "; ".join(text for _, text in results)
    if rel in KNOWN_DIFFERENCES:
        if bad:
            return "KNOWN", rel, f"{KNOWN_DIFFERENCES[rel]} ({summary})"
        return "FAIL", rel, f"listed in KNOWN_DIFFERENCES but matches now: remove the entry ({summary})"
    if bad:
        return "FAIL", rel, summary
    return "PASS", rel, summary


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dicompix")
    parser.add_argument("corpus")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--keep", help="keep the rendered images in this directory")
    parser.add_argument("--only", help="only files whose path contains this")
    args = parser.parse_args()

    manifest = os.path.join(args.corpus, "MANIFEST.tsv")
    if not os.path.exists(manifest):
        print(f"SKIP: corpus not found at {args.corpus}")
        return 77
    for tool in ("dcm2pnm", "dcmj2pnm", "dcml2pnm"):
        if shutil.which(tool) is None:
            print(f"SKIP: DCMTK's {tool} is not installed (apt-get install dcmtk)")
            return 77
    with open(manifest, newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    if args.only:
        rows = [r for r in rows if args.only in r["path"]]

    workdir = args.keep or tempfile.mkdtemp(prefix="dicompix-dcm2pnm-")
    os.makedirs(workdir, exist_ok=True)
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            outcomes = list(pool.map(lambda r: check_file(args.dicompix, args.corpus, r, workdir), rows))
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    by_status = {}
    for status, rel, message in outcomes:
        by_status.setdefault(status, []).append((rel, message))
    order = ["FAIL", "NODECODER", "KNOWN", "REFUSED", "SKIP", "PASS"]
    titles = {
        "PASS": "matched DCMTK", "FAIL": "MISMATCH or dicompix failure", "SKIP": "skipped",
        "KNOWN": "known differences (doc/dcm2pnm-differences.md)", "REFUSED": "refused by both on purpose",
        "NODECODER": "dicompix has no decoder yet (codec pending)",
    }
    for status in order:
        items = sorted(by_status.get(status, []))
        if not items:
            continue
        print(f"== {titles[status]}: {len(items)}")
        for rel, message in items:
            print(f"  {status} {rel}: {message}")
    counts = {s: len(by_status.get(s, [])) for s in order}
    compared = counts["PASS"] + counts["FAIL"] + counts["KNOWN"]
    print(f"\n{len(outcomes)} files: {compared} compared with DCMTK, {counts['PASS']} matched, "
          f"{counts['KNOWN']} known differences, {counts['FAIL']} failed, {counts['NODECODER']} without decoder, "
          f"{counts['SKIP']} skipped, {counts['REFUSED']} refused on purpose")
    return 1 if counts["FAIL"] or counts["NODECODER"] else 0


if __name__ == "__main__":
    sys.exit(main())
