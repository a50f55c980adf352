#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Whole-process comparison of dicompix with DCMTK, GDCM, pydicom and the bare codec tools.

usage: bench/compare_peers.py INPUTS [--build DIR] [--runs N] [--only GROUP[,GROUP...]] [--markdown FILE]

INPUTS is the directory bench/make_inputs.py filled. Every group runs all of its commands on the same input
in one run, interleaved (round r runs every command once, in turn), after one warm-up round, so the page
cache is warm for everyone and machine noise hits every command alike. For each command it prints the
median wall time, the fastest run, the ratio to the dicompix reference command of the group (peer time /
dicompix time: above 1 means dicompix is faster), and the peak resident set (getrusage ru_maxrss) in MB and
as a multiple of the decoded pixel bytes. Groups marked "memory" also sample /proc/PID/status every 2 ms
and report the peaks of RssAnon (heap, decoded frames) and RssFile (mapped input pages) separately.

Groups: parse, native, writeback, decode, codec, encode, stream (see GROUPS below for the commands).
Only the Python standard library is used; commands run without a shell (output to DEVNULL or a temp dir).
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

PY = "/usr/bin/python3"
PYDICOM_META = "import sys,pydicom; pydicom.dcmread(sys.argv[1], stop_before_pixels=True)"
PYDICOM_PIXELS = "import sys,pydicom; ds=pydicom.dcmread(sys.argv[1]); a=ds.pixel_array"
PYDICOM_SAVE = "import sys,pydicom; ds=pydicom.dcmread(sys.argv[1]); ds.save_as(sys.argv[2])"
DCMTK_DECODER = {"rle": "dcmdrle", "jpll": "dcmdjpeg", "jpeg": "dcmdjpeg", "jls": "dcmdjpls"}


def native_bytes(inputs, base):
    """Decoded pixel bytes of an input: its native file's size (header is a few hundred bytes)."""
    p = os.path.join(inputs, base + ".dcm")
    return os.path.getsize(p) if os.path.exists(p) else 0


