#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Makes the project's own sample DICOM files (no patient data): synthetic but real-looking content.

usage: generate.py OUTDIR [--large]

  ct_phantom.dcm      512x512 16-bit signed CT (Shepp-Logan phantom in Hounsfield units, Rescale
                      Intercept -1024, a soft-tissue window), Explicit VR Little Endian
  mr_multiframe.dcm   8 frames 256x256, 12 bits stored in 16, MONOCHROME2, Implicit VR Little Endian
  us_rgb.dcm          640x480 RGB 8-bit ultrasound-like sector, Explicit VR Little Endian
  cr_mono1.dcm        1024x1024 MONOCHROME1 radiograph-like, 12 bits stored, Explicit VR Big Endian
  seg_1bit.dcm        3 frames 37x29 1-bit (frames start mid-byte)
With --large also:
  multiframe_1000.dcm 1000 frames 512x512 16-bit (~524 MB) for the parse/native benchmarks

Content is deterministic (fixed seeds) so benchmarks and tests see the same bytes everywhere.
"""
import datetime
import os
import sys

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import (ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian,
                         PYDICOM_IMPLEMENTATION_UID)

ROOT = "1.2.826.0.1.3680043.10.1045"  # dicompix sample UIDs


def shepp_logan(n):
    """Modified Shepp-Logan phantom (Toft) in HU-like units."""
    ellipses = [  # value, a, b, x0, y0, phi(deg)
        (1000, 0.69, 0.92, 0, 0, 0), (-940, 0.6624, 0.8740, 0, -0.0184, 0),
        (-40, 0.11, 0.31, 0.22, 0, -18), (-40, 0.16, 0.41, -0.22, 0, 18),
        (30, 0.21, 0.25, 0, 0.35, 0), (30, 0.046, 0.046, 0, 0.1, 0), (30, 0.046, 0.046, 0, -0.1, 0),
        (30, 0.046, 0.023, -0.08, -0.605, 0), (30, 0.023, 0.023, 0, -0.606, 0),
        (30, 0.023, 0.046, 0.06, -0.605, 0)]
    y, x = np.mgrid[-1:1:n * 1j, -1:1:n * 1j]
    img = np.full((n, n), -1000.0)
    for value, a, b, x0, y0, phi in ellipses:
        t = np.deg2rad(phi)
        xr = (x - x0) * np.cos(t) + (y - y0) * np.sin(t)
        yr = -(x - x0) * np.sin(t) + (y - y0) * np.cos(t)
        img[(xr / a) ** 2 + (yr / b) ** 2 <= 1] += value
    return img


def base(sop_class, modality, uid_suffix):
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = sop_class
    ds.file_meta.MediaStorageSOPInstanceUID = f"{ROOT}.2.{uid_suffix}"
    ds.file_meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = f"{ROOT}.3.1"
    ds.SeriesInstanceUID = f"{ROOT}.4.{uid_suffix}"
    ds.Modality = modality
    ds.PatientName = "Phantom^Shepp Logan"
    ds.PatientID = "DICOMPIX-SAMPLE"
    ds.StudyDate = datetime.date(2026, 1, 1).strftime("%Y%m%d")
    ds.Manufacturer = "dicompix testdata/generate.py"
    ds.InstanceNumber = 1
    return ds


def save(ds, path, transfer_syntax):
    ds.file_meta.TransferSyntaxUID = transfer_syntax
    ds.is_little_endian = transfer_syntax != ExplicitVRBigEndian
    ds.is_implicit_VR = transfer_syntax == ImplicitVRLittleEndian
    ds.save_as(path, write_like_original=False)


def grey_module(ds, rows, cols, bits_stored, signed, pi="MONOCHROME2", frames=None):
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = pi
    ds.Rows, ds.Columns = rows, cols
    ds.BitsAllocated = 16 if bits_stored > 8 else (8 if bits_stored > 1 else 1)
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = 1 if signed else 0
    if frames is not None:
        ds.NumberOfFrames = frames


def ct_phantom(out):
    rng = np.random.default_rng(1)
    hu = shepp_logan(512) + rng.normal(0, 8, (512, 512))
    stored = np.clip(np.round(hu + 1024), -2048, 4095).astype(np.int16)
    ds = base("1.2.840.10008.5.1.4.1.1.2", "CT", 1)
    grey_module(ds, 512, 512, 16, True)
    ds.RescaleIntercept, ds.RescaleSlope, ds.RescaleType = -1024, 1, "HU"
    ds.WindowCenter, ds.WindowWidth = [40, 400], [400, 1500]
    ds.WindowCenterWidthExplanation = ["SOFT TISSUE", "BONE"]
    ds.PixelSpacing, ds.SliceThickness = [0.7, 0.7], 1.0
    ds.PixelData = stored.astype("<i2").tobytes()
    save(ds, os.path.join(out, "ct_phantom.dcm"), ExplicitVRLittleEndian)


def mr_multiframe(out):
    rng = np.random.default_rng(2)
    frames = []
    for k in range(8):
        img = shepp_logan(256) + 1000
        img *= 1.5 + 0.1 * k
        img += rng.rayleigh(20, (256, 256))
        frames.append(np.clip(img, 0, 4095).astype(np.uint16))
    ds = base("1.2.840.10008.5.1.4.1.1.4", "MR", 2)
    grey_module(ds, 256, 256, 12, False, frames=8)
    ds.PixelData = np.stack(frames).astype("<u2").tobytes()
    save(ds, os.path.join(out, "mr_multiframe.dcm"), ImplicitVRLittleEndian)


def us_rgb(out):
    rng = np.random.default_rng(3)
    h, w = 480, 640
    y, x = np.mgrid[0:h, 0:w]
    r = np.hypot(x - w / 2, y + 40)
    angle = np.arctan2(x - w / 2, y + 40)
    sector = (r < 470) & (np.abs(angle) < 0.7)
    speckle = rng.rayleigh(60, (h, w)) * np.exp(-r / 500)
    grey = np.clip(np.where(sector, speckle, 0), 0, 255).astype(np.uint8)
    rgb = np.stack([grey, grey, grey], axis=-1)
    rgb[10:30, 10:200] = [255, 200, 0]  # an annotation bar in colour
    ds = base("1.2.840.10008.5.1.4.1.1.6.1", "US", 3)
    ds.SamplesPerPixel, ds.PhotometricInterpretation, ds.PlanarConfiguration = 3, "RGB", 0
    ds.Rows, ds.Columns = h, w
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.PixelData = rgb.tobytes()
    save(ds, os.path.join(out, "us_rgb.dcm"), ExplicitVRLittleEndian)


def cr_mono1(out):
    rng = np.random.default_rng(4)
    y, x = np.mgrid[-1:1:1024j, -1:1:1024j]
    body = np.exp(-((x / 0.55) ** 2 + (y / 0.8) ** 2) ** 2)
    ribs = 0.15 * (np.sin(y * 40) > 0.6) * (np.abs(x) < 0.5) * (np.abs(x) > 0.08)
    img = 3000 * body + 600 * ribs * body + rng.normal(0, 15, (1024, 1024)) + 200
    ds = base("1.2.840.10008.5.1.4.1.1.1", "CR", 4)
    grey_module(ds, 1024, 1024, 12, False, pi="MONOCHROME1")
    ds.WindowCenter, ds.WindowWidth = 2000, 3500
    ds.PixelData = np.clip(img, 0, 4095).astype(">u2").tobytes()
    save(ds, os.path.join(out, "cr_mono1.dcm"), ExplicitVRBigEndian)


def seg_1bit(out):
    rng = np.random.default_rng(5)
    frames = (rng.random((3, 29, 37)) > 0.7).astype(np.uint8)
    ds = base("1.2.840.10008.5.1.4.1.1.66.4", "SEG", 5)
    grey_module(ds, 29, 37, 1, False, frames=3)
    bits = np.packbits(frames.reshape(-1), bitorder="little")
    data = bits.tobytes()
    ds.PixelData = data + (b"\0" if len(data) % 2 else b"")
    save(ds, os.path.join(out, "seg_1bit.dcm"), ExplicitVRLittleEndian)


def multiframe_1000(out):
    # 1000 frames of 512x512 16-bit: a phantom slice shifted and noised per frame, written in chunks so
    # the generator itself stays small in memory.
    rng = np.random.default_rng(6)
    phantom = np.clip(shepp_logan(512) + 1024, 0, 4095)
    path = os.path.join(out, "multiframe_1000.dcm")
    ds = base("1.2.840.10008.5.1.4.1.1.2.1", "CT", 6)
    grey_module(ds, 512, 512, 12, False, frames=1000)
    ds.PixelData = b""
    tmp = path + ".head"
    save(ds, tmp, ExplicitVRLittleEndian)
    head = open(tmp, "rb").read()
    os.remove(tmp)
    # The empty Pixel Data element is the last 12 bytes (tag, OW, reserved, length 0): rewrite its length.
    assert head[-12:-8] == b"\xe0\x7f\x10\x00"
    length = 1000 * 512 * 512 * 2
    with open(path, "wb") as f:
        f.write(head[:-4] + length.to_bytes(4, "little"))
        for k in range(1000):
            frame = np.roll(phantom, k % 64, axis=1) + rng.normal(0, 6, (512, 512))
            f.write(np.clip(frame, 0, 4095).astype("<u2").tobytes())


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 1:
        print(__doc__)
        return 2
    out = args[0]
    os.makedirs(out, exist_ok=True)
    ct_phantom(out)
    mr_multiframe(out)
    us_rgb(out)
    cr_mono1(out)
    seg_1bit(out)
    if "--large" in sys.argv:
        multiframe_1000(out)
    print(f"generate.py: sample files written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
