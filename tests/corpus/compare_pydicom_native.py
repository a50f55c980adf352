#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Every frame of every native (uncompressed) corpus file, as `dicompix decode` writes it, must equal
pydicom 2.3's `pixel_array`, sample for sample.

Where pydicom 2.3 is known to be wrong, the expected array is pydicom's corrected by the rule of the
standard that it misses; each such case is listed in KNOWN_PYDICOM_DIFFERENCES by file with the reason
(also in doc/pydicom-differences.md), and the test checks that the correction is actually needed, so a
stale entry fails too.

usage: compare_pydicom_native.py DICOMPIX_BINARY CORPUS_DIR
Exit status 0: all equal; 1: differences; 77: skipped (corpus or pydicom absent).
"""
import json
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import pydicom
    from pydicom.pixel_data_handlers import numpy_handler  # noqa: F401 (pydicom 2.x)
except ImportError as e:  # pragma: no cover
    print(f"SKIP: pydicom/numpy not available for {sys.executable}: {e}")
    sys.exit(77)

NATIVE_SYNTAXES = {
    "1.2.840.10008.1.2",
    "1.2.840.10008.1.2.1",
    "1.2.840.10008.1.2.2",
    "1.2.840.10008.1.2.1.99",
    "",
}

# Reasons, by correction kind. See doc/pydicom-differences.md.
MASK = ("mask", "pydicom 2.3 does not mask to Bits Stored or sign-extend from High Bit; PS3.5 8.1.1 says "
                "unused high bits may hold anything (fixed in pydicom 3.0, PR #2066)")
WORDSWAP = ("wordswap", "pydicom 2.3 reads 8-bit OW Pixel Data of Explicit VR Big Endian files in file byte "
                        "order; OW is a stream of 16-bit words (PS3.5 7.3, Annex D), so each byte pair is "
                        "swapped (DCMTK and GDCM agree, and the PAIRS.tsv reference says so)")
KNOWN_PYDICOM_DIFFERENCES = {
    # path relative to the corpus: correction kind(s), '+'-separated
    "pydicom-data/data_store/data/OBXXXX1A_expb.dcm": "wordswap",
    "pydicom-data/data_store/data/OBXXXX1A_expb_2frame.dcm": "wordswap",
    "pydicom/src/pydicom/data/test_files/SC_rgb_small_odd_big_endian.dcm": "wordswap",
    "pydicom-data/data_store/data/mlut_18.dcm": "mask",
}

# Files both refuse: the reason must appear in dicompix's error.
BOTH_REFUSE = {
    "pydicom/src/pydicom/data/test_files/MR_truncated.dcm": "pixel_data_too_short",
}


def corrected(ds, arr, kinds):
    """pydicom's array with the standard's rules applied for the listed corrections."""
    bits_allocated = int(ds.BitsAllocated)
    if "wordswap" in kinds:
        raw = bytearray(ds.PixelData)
        if len(raw) % 2:
            raw.append(0)
        swapped = np.frombuffer(bytes(raw), dtype=np.uint8).reshape(-1, 2)[:, ::-1].reshape(-1)
        arr = swapped[: arr.size].reshape(arr.shape).astype(arr.dtype)
    if "mask" in kinds and arr.dtype.kind in "iu":
        stored = int(ds.BitsStored)
        high = int(ds.HighBit)
        shift = high + 1 - stored
        unsigned = arr.view(np.dtype(f"u{arr.dtype.itemsize}"))
        value = (unsigned >> shift) & ((1 << stored) - 1)
        if int(getattr(ds, "PixelRepresentation", 0)) == 1:
            sign = 1 << (stored - 1)
            value = (value.astype(np.int64) ^ sign) - sign
        arr = value.astype(arr.dtype)
    del bits_allocated
    return arr


def needs(ds, arr, ours):
    """Which corrections make pydicom's array equal ours (for a helpful message)."""
    found = []
    for kinds in (["mask"], ["wordswap"], ["wordswap", "mask"]):
        try:
            if np.array_equal(corrected(ds, arr, kinds).reshape(-1), ours.reshape(-1)):
                return kinds
        except Exception:  # noqa: BLE001 - a correction that does not apply
            continue
    return found


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    binary, corpus = sys.argv[1], sys.argv[2]
    manifest = os.path.join(corpus, "MANIFEST.tsv")
    if not os.path.exists(manifest):
        print(f"SKIP: corpus not found at {corpus}")
        return 77
    rows = []
    with open(manifest, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            rows.append(dict(zip(header, line.rstrip("\n").split("\t"))))
    failures = []
    compared = 0
    used_known = set()
    with tempfile.TemporaryDirectory() as tmp:
        for row in rows:
            ts = row["transfer_syntax_uid"]
            if ts not in NATIVE_SYNTAXES or row["pixel_data_element"] == "":
                continue
            path = row["path"]
            full = os.path.join(corpus, path)
            out = os.path.join(tmp, "out.raw")
            proc = subprocess.run([binary, "decode", "--quiet", full, out], capture_output=True, text=True)
            try:
                ds = pydicom.dcmread(full, force=True)
                if "TransferSyntaxUID" not in ds.file_meta:
                    ds.file_meta.TransferSyntaxUID = pydicom.uid.ImplicitVRLittleEndian
                arr = ds.pixel_array
            except Exception as e:  # noqa: BLE001
                reason = BOTH_REFUSE.get(path)
                if reason is None:
                    failures.append(f"{path}: pydicom cannot decode it ({e}); decide and list the difference")
                elif proc.returncode != 1 or reason not in proc.stderr:
                    failures.append(f"{path}: pydicom refuses it; dicompix should fail with {reason}, "
                                    f"got exit {proc.returncode}: {proc.stderr.strip()}")
                else:
                    used_known.add(path)
                    compared += 1
                continue
            if proc.returncode != 0:
                failures.append(f"{path}: dicompix decode failed: {proc.stderr.strip()}")
                continue
            with open(out + ".json", encoding="utf-8") as f:
                meta = json.load(f)
            dtype = {"uint8": "<u1", "int8": "<i1", "uint16": "<u2", "int16": "<i2", "uint32": "<u4",
                     "int32": "<i4", "uint64": "<u8", "int64": "<i8", "float32": "<f4",
                     "float64": "<f8"}[meta["sample_type"]]
            ours = np.fromfile(out, dtype=dtype)
            compared += 1
            expected = arr
            kinds = KNOWN_PYDICOM_DIFFERENCES.get(path)
            if kinds:
                used_known.add(path)
                if np.array_equal(arr.reshape(-1).astype(np.float64), ours.astype(np.float64)) and \
                        arr.size == ours.size:
                    failures.append(f"{path}: listed as a pydicom difference ({kinds}) but pydicom agrees now")
                    continue
                expected = corrected(ds, arr, kinds.split("+"))
            if expected.size != ours.size:
                failures.append(f"{path}: {ours.size} samples from dicompix, {expected.size} from pydicom "
                                f"(shape {expected.shape})")
                continue
            if not np.array_equal(expected.reshape(-1).astype(np.float64), ours.astype(np.float64)):
                flat = expected.reshape(-1)
                diff = np.nonzero(flat.astype(np.float64) != ours.astype(np.float64))[0]
                hint = needs(ds, arr, ours)
                failures.append(f"{path}: {diff.size} samples differ, first at {diff[0]} "
                                f"(dicompix {ours[diff[0]]}, pydicom {flat[diff[0]]}); "
                                f"pydicom with corrections {hint or 'none found'} would agree")
    for path in list(KNOWN_PYDICOM_DIFFERENCES) + list(BOTH_REFUSE):
        if path not in used_known:
            failures.append(f"{path}: listed in KNOWN_PYDICOM_DIFFERENCES but not compared")
    print(f"compared {compared} native files with pydicom {pydicom.__version__}; "
          f"{len(KNOWN_PYDICOM_DIFFERENCES)} known pydicom differences, {len(BOTH_REFUSE)} refused by both")
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
