#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Makes the benchmark inputs (not committed; about 3 GB) in OUTDIR.

usage: bench/make_inputs.py OUTDIR [--dicompix PATH] [--small]

Content comes from testdata/generate.py's phantoms (deterministic):
  ct.dcm        512x512 16-bit signed CT slice (Shepp-Logan, HU)            = generate.py ct_phantom.dcm
  mf1000.dcm    1000 frames 512x512 16-bit (12 stored), ~524 MB             = generate.py multiframe_1000.dcm
  cr3000.dcm    3000x3000 16-bit (12 stored) radiograph-like, 18 MB         (made here, like generate.py cr_mono1)
  cine.dcm      100 frames 640x480 RGB 8-bit ultrasound-like cine, 92 MB   (made here, like generate.py us_rgb)
each also encoded, by the peers' own tools where they have an encoder:
  NAME.rle.dcm     RLE Lossless                        DCMTK dcmcrle
  NAME.jpll.dcm    JPEG Lossless SV1 (4.70)            DCMTK dcmcjpeg +e1
  NAME.jls.dcm     JPEG-LS Lossless                    DCMTK dcmcjpls
  NAME.j2k.dcm     JPEG 2000 Lossless                  GDCM gdcmconv --j2k (OpenJPEG)
  NAME.htj2k.dcm   HTJ2K Lossless                      dicompix transcode (OpenJPH; no peer writes HTJ2K)
  cine.jpeg.dcm    JPEG Baseline (YBR_FULL_422)        DCMTK dcmcjpeg +eb