def groups(inputs, build, out):
    dpx = os.path.join(build, "tools", "dicompix")
    read = os.path.join(build, "bench", "dicompix_read")
    f = lambda name: os.path.join(inputs, name)  # noqa: E731
    o = lambda name: os.path.join(out, name)  # noqa: E731
    g = []

    # Metadata only: whole process, parse everything before the pixel values.
    for name in ("ct.dcm", "mf1000.dcm", "mf1000.rle.dcm", "cine.jpeg.dcm"):
        g.append(("parse", f"metadata only: {name}", name.split(".")[0], False, [
            ("dicompix_read --meta", [read, "--meta", f(name)]),
            ("dicompix dump", [dpx, "dump", f(name)]),
            ("dcmdump -M", ["dcmdump", "-M", f(name)]),
            ("gdcminfo", ["gdcminfo", f(name)]),
            ("pydicom stop_before_pixels", [PY, "-c", PYDICOM_META, f(name)]),
            ("python3 -c 'import pydicom' (start-up alone)", [PY, "-c", "import pydicom"]),
        ]))

    # Native: every frame of the 524 MB file, beside cat (page cache -> user memory copy).
    g.append(("native", "every frame of mf1000.dcm (524 MB native)", "mf1000", True, [
        ("dicompix_read -j 1", [read, f("mf1000.dcm")]),
        ("cat > /dev/null", ["cat", f("mf1000.dcm")]),
        ("dicompix_read -j 2", [read, "-j", "2", f("mf1000.dcm")]),
        ("dicompix_read --keep-pages", [read, "--keep-pages", f("mf1000.dcm")]),
        ("dicompix decode (writes 524 MB raw)", [dpx, "decode", "--quiet", f("mf1000.dcm"), o("out.raw")]),
        ("pydicom pixel_array", [PY, "-c", PYDICOM_PIXELS, f("mf1000.dcm")]),
    ]))

    # Read + write back, native, same transfer syntax.
    g.append(("writeback", "read + write back mf1000.dcm (native)", "mf1000", True, [
        ("dicompix transcode (same TS)", [dpx, "transcode", "--quiet", "--transfer-syntax", "ExplicitVRLittleEndian",
                                          f("mf1000.dcm"), o("out.dcm")]),
        ("dcmconv", ["dcmconv", f("mf1000.dcm"), o("out.dcm")]),
        ("gdcmconv", ["gdcmconv", f("mf1000.dcm"), o("out.dcm")]),
        ("pydicom dcmread + save_as", [PY, "-c", PYDICOM_SAVE, f("mf1000.dcm"), o("out.dcm")]),
        ("cp (file copy)", ["cp", f("mf1000.dcm"), o("out.dcm")]),
    ]))

    # Decode all frames to a native file (what dcmd* and gdcmconv --raw do), per codec and input.
    for suffix in ("rle", "jpll", "jls", "j2k", "htj2k", "jpeg"):
        for base in ("mf1000", "cine", "cr3000", "ct"):
            name = f"{base}.{suffix}.dcm"
            if not os.path.exists(f(name)):
                continue
            cmds = [
                ("dicompix transcode -j 1", [dpx, "transcode", "--quiet", "-j", "1", "--transfer-syntax",
                                             "ExplicitVRLittleEndian", f(name), o("out.dcm")]),
                ("dicompix transcode -j 2", [dpx, "transcode", "--quiet", "-j", "2", "--transfer-syntax",
                                             "ExplicitVRLittleEndian", f(name), o("out.dcm")]),
                ("dicompix_read -j 1 (no output)", [read, f(name)]),
                ("dicompix_read -j 2 (no output)", [read, "-j", "2", f(name)]),
            ]
            if suffix in DCMTK_DECODER:
                cmds.append((DCMTK_DECODER[suffix], [DCMTK_DECODER[suffix], f(name), o("out.dcm")]))
            cmds.append(("gdcmconv --raw", ["gdcmconv", "--raw", f(name), o("out.dcm")]))
            cmds.append(("pydicom pixel_array (no output)", [PY, "-c", PYDICOM_PIXELS, f(name)]))
            g.append(("decode", f"decode {name}", base, True, cmds))

    # The bare codec tools on one frame's codestream, beside dicompix on the same frame in a DICOM file.
    for base in ("ct", "cr3000"):
        if os.path.exists(f(base + ".j2c")):
            g.append(("codec", f"HTJ2K one frame {base}", base, True, [
                ("dicompix transcode (htj2k -> native)", [dpx, "transcode", "--quiet", "--transfer-syntax",
                                                          "ExplicitVRLittleEndian", f(base + ".htj2k.dcm"), o("out.dcm")]),
                ("ojph_expand", ["ojph_expand", "-i", f(base + ".j2c"), "-o", o("out.pgm")]),
            ]))
        if os.path.exists(f(base + ".j2k")):
            g.append(("codec", f"JPEG 2000 one frame {base}", base, True, [
                ("dicompix transcode (j2k -> native)", [dpx, "transcode", "--quiet", "--transfer-syntax",
                                                        "ExplicitVRLittleEndian", f(base + ".j2k.dcm"), o("out.dcm")]),
                ("opj_decompress", ["opj_decompress", "-i", f(base + ".j2k"), "-o", o("out.pgm")]),
                ("opj_decompress -threads 2", ["opj_decompress", "-threads", "2", "-i", f(base + ".j2k"), "-o", o("out.pgm")]),
                ("grk_decompress", ["grk_decompress", "-i", f(base + ".j2k"), "-o", o("out.pgm")]),
                ("gdcmconv --raw", ["gdcmconv", "--raw", f(base + ".j2k.dcm"), o("out.dcm")]),
            ]))

    # Encode (transcode native -> compressed), beside the peers' encoders.
    enc = [("rle", "RLELossless", ["dcmcrle"]), ("jls", "JPEGLSLossless", ["dcmcjpls"]),
           ("jpll", "JPEGLosslessSV1", ["dcmcjpeg", "+e1"]), ("j2k", "JPEG2000Lossless", ["gdcmconv", "--j2k"]),
           ("htj2k", "HTJ2KLossless", None)]
    for base in ("mf1000", "cr3000"):
        for suffix, ts, peer in enc:
            if base == "mf1000" and suffix == "j2k":
                continue  # minutes per run
            cmds = [(f"dicompix transcode -j 1 -> {ts}", [dpx, "transcode", "--quiet", "-j", "1", "--transfer-syntax", ts,
                                                          f(base + ".dcm"), o("out.dcm")]),
                    (f"dicompix transcode -j 2 -> {ts}", [dpx, "transcode", "--quiet", "-j", "2", "--transfer-syntax", ts,
                                                          f(base + ".dcm"), o("out.dcm")])]
            if peer:
                cmds.append((" ".join(peer), peer + [f(base + ".dcm"), o("out.dcm")]))
            if suffix == "htj2k" and base == "cr3000":
                cmds.append(("ojph_compress (bare codestream)", ["ojph_compress", "-i", f("cr3000.pgm"), "-o",
                                                                 o("out.j2c"), "-reversible", "true"]))
            if suffix == "j2k" and base == "cr3000":
                cmds.append(("opj_compress (bare codestream)", ["opj_compress", "-i", f("cr3000.pgm"), "-o", o("out.j2k")]))
            g.append(("encode", f"encode {base} -> {ts}", base, True, cmds))

    # Streaming: peak anonymous vs file-backed memory of conversions of the 1000-frame file.
    g.append(("stream", "streaming mf1000.dcm (memory)", "mf1000", True, [
        ("transcode -> RLE -j 1", [dpx, "transcode", "--quiet", "--transfer-syntax", "RLELossless", f("mf1000.dcm"), o("out.dcm")]),
        ("transcode -> RLE -j 2", [dpx, "transcode", "--quiet", "-j", "2", "--transfer-syntax", "RLELossless",
                                   f("mf1000.dcm"), o("out.dcm")]),
        ("transcode -> JPEG-LS -j 1", [dpx, "transcode", "--quiet", "--transfer-syntax", "JPEGLSLossless",
                                       f("mf1000.dcm"), o("out.dcm")]),
        ("transcode -> JPEG-LS -j 2", [dpx, "transcode", "--quiet", "-j", "2", "--transfer-syntax", "JPEGLSLossless",
                                       f("mf1000.dcm"), o("out.dcm")]),
        ("transcode RLE -> native -j 2", [dpx, "transcode", "--quiet", "-j", "2", "--transfer-syntax", "ExplicitVRLittleEndian",
                                          f("mf1000.rle.dcm"), o("out.dcm")]),
        ("transcode native -> native (copy)", [dpx, "transcode", "--quiet", "--transfer-syntax", "ExplicitVRLittleEndian",
                                               f("mf1000.dcm"), o("out.dcm")]),
        ("convert --all-frames (1000 PNG)", [dpx, "convert", "--quiet", "--all-frames", f("mf1000.dcm"), o("png.png")]),
        ("decode (raw)", [dpx, "decode", "--quiet", f("mf1000.dcm"), o("out.raw")]),
        ("dcmcrle", ["dcmcrle", f("mf1000.dcm"), o("out.dcm")]),
        ("dcmcjpls", ["dcmcjpls", f("mf1000.dcm"), o("out.dcm")]),
    ]))
    return g


