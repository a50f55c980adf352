#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""`dicompix convert` as a user runs it: single files (frame choice, --all-frames naming, PGM by extension,
--raw16, --window C W, usage errors) and directory mode (recursive, output names, every frame, summary with
skipped and failed files and their reasons, exit status 1 when a file failed, no progress bar when stderr is
not a terminal).

usage: convert_cli.py DICOMPIX_BINARY CORPUS_DIR
Exit status 0: pass; 1: failure; 77: skipped (corpus absent).
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile

FAILURES = []


def check(condition, message):
    if not condition:
        FAILURES.append(message)
        print("FAIL:", message)


def run(*args):
    return subprocess.run(list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def element(group, elem, vr, value):
    if len(value) % 2:
        value += b" " if vr not in (b"UI", b"OB") else b"\0"
    if vr in (b"OB", b"OW", b"SQ", b"UN", b"UT"):
        return struct.pack("<HH2sHI", group, elem, vr, 0, len(value)) + value
    return struct.pack("<HH2sH", group, elem, vr, len(value)) + value


def no_pixel_data_file(path):
    """A valid Part 10 file (Basic Text SR-like) without Pixel Data."""
    ts = b"1.2.840.10008.1.2.1"
    meta_body = (element(0x0002, 0x0001, b"OB", b"\0\1") + element(0x0002, 0x0002, b"UI", b"1.2.840.10008.5.1.4.1.1.88.11")
                 + element(0x0002, 0x0003, b"UI", b"1.2.3.4") + element(0x0002, 0x0010, b"UI", ts))
    meta = element(0x0002, 0x0000, b"UL", struct.pack("<I", len(meta_body))) + meta_body
    body = element(0x0008, 0x0016, b"UI", b"1.2.840.10008.5.1.4.1.1.88.11") + element(0x0010, 0x0010, b"PN", b"Test^Nopixels")
    with open(path, "wb") as f:
        f.write(b"\0" * 128 + b"DICM" + meta + body)


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(26)
    check(head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG")
    width, height = struct.unpack(">II", head[16:24])
    return width, height, head[24], head[25]


def main():
    dicompix, corpus = sys.argv[1], sys.argv[2]
    ct = os.path.join(corpus, "pydicom/src/pydicom/data/test_files/CT_small.dcm")
    multi = os.path.join(corpus, "pydicom-data/data_store/data/emri_small.dcm")  # 10 frames 64x64
    truncated = os.path.join(corpus, "pydicom/src/pydicom/data/test_files/MR_truncated.dcm")
    for p in (ct, multi, truncated):
        if not os.path.exists(p):
            print(f"SKIP: corpus file {p} not found")
            return 77
    work = tempfile.mkdtemp(prefix="dicompix-convert-")
    try:
        # Single file: frame 0 by default, PNG 8-bit grey.
        r = run(dicompix, "convert", ct, os.path.join(work, "ct.png"))
        check(r.returncode == 0, f"convert CT: {r.stderr}")
        check(png_size(os.path.join(work, "ct.png")) == (128, 128, 8, 0), "CT PNG shape")
        # --window C W (two words, negative centre), PGM by extension.
        r = run(dicompix, "convert", "--window", "-600", "1600", ct, os.path.join(work, "ct.pgm"))
        check(r.returncode == 0, f"--window C W: {r.stderr}")
        with open(os.path.join(work, "ct.pgm"), "rb") as f:
            check(f.read(15) == b"P5\n128 128\n255\n", "PGM header")
        # --raw16: 16-bit grey PNG.
        r = run(dicompix, "convert", "--raw16", ct, os.path.join(work, "ct16.png"))
        check(r.returncode == 0 and png_size(os.path.join(work, "ct16.png"))[2] == 16, f"--raw16: {r.stderr}")
        # --all-frames: OUT_0000.png ...; --frame N.
        r = run(dicompix, "convert", "--all-frames", multi, os.path.join(work, "mr.png"))
        check(r.returncode == 0, f"--all-frames: {r.stderr}")
        check(all(os.path.exists(os.path.join(work, f"mr_{i:04d}.png")) for i in range(10)), "mr_0000..0009.png")
        r = run(dicompix, "convert", "--frame", "9", multi, os.path.join(work, "mr9.png"))
        check(r.returncode == 0 and os.path.exists(os.path.join(work, "mr9.png")), f"--frame 9: {r.stderr}")
        r = run(dicompix, "convert", "--frame", "10", multi, os.path.join(work, "mr10.png"))
        check(r.returncode == 1 and "no frame 10" in r.stderr, f"--frame 10 must fail: {r.returncode} {r.stderr}")
        # Usage errors exit 2.
        for bad in (["--frame", "x"], ["--window", "40"], ["--voi", "1", "--min-max"], ["--raw16", "--modality16"]):
            r = run(dicompix, "convert", *bad, ct, os.path.join(work, "x.png"))
            check(r.returncode == 2, f"usage error {bad}: exit {r.returncode}")
        r = run(dicompix, "convert", ct, os.path.join(work, "x.jpg"))
        check(r.returncode == 2, "OUT.jpg is a usage error")

        # Directory mode.
        src = os.path.join(work, "in")
        os.makedirs(os.path.join(src, "sub"))
        shutil.copy(ct, os.path.join(src, "ct.dcm"))
        shutil.copy(multi, os.path.join(src, "sub", "mr"))
        shutil.copy(truncated, os.path.join(src, "broken.dcm"))
        no_pixel_data_file(os.path.join(src, "report.dcm"))
        with open(os.path.join(src, "notes.txt"), "w") as f:
            f.write("not DICOM\n")
        out = os.path.join(work, "out")
        r = run(dicompix, "convert", "-j", "2", src, out)
        check(r.returncode == 1, f"a failed file gives exit 1, got {r.returncode}")
        check("converted 2 of 5 files (11 images)" in r.stdout, f"summary: {r.stdout}")
        check("notes.txt: not DICOM" in r.stdout, "not DICOM is skipped")
        check("report.dcm: no pixel data" in r.stdout, "no pixel data is skipped")
        check("failed 1:" in r.stdout and "broken.dcm: pixel_data_too_short" in r.stdout, "failure with reason")
        check("\r" not in r.stderr, "no progress bar when stderr is not a terminal")
        check(os.path.exists(os.path.join(out, "ct.png")), "ct.dcm -> ct.png")
        check(all(os.path.exists(os.path.join(out, "sub", f"mr_{i:04d}.png")) for i in range(10)), "sub/mr_0000..0009.png")
        r = run(dicompix, "convert", "--frame", "0", "--format", "ppm", "--quiet", src, out + "2")
        check(os.path.exists(os.path.join(out + "2", "sub", "mr.ppm")), "--frame 0 --format ppm in directory mode")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("PASS" if not FAILURES else f"{len(FAILURES)} failure(s)")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