plus bare codestreams of one frame for the codec tools: ct.j2c (HTJ2K, ojph_compress), ct.jp2k.j2k (J2K,
opj_compress), cr3000.j2c / cr3000.j2k, and ct.pgm / cr3000.pgm (their source).
--small skips mf1000 (for a quick run). Existing outputs are kept (delete OUTDIR to remake).
"""
import os
import shutil
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "testdata"))
import generate  # noqa: E402  (the project's phantoms)
from pydicom.uid import ExplicitVRLittleEndian  # noqa: E402


def cr3000(path):
    rng = np.random.default_rng(40)
    n = 3000
    y, x = np.mgrid[-1:1:n * 1j, -1:1:n * 1j]
    body = np.exp(-((x / 0.55) ** 2 + (y / 0.8) ** 2) ** 2)
    ribs = 0.15 * (np.sin(y * 40) > 0.6) * (np.abs(x) < 0.5) * (np.abs(x) > 0.08)
    img = 3000 * body + 600 * ribs * body + rng.normal(0, 15, (n, n)) + 200
    ds = generate.base("1.2.840.10008.5.1.4.1.1.1", "CR", 40)
    generate.grey_module(ds, n, n, 12, False)
    ds.WindowCenter, ds.WindowWidth = 2000, 3500
    ds.PixelData = np.clip(img, 0, 4095).astype("<u2").tobytes()
    generate.save(ds, path, ExplicitVRLittleEndian)


def cine(path, frames=100):
    rng = np.random.default_rng(41)
    h, w = 480, 640
    y, x = np.mgrid[0:h, 0:w]
    r = np.hypot(x - w / 2, y + 40)
    angle = np.arctan2(x - w / 2, y + 40)
    sector = (r < 470) & (np.abs(angle) < 0.7)
    out = np.empty((frames, h, w, 3), np.uint8)
    for k in range(frames):
        # Speckle that moves a little from frame to frame, like a real probe sweep.
        speckle = rng.rayleigh(60, (h, w)) * np.exp(-r / 500) * (1 + 0.2 * np.sin(r / 30 - k / 5))
        grey = np.clip(np.where(sector, speckle, 0), 0, 255).astype(np.uint8)
        out[k] = np.stack([grey, grey, grey], axis=-1)
        out[k, 10:30, 10:200] = [255, 200, 0]  # annotation bar in colour
    ds = generate.base("1.2.840.10008.5.1.4.1.1.3.1", "US", 41)
    ds.SamplesPerPixel, ds.PhotometricInterpretation, ds.PlanarConfiguration = 3, "RGB", 0
    ds.Rows, ds.Columns = h, w
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.NumberOfFrames = frames
    ds.CineRate, ds.FrameTime = 25, 40.0
    ds.PixelData = out.tobytes()
    generate.save(ds, path, ExplicitVRLittleEndian)


def pgm(dcm, path):
    import pydicom
    ds = pydicom.dcmread(dcm)
    a = ds.pixel_array
    if a.ndim == 3:
        a = a[0]
    a = a.astype(np.int32)
    if a.min() < 0:  # the codec tools take unsigned PGM: shift signed CT to its stored range
        a = a - a.min()
    with open(path, "wb") as f:
        f.write(b"P5\n%d %d\n%d\n" % (a.shape[1], a.shape[0], 65535 if a.max() > 255 else 255))
        f.write(a.astype(">u2" if a.max() > 255 else "u1").tobytes())


def run(argv):
    t = time.time()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    print(f"  {' '.join(os.path.basename(a) if i == 0 else a for i, a in enumerate(argv))}  ({time.time() - t:.1f} s)")


def main():
    args = sys.argv[1:]
    if not args or args[0].startswith("-"):
        print(__doc__)
        return 2
    out = os.path.abspath(args[0])
    small = "--small" in args
    dicompix = None
    if "--dicompix" in args:
        dicompix = os.path.abspath(args[args.index("--dicompix") + 1])
    else:
        for build in ("build-bench", "build"):
            cand = os.path.join(HERE, "..", build, "tools", "dicompix")
            if os.path.exists(cand):
                dicompix = os.path.abspath(cand)
                break
    for tool in ("dcmcrle", "dcmcjpeg", "dcmcjpls", "gdcmconv", "ojph_compress", "opj_compress"):
        if shutil.which(tool) is None:
            print(f"make_inputs: {tool} is not installed (scripts/install-deps.sh --bench)", file=sys.stderr)
            return 1
    if dicompix is None:
        print("make_inputs: no dicompix binary (build it, or pass --dicompix PATH)", file=sys.stderr)
        return 1
    os.makedirs(out, exist_ok=True)
    samples = os.path.join(out, "samples")

    def have(name):
        return os.path.exists(os.path.join(out, name))

    if not have("ct.dcm") or (not small and not have("mf1000.dcm")):
        print("generate.py" + ("" if small else " --large"))
        subprocess.run([sys.executable, os.path.join(HERE, "..", "testdata", "generate.py"), samples] +
                       ([] if small else ["--large"]), check=True, stdout=subprocess.DEVNULL)
        os.replace(os.path.join(samples, "ct_phantom.dcm"), os.path.join(out, "ct.dcm"))
        if not small:
            os.replace(os.path.join(samples, "multiframe_1000.dcm"), os.path.join(out, "mf1000.dcm"))
    if not have("cr3000.dcm"):
        print("cr3000.dcm")
        cr3000(os.path.join(out, "cr3000.dcm"))
    if not have("cine.dcm"):
        print("cine.dcm")
        cine(os.path.join(out, "cine.dcm"))

    bases = ["ct", "cr3000", "cine"] + ([] if small else ["mf1000"])
    for b in bases:
        src = os.path.join(out, b + ".dcm")
        jobs = [
            ("rle", ["dcmcrle", src]),
            ("jpll", ["dcmcjpeg", "+e1", src]),
            ("jls", ["dcmcjpls", src]),
            ("j2k", ["gdcmconv", "--j2k", src]),
            ("htj2k", [dicompix, "transcode", "--quiet", "-j", "2", "--transfer-syntax", "HTJ2KLossless", src]),
        ]
        if b == "cine":
            jobs.append(("jpeg", ["dcmcjpeg", "+eb", src]))
        for suffix, cmd in jobs:
            dst = os.path.join(out, f"{b}.{suffix}.dcm")
            if not os.path.exists(dst):
                run(cmd + [dst + ".tmp"])
                os.replace(dst + ".tmp", dst)
    # Bare codestreams of one frame, for the codec tools alone.
    for b in ("ct", "cr3000"):
        p = os.path.join(out, b + ".pgm")
        if not os.path.exists(p):
            pgm(os.path.join(out, b + ".dcm"), p)
        if not have(b + ".j2c"):
            run(["ojph_compress", "-i", p, "-o", os.path.join(out, b + ".j2c"), "-reversible", "true"])
        if not have(b + ".j2k"):
            run(["opj_compress", "-i", p, "-o", os.path.join(out, b + ".j2k")])
    shutil.rmtree(samples, ignore_errors=True)
    print(f"make_inputs: inputs in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