def status_kb(pid):
    """RssAnon and RssFile of a running process in KB (None when it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as s:
            anon = file = 0
            for line in s:
                if line.startswith("RssAnon:"):
                    anon = int(line.split()[1])
                elif line.startswith("RssFile:"):
                    file = int(line.split()[1])
            return anon, file
    except OSError:
        return None


def run_once(argv, sample):
    """Runs argv; returns (seconds, peak RSS KB, peak anon KB, peak file KB, exit status)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak_anon = peak_file = 0
    if sample:
        while True:
            pid, st, ru = os.wait4(p.pid, os.WNOHANG)
            if pid != 0:
                break
            s = status_kb(p.pid)
            if s:
                peak_anon, peak_file = max(peak_anon, s[0]), max(peak_file, s[1])
            time.sleep(0.002)
    else:
        pid, st, ru = os.wait4(p.pid, 0)
    seconds = time.perf_counter() - t0
    err = p.stderr.read().decode(errors="replace")
    p.stderr.close()
    code = os.waitstatus_to_exitcode(st)
    if code != 0:
        print(f"  ! exit {code}: {' '.join(argv)}\n    {err.strip()[:300]}", file=sys.stderr)
    return seconds, ru.ru_maxrss, peak_anon, peak_file, code


def load_average():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def fmt_time(s):
    return f"{s * 1000:.1f} ms" if s < 10 else f"{s:.2f} s"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("inputs")
    ap.add_argument("--build", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build-bench"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--only", default="", help="comma-separated groups or substrings of titles")
    ap.add_argument("--markdown", default="", help="append the tables to this file")
    ap.add_argument("--max-load", type=float, default=0, help="wait until the 1-minute load is below this first")
    a = ap.parse_args()
    inputs = os.path.abspath(a.inputs)
    build = os.path.abspath(a.build)
    for tool in ("dcmdump", "dcmconv", "gdcminfo", "gdcmconv", "ojph_expand", "opj_decompress"):
        if shutil.which(tool) is None:
            print(f"compare_peers: {tool} is not installed (scripts/install-deps.sh --bench)", file=sys.stderr)
            return 1
    out = tempfile.mkdtemp(prefix="dicompix-peers.", dir="/tmp")
    filters = [x for x in a.only.split(",") if x]
    md = []
    try:
        for group, title, base, _, cmds in groups(inputs, build, out):
            if filters and not any(x == group or x in title for x in filters):
                continue
            if a.max_load:
                while load_average() > a.max_load:
                    time.sleep(10)
            sample = group == "stream"
            runs = {label: [] for label, _ in cmds}
            loads = [load_average()]
            t_group = time.time()
            for r in range(a.runs + 1):
                for label, argv in cmds:
                    res = run_once(argv, sample)
                    if r > 0:  # round 0 warms the page cache and the binaries
                        runs[label].append(res)
                    for e in os.listdir(out):
                        p = os.path.join(out, e)
                        if os.path.isfile(p):
                            os.remove(p)
                loads.append(load_average())
            decoded = native_bytes(inputs, base)
            ref = statistics.median(x[0] for x in runs[cmds[0][0]])
            head = f"### {title}  (runs {a.runs}, load {min(loads):.2f}-{max(loads):.2f}, {time.time() - t_group:.0f} s)"
            lines = [head, ""]
            if sample:
                lines += ["| command | median | min | ratio to first | peak RSS MB | peak RssAnon MB | peak RssFile MB | exit |",
                          "|---|---:|---:|---:|---:|---:|---:|---|"]
            else:
                lines += ["| command | median | min | ratio to first | peak RSS MB | RSS / decoded | exit |",
                          "|---|---:|---:|---:|---:|---:|---|"]
            for label, _ in cmds:
                xs = runs[label]
                med = statistics.median(x[0] for x in xs)
                mn = min(x[0] for x in xs)
                rss = max(x[1] for x in xs) / 1024
                bad = sorted({x[4] for x in xs if x[4] != 0})
                status = "ok" if not bad else "FAILED " + ",".join(map(str, bad))
                ratio = med / ref if ref > 0 else 0
                if sample:
                    anon = max(x[2] for x in xs) / 1024
                    fileb = max(x[3] for x in xs) / 1024
                    lines.append(f"| {label} | {fmt_time(med)} | {fmt_time(mn)} | {ratio:.2f} | {rss:.1f} | {anon:.1f} | "
                                 f"{fileb:.1f} | {status} |")
                else:
                    per = f"{rss * 1024 * 1024 / decoded:.2f}x" if decoded else "-"
                    lines.append(f"| {label} | {fmt_time(med)} | {fmt_time(mn)} | {ratio:.2f} | {rss:.1f} | {per} | {status} |")
            lines.append("")
            text = "\n".join(lines)
            print(text, flush=True)
            md.append(text)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    if a.markdown:
        with open(a.markdown, "a") as m:
            m.write("\n".join(md) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
