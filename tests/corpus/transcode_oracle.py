#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Transcode oracle ("Round-trip writing"): every corpus file that `dicompix decode` decodes is transcoded
with `dicompix transcode` into every target transfer syntax; the outputs are checked by dicompix itself and
by independent readers (DCMTK 3.6.7, GDCM 3.0.21, pydicom 2.3 with its numpy/RLE/GDCM handlers, OpenJPEG's
opj_decompress for HTJ2K codestreams).

Lossless targets (Explicit/Implicit VR LE, Explicit VR BE, Deflated Explicit VR LE, Encapsulated
Uncompressed, Deflated Image Frame Compression, RLE, JPEG Lossless 4.70 and 4.57, JPEG-LS 4.80, JPEG 2000
4.90, HTJ2K 4.201 and 4.202):
  * IN -> T -> Explicit VR LE, decoded by `dicompix decode`, equals the decode of IN exactly (samples,
    shape, sample type, photometric interpretation of the samples);
  * where the target cannot carry the pixel description (EXPECTED_REFUSAL below: float into anything
    encapsulated, 1-bit into JPEG / JPEG-LS / JPEG 2000, 32-bit into JPEG-LS, ...) `transcode` fails with
    cannot_encode or no_encoder, and where it can, it must not fail;
  * the peers read T and decode the same samples: `dcmdump` parses it without errors or warnings; DCMTK
    decompresses it (dcmdrle, dcmdjpeg, dcmdjpls; dcmconv +te for native syntaxes); `gdcmconv --raw`
    decompresses it; pydicom's pixel_array equals (or, where pydicom 2.3 has no handler, pydicom's
    encapsulation helpers give the frames: native bytes of 1.2.840.10008.1.2.1.98, raw deflate of
    1.2.840.10008.1.2.8.1, HTJ2K codestreams decoded by opj_decompress). A peer without the codec is
    PEER_CAN_DECODE = False (not a difference); every accepted difference is listed by file in
    KNOWN_DIFFERENCES with its reason (also doc/transcode-differences.md), and a listed difference that no
    longer occurs fails too.
Lossy targets (JPEG Baseline 4.50 quality 90, JPEG-LS near-lossless 4.81 NEAR 2, JPEG 2000 4.91 and HTJ2K
4.203 at 10:1): every peer that has the codec decodes to samples within LOSSY_BOUND of the original, and the
file carries Lossy Image Compression "01", a Lossy Image Compression Ratio computed from the real byte
counts, the method appended to existing values, a new SOP Instance UID in the dataset and the meta group
(kept with --keep-uid) and Image Type value 1 DERIVED.
Extended Offset Table: multi-frame files written with --offset-table extended are read back by dicompix
(frame index method "extended offset table", same samples) and by pydicom (the EOT values, used by hand
since pydicom 2.3 ignores the EOT, give the same frames as the fragments; pixel_array decodes them).

Default run: dicompix checks for every file x target; peer checks for a deterministic sample holding, for
every (source transfer syntax, target, Bits Allocated, Samples per Pixel, signedness, photometric) present,
the smallest file, plus every file named in KNOWN_DIFFERENCES. DICOMPIX_FULL_ORACLE=1 (or --full) runs the
peers on every file x target.

usage: transcode_oracle.py --dicompix BIN --corpus DIR [--jobs N] [--full] [--only TEXT] [--verbose]
Exit status 0: all checks passed; 1: failures; 77: skipped (corpus, numpy/pydicom or a peer tool absent).
"""
import argparse
import concurrent.futures
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
import zlib

try:
    import numpy as np
    import pydicom
    import pydicom.encaps
    from pydicom.pixel_data_handlers import numpy_handler  # noqa: F401 (pydicom 2.x)
except ImportError as e:  # pragma: no cover
    print(f"SKIP: numpy/pydicom not available for {sys.executable}: {e}")
    sys.exit(77)

warnings.filterwarnings("ignore")  # pydicom's complaints about malformed corpus files; checked otherwise

# ---- targets ---------------------------------------------------------------------------------------

EVRLE = "1.2.840.10008.1.2.1"
IVRLE = "1.2.840.10008.1.2"
EVRBE = "1.2.840.10008.1.2.2"
DEFLATED = "1.2.840.10008.1.2.1.99"
ENC_UNCOMPRESSED = "1.2.840.10008.1.2.1.98"
DEFLATED_FRAME = "1.2.840.10008.1.2.8.1"
RLE = "1.2.840.10008.1.2.5"
JPEG_SV1 = "1.2.840.10008.1.2.4.70"
JPEG_LOSSLESS = "1.2.840.10008.1.2.4.57"
JPEG_LS = "1.2.840.10008.1.2.4.80"
J2K_LOSSLESS = "1.2.840.10008.1.2.4.90"
HTJ2K_LOSSLESS = "1.2.840.10008.1.2.4.201"
HTJ2K_RPCL = "1.2.840.10008.1.2.4.202"
JPEG_BASELINE = "1.2.840.10008.1.2.4.50"
JPEG_LS_NEAR = "1.2.840.10008.1.2.4.81"
J2K = "1.2.840.10008.1.2.4.91"
HTJ2K = "1.2.840.10008.1.2.4.203"

NATIVE = {EVRLE, IVRLE, EVRBE, DEFLATED}
LOSSLESS_TARGETS = [EVRLE, IVRLE, EVRBE, DEFLATED, ENC_UNCOMPRESSED, DEFLATED_FRAME, RLE, JPEG_SV1,
                    JPEG_LOSSLESS, JPEG_LS, J2K_LOSSLESS, HTJ2K_LOSSLESS, HTJ2K_RPCL]
SHORT = {EVRLE: "evrle", IVRLE: "ivrle", EVRBE: "evrbe", DEFLATED: "deflated", ENC_UNCOMPRESSED: "enc-uncompr",
         DEFLATED_FRAME: "deflate-frame", RLE: "rle", JPEG_SV1: "jpeg-sv1", JPEG_LOSSLESS: "jpeg-ll",
         JPEG_LS: "jpeg-ls", J2K_LOSSLESS: "j2k-ll", HTJ2K_LOSSLESS: "htj2k-ll", HTJ2K_RPCL: "htj2k-rpcl",
         JPEG_BASELINE: "jpeg-baseline", JPEG_LS_NEAR: "jpeg-ls-near", J2K: "j2k", HTJ2K: "htj2k"}

# Lossy targets: (quality passed to --quality, method expected in (0028,2114), bound on the decoded error).
# JPEG-LS NEAR guarantees |error| <= NEAR for every sample (ISO/IEC 14495-1 A.4); the others are bounded by
# PSNR over the Bits Stored range, measured on the corpus with a margin (the lowest seen is printed).
LOSSY_TARGETS = {
    JPEG_BASELINE: {"quality": "90", "method": "ISO_10918_1", "min_psnr": 30.0},
    JPEG_LS_NEAR: {"quality": "2", "method": "ISO_14495_1", "max_abs": 2},
    J2K: {"quality": "10", "method": "ISO_15444_1", "min_psnr": 35.0},
    HTJ2K: {"quality": "10", "method": "ISO_15444_15", "min_psnr": 35.0},
}


def expected_refusal(desc, uid):
    """Why the target cannot carry frames of this description (None: it can). The oracle's own reading of
    the standard and the codecs (PS3.5 8.2, A.4; ISO/IEC 10918-1, 14495-1, 15444-1/-15), independent of
    the encoders' can_encode()."""
    ba, bs, spp, signed, pi = desc["bits_allocated"], desc["bits_stored"], desc["samples_per_pixel"], \
        desc["pixel_representation"] == 1, desc["photometric_interpretation"]
    is_float = desc["sample_type"].startswith("float")
    if uid in NATIVE:
        return None
    if is_float:
        return "Float / Double Float Pixel Data is native only (PS3.5 A.4: only Pixel Data is encapsulated)"
    if uid == ENC_UNCOMPRESSED:
        return "frames of Bits Allocated 1 are not byte-aligned (written from 8+ bit samples only)" if ba == 1 \
            else None
    if uid == DEFLATED_FRAME:
        return None
    if uid == RLE:
        if spp * max(1, ba // 8) > 15:
            return "more than 15 RLE segments (PS3.5 G.5)"
        if pi in ("YBR_PARTIAL_420", "YBR_PARTIAL_422", "YBR_ICT", "YBR_RCT"):
            return f"RLE cannot carry {pi}"
        return None
    if ba == 1:
        return "Bits Allocated 1: JPEG, JPEG-LS and JPEG 2000 encoders take 8- and 16-bit samples"
    if spp not in (1, 3):
        return "1 or 3 samples per pixel only"
    if uid in (JPEG_SV1, JPEG_LOSSLESS):
        if ba not in (8, 16, 32) or not 2 <= bs <= 16:
            return "JPEG lossless precision is 2..16 bits (ITU-T T.81 Table B.2)"
        return None
    if uid in (JPEG_LS, JPEG_LS_NEAR):
        if ba not in (8, 16) or bs < 2:
            return "JPEG-LS precision is 2..16 bits (ISO/IEC 14495-1), Bits Allocated 8 or 16"
        if uid == JPEG_LS_NEAR and pi == "PALETTE COLOR":
            return "near-lossless coding of PALETTE COLOR indices would change the colours"
        return None
    if uid in (J2K_LOSSLESS, HTJ2K_LOSSLESS, HTJ2K_RPCL, J2K, HTJ2K):
        if ba not in (8, 16):
            return "the JPEG 2000 / HTJ2K encoders take 8- and 16-bit samples"
        return None
    if uid == JPEG_BASELINE:
        if ba != 8 or bs != 8 or signed:
            return "JPEG Baseline carries unsigned 8-bit samples only"
        if spp == 1 and pi not in ("MONOCHROME1", "MONOCHROME2"):
            return f"lossy coding of {pi} indices would corrupt them"
        if spp == 3 and pi not in ("RGB", "YBR_FULL", "YBR_FULL_422"):
            return f"JPEG Baseline colour must be RGB or YBR_FULL(_422), not {pi}"
        return None
    return "unknown target"


# ---- peers -------------------------------------------------------------------------------------------

# Which peer decodes which target (False: the peer lacks the codec or the transfer syntax; not a difference).
# DCMTK 3.6.7 has no JPEG 2000 / HTJ2K decoder (dcmjp2k is commercial) and does not know 1.2.840.10008.1.2.1.98
# or 1.2.840.10008.1.2.8.1; GDCM 3.0.21 knows neither those two nor HTJ2K; pydicom 2.3 decodes native, RLE and
# (through python3-gdcm) JPEG, JPEG-LS and JPEG 2000, and for the rest gives the frames through its
# encapsulation helpers (checked here by hand: native bytes, raw deflate, opj_decompress for HTJ2K).
DCMTK_DECOMPRESS = {RLE: ["dcmdrle"], JPEG_SV1: ["dcmdjpeg"], JPEG_LOSSLESS: ["dcmdjpeg"], JPEG_LS: ["dcmdjpls"],
                    JPEG_BASELINE: ["dcmdjpeg"], JPEG_LS_NEAR: ["dcmdjpls"],
                    EVRLE: ["dcmconv", "+te"], IVRLE: ["dcmconv", "+te"], EVRBE: ["dcmconv", "+te"],
                    DEFLATED: ["dcmconv", "+te"]}
GDCM_DECODES = {EVRLE, IVRLE, EVRBE, DEFLATED, RLE, JPEG_SV1, JPEG_LOSSLESS, JPEG_LS, J2K_LOSSLESS,
                JPEG_BASELINE, JPEG_LS_NEAR, J2K}
PYDICOM_PIXEL_ARRAY = {EVRLE, IVRLE, EVRBE, DEFLATED, RLE, JPEG_SV1, JPEG_LOSSLESS, JPEG_LS, J2K_LOSSLESS,
                       JPEG_BASELINE, JPEG_LS_NEAR, J2K}
PYDICOM_FRAMES = {ENC_UNCOMPRESSED, DEFLATED_FRAME, HTJ2K_LOSSLESS, HTJ2K_RPCL, HTJ2K}
# Encapsulated source syntaxes dicompix writes (frames copied through when the syntax is kept).
ENCAPSULATED_SOURCES_WRITTEN = {ENC_UNCOMPRESSED, DEFLATED_FRAME, RLE, JPEG_SV1, JPEG_LOSSLESS, JPEG_LS,
                                J2K_LOSSLESS, HTJ2K_LOSSLESS, HTJ2K_RPCL, JPEG_BASELINE, JPEG_LS_NEAR, J2K, HTJ2K,
                                "1.2.840.10008.1.2.4.51"}

# Accepted differences, by file: (path relative to the corpus, target UID, peer) -> reason. Each one must
# still occur when the combination runs (the default run always includes these files). Keep in sync with
# doc/transcode-differences.md.
GDCM_COLOUR_RLE = ("GDCM 3.0.21 mis-interleaves RLE segments of colour samples wider than 8 bits (it decodes "
                   "DCMTK's dcmcrle output of the same data wrongly too; tests/codecs/test_rle.cpp)")
KNOWN_DIFFERENCES = {
}


# ---- helpers -----------------------------------------------------------------------------------------

DTYPES = {"uint8": "<u1", "int8": "<i1", "uint16": "<u2", "int16": "<i2", "uint32": "<u4", "int32": "<i4",
          "uint64": "<u8", "int64": "<i8", "float32": "<f4", "float64": "<f8"}
COMPARED_FIELDS = ("frames", "rows", "columns", "samples_per_pixel", "bits_allocated", "bits_stored",
                   "pixel_representation", "photometric_interpretation", "sample_type")


def run(cmd, timeout=600):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, errors="replace")


def decode(binary, path, out):
    """`dicompix decode`: (meta, samples) or (None, error text)."""
    proc = run([binary, "decode", "--quiet", path, out])
    if proc.returncode != 0:
        return None, proc.stderr.strip()
    with open(out + ".json", encoding="utf-8") as f:
        meta = json.load(f)
    samples = np.fromfile(out, dtype=DTYPES[meta["sample_type"]])
    os.remove(out)
    os.remove(out + ".json")
    return meta, samples


def normalised(arr, ds):
    """Samples masked to Bits Stored and sign-extended (PS3.5 8.1.1), flattened; floats unchanged."""
    flat = np.ascontiguousarray(arr).reshape(-1)
    if not flat.dtype.isnative:  # pydicom keeps big-endian files' samples big-endian
        flat = flat.astype(flat.dtype.newbyteorder("="))
    if flat.dtype.kind == "f" or int(ds.BitsAllocated) == 1:
        return flat
    stored = int(ds.BitsStored)
    high = int(getattr(ds, "HighBit", stored - 1))
    unsigned = flat.view(np.dtype(f"u{flat.dtype.itemsize}")).astype(np.uint64)
    value = (unsigned >> np.uint64(high + 1 - stored)) & np.uint64((1 << stored) - 1)
    value = value.astype(np.int64)
    if int(getattr(ds, "PixelRepresentation", 0)) == 1:
        sign = 1 << (stored - 1)
        value = (value ^ sign) - sign
    return value


def same(ours, theirs):
    """Exact equality of two flattened sample arrays (floats bit for bit)."""
    if ours.size != theirs.size:
        return f"{theirs.size} samples, expected {ours.size}"
    if ours.dtype.kind == "f" or theirs.dtype.kind == "f":
        if ours.dtype == theirs.dtype and ours.tobytes() == theirs.tobytes():
            return None
        a, b = ours.astype(np.float64), theirs.astype(np.float64)
        diff = np.nonzero(~((a == b) | (np.isnan(a) & np.isnan(b))))[0]
    else:
        diff = np.nonzero(ours.astype(np.int64) != theirs.astype(np.int64))[0]
    if diff.size == 0:
        return None
    i = diff[0]
    return f"{diff.size} samples differ, first at {i} (expected {ours[i]}, got {theirs[i]})"


def error_stats(ours, theirs, bits_stored):
    a, b = ours.astype(np.float64), theirs.astype(np.float64)
    d = a - b
    max_abs = float(np.max(np.abs(d))) if d.size else 0.0
    mse = float(np.mean(d * d)) if d.size else 0.0
    peak = float((1 << bits_stored) - 1)
    psnr = math.inf if mse == 0 else 10 * math.log10(peak * peak / mse)
    return max_abs, psnr


def read_native_pixels(path):
    """A native file's samples, as pydicom reads them, normalised; or raises."""
    ds = pydicom.dcmread(path, force=True)
    return ds, normalised(ds.pixel_array, ds)


def frames_by_eot(ds):
    """Frames of encapsulated Pixel Data located with the Extended Offset Table values (PS3.3 C.7.6.3.1.8):
    offset from the first byte of the first fragment's item tag, length of the frame's fragment value."""
    data = ds.PixelData
    offsets = np.frombuffer(ds.ExtendedOffsetTable, dtype="<u8")
    lengths = np.frombuffer(ds.ExtendedOffsetTableLengths, dtype="<u8")
    if data[:4] != b"\xfe\xff\x00\xe0":
        raise ValueError("no Basic Offset Table item")
    bot_length = int.from_bytes(data[4:8], "little")
    first = 8 + bot_length
    frames = []
    for off, length in zip(offsets.tolist(), lengths.tolist()):
        at = first + off
        if data[at:at + 4] != b"\xfe\xff\x00\xe0":
            raise ValueError(f"EOT offset {off} does not land on an item tag")
        item_length = int.from_bytes(data[at + 4:at + 8], "little")
        if length > item_length:
            raise ValueError(f"EOT length {length} exceeds the fragment's {item_length}")
        frames.append(bytes(data[at + 8:at + 8 + length]))
    return offsets, lengths, bot_length, frames


def pydicom_frames(ds):
    frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
    return list(pydicom.encaps.generate_pixel_data_frame(ds.PixelData, frames))


def opj_decode_frame(codestream, tmp, rows, columns, spp, ds):
    """A JPEG 2000 / HTJ2K codestream decoded by OpenJPEG's opj_decompress: interleaved samples."""
    src = os.path.join(tmp, "frame.j2c")
    dst = os.path.join(tmp, "frame.rawl")
    with open(src, "wb") as f:
        f.write(codestream)
    proc = run(["opj_decompress", "-quiet", "-i", src, "-o", dst])
    if proc.returncode != 0 or not os.path.exists(dst):
        raise RuntimeError(f"opj_decompress failed: {(proc.stdout + proc.stderr).strip()[-300:]}")
    raw = np.fromfile(dst, dtype="<u1")
    os.remove(dst)
    per = rows * columns * spp
    width = raw.size // per
    planar = raw.view(f"<u{width}").astype(np.uint64).reshape(spp, rows * columns) if width in (1, 2, 4) \
        else None
    if planar is None:
        raise RuntimeError(f"opj_decompress wrote {raw.size} bytes for {per} samples")
    return planar.T.reshape(-1)


def peer_samples_from_frames(ds, uid, tmp):
    """pydicom's frames of a target pydicom 2.3 cannot decode, turned into samples without dicompix."""
    rows, columns = int(ds.Rows), int(ds.Columns)
    spp = int(getattr(ds, "SamplesPerPixel", 1))
    ba = int(ds.BitsAllocated)
    signed = int(getattr(ds, "PixelRepresentation", 0)) == 1
    out = []
    for frame in pydicom_frames(ds):
        if uid == ENC_UNCOMPRESSED:
            raw = frame
        elif uid == DEFLATED_FRAME:
            raw = zlib.decompress(frame, -15)
        else:
            out.append(opj_decode_frame(frame, tmp, rows, columns, spp, ds))
            continue
        if ba == 1:
            bits = np.unpackbits(np.frombuffer(raw, dtype=np.uint8), bitorder="little")
            out.append(bits[: rows * columns].astype(np.uint8))
        else:
            dtype = np.dtype(f"<{'i' if signed else 'u'}{ba // 8}")
            out.append(np.frombuffer(raw[: rows * columns * spp * (ba // 8)], dtype=dtype))
    arr = np.concatenate(out) if out else np.zeros(0)
    return normalised(arr, ds)


def strings(value):
    if value is None:
        return []
    if isinstance(value, (list, pydicom.multival.MultiValue)):
        return [str(v) for v in value]
    return [str(value)]


# ---- one file ----------------------------------------------------------------------------------------

class FileJob:
    def __init__(self, args, row, peer_targets):
        self.args = args
        self.path = row["path"]
        self.full = os.path.join(args.corpus, self.path)
        self.source_ts = row["transfer_syntax_uid"]
        self.frames = int(row["frames"]) if row["frames"].isdigit() else 1
        self.fragments = int(row["fragments"]) if row["fragments"].isdigit() else 0
        self.multi_fragment = self.fragments > self.frames
        self.peer_targets = peer_targets  # targets whose outputs the peers check, for this file
        self.results = []  # (target, check, status, detail); status: pass, fail, refused, known, n/a

    def add(self, target, check, status, detail=""):
        self.results.append((target, check, status, detail))

    def peer_result(self, target, peer, problem):
        """Records a peer's verdict, applying KNOWN_DIFFERENCES by name."""
        known = KNOWN_DIFFERENCES.get((self.path, target, peer))
        if problem is None:
            if known:
                self.add(target, peer, "fail", f"listed as a known difference ({known}) but {peer} agrees now")
            else:
                self.add(target, peer, "pass")
        elif known:
            self.add(target, peer, "known", f"{problem} [{known}]")
        else:
            self.add(target, peer, "fail", problem)

    def run(self):
        started = time.monotonic()
        tmp = tempfile.mkdtemp(prefix="dicompix-oracle-")
        try:
            self._run(tmp)
        except Exception as e:  # noqa: BLE001 - reported as a failure of this file
            self.add("-", "oracle", "fail", f"oracle raised {type(e).__name__}: {e}")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return {"path": self.path, "results": self.results, "seconds": time.monotonic() - started,
                "desc": getattr(self, "desc", None)}

    def _run(self, tmp):
        binary = self.args.dicompix
        meta, samples = decode(binary, self.full, os.path.join(tmp, "orig.raw"))
        if meta is None:
            self.add("-", "decode", "n/a", meta_error_first_line(samples))
            return
        self.desc = {k: meta[k] for k in COMPARED_FIELDS}
        self.orig = samples
        for uid in LOSSLESS_TARGETS:
            self.lossless(uid, tmp)
        for uid in LOSSY_TARGETS:
            self.lossy(uid, tmp)
        if int(meta["frames"]) > 1 or self.multi_fragment or self.args.full:
            self.extended_offset_table(tmp)

    def transcode(self, src, dst, uid, extra=()):
        return run([self.args.dicompix, "transcode", "--quiet", src, dst, "--transfer-syntax", uid, *extra])

    def lossless(self, uid, tmp):
        out = os.path.join(tmp, f"{SHORT[uid]}.dcm")
        proc = self.transcode(self.full, out, uid)
        why = expected_refusal(self.desc, uid)
        if why is not None:
            if proc.returncode == 1 and re.search(r": (cannot_encode|no_encoder)\b", proc.stderr):
                self.add(uid, "refusal", "refused", why)
            elif proc.returncode == 0:
                self.add(uid, "refusal", "fail", f"expected a refusal ({why}); transcode succeeded")
            else:
                self.add(uid, "refusal", "fail",
                         f"expected cannot_encode/no_encoder ({why}); got exit {proc.returncode}: "
                         f"{proc.stderr.strip()}")
            return
        if proc.returncode != 0:
            self.add(uid, "transcode", "fail", f"exit {proc.returncode}: {proc.stderr.strip()}")
            return
        # The file says what it is.
        try:
            ds = pydicom.dcmread(out, force=True)
            written = str(ds.file_meta.TransferSyntaxUID)
            if written != uid:
                self.add(uid, "transcode", "fail", f"Transfer Syntax UID {written}")
                return
        except Exception as e:  # noqa: BLE001
            self.add(uid, "pydicom", "fail", f"pydicom cannot read the output: {e}")
            return
        # There and back to Explicit VR Little Endian.
        back = os.path.join(tmp, f"{SHORT[uid]}.back.dcm")
        proc = self.transcode(out, back, EVRLE)
        if proc.returncode != 0:
            self.add(uid, "roundtrip", "fail", f"transcode back: exit {proc.returncode}: {proc.stderr.strip()}")
        else:
            meta, samples = decode(self.args.dicompix, back, os.path.join(tmp, "back.raw"))
            if meta is None:
                self.add(uid, "roundtrip", "fail", f"decode of the round trip: {samples}")
            else:
                fields = [f"{k} {meta[k]} (was {self.desc[k]})" for k in COMPARED_FIELDS if meta[k] != self.desc[k]]
                problem = "; ".join(fields) if fields else same(self.orig, samples)
                self.add(uid, "roundtrip", "fail" if problem else "pass", problem or "")
            os.remove(back)
        if uid in self.peer_targets:
            self.peers(uid, out, ds, tmp)
        os.remove(out)

    # Each peer decodes `out`; the samples must equal the original's decode exactly.
    def peers(self, uid, out, ds, tmp, expect=None):
        expect = self.orig if expect is None else expect
        self.peer_result(uid, "dcmdump", self.dcmdump(out))
        for peer, fn in (("dcmtk", self.dcmtk), ("gdcm", self.gdcm), ("pydicom", self.pydicom)):
            got = fn(uid, out, ds, tmp)
            if got is None:
                self.add(uid, peer, "n/a", "peer lacks the codec")
                continue
            problem, samples = got
            if problem is None:
                problem = same(expect, samples)
            self.peer_result(uid, peer, problem)

    def dcmdump(self, out):
        proc = run(["dcmdump", "-dc", out])
        noise = [ln for ln in proc.stderr.splitlines() if re.match(r"^[EFW]:", ln)]
        if proc.returncode != 0 or noise:
            return f"dcmdump exit {proc.returncode}: {' | '.join(noise)[:400]}"
        return None

    def dcmtk(self, uid, out, ds, tmp):
        tool = DCMTK_DECOMPRESS.get(uid)
        if tool is None:
            return None
        native = os.path.join(tmp, "dcmtk.dcm")
        proc = run([*tool, out, native])
        if proc.returncode != 0:
            return f"{tool[0]} exit {proc.returncode}: {(proc.stdout + proc.stderr).strip()[:400]}", None
        try:
            _, samples = read_native_pixels(native)
        except Exception as e:  # noqa: BLE001
            return f"{tool[0]} output unreadable: {e}", None
        finally:
            if os.path.exists(native):
                os.remove(native)
        return None, samples

    def gdcm(self, uid, out, ds, tmp):
        if uid not in GDCM_DECODES:
            return None
        native = os.path.join(tmp, "gdcm.dcm")
        proc = run(["gdcmconv", "--raw", out, native])
        if proc.returncode != 0:
            return f"gdcmconv --raw exit {proc.returncode}: {(proc.stdout + proc.stderr).strip()[:400]}", None
        try:
            _, samples = read_native_pixels(native)
        except Exception as e:  # noqa: BLE001
            return f"gdcmconv output unreadable: {e}", None
        finally:
            if os.path.exists(native):
                os.remove(native)
        return None, samples

    def pydicom(self, uid, out, ds, tmp):
        try:
            if uid in PYDICOM_PIXEL_ARRAY:
                ds = pydicom.dcmread(out, force=True)
                return None, normalised(ds.pixel_array, ds)
            if uid in PYDICOM_FRAMES:
                ds = pydicom.dcmread(out, force=True)
                return None, peer_samples_from_frames(ds, uid, tmp)
        except Exception as e:  # noqa: BLE001
            return f"pydicom: {type(e).__name__}: {str(e)[:300]}", None
        return None

    # ---- lossy targets ----

    def lossy(self, uid, tmp):
        spec = LOSSY_TARGETS[uid]
        out = os.path.join(tmp, f"{SHORT[uid]}.dcm")
        why = expected_refusal(self.desc, uid)
        proc = self.transcode(self.full, out, uid, ("--quality", spec["quality"]))
        if why is not None:
            if proc.returncode == 1 and re.search(r": (cannot_encode|no_encoder)\b", proc.stderr):
                self.add(uid, "refusal", "refused", why)
            else:
                self.add(uid, "refusal", "fail", f"expected a refusal ({why}); got exit {proc.returncode}: "
                                                 f"{proc.stderr.strip()}")
            return
        if proc.returncode != 0:
            self.add(uid, "transcode", "fail", f"exit {proc.returncode}: {proc.stderr.strip()}")
            return
        try:
            src = pydicom.dcmread(self.full, force=True)
            ds = pydicom.dcmread(out, force=True)
            self.add(uid, "lossy-attributes", *self.lossy_attributes(uid, spec, src, ds))
        except Exception as e:  # noqa: BLE001
            self.add(uid, "lossy-attributes", "fail", f"pydicom cannot read the output: {e}")
            return
        keep = os.path.join(tmp, f"{SHORT[uid]}.keep.dcm")
        proc = self.transcode(self.full, keep, uid, ("--quality", spec["quality"], "--keep-uid"))
        if proc.returncode != 0:
            self.add(uid, "keep-uid", "fail", f"exit {proc.returncode}: {proc.stderr.strip()}")
        else:
            kds = pydicom.dcmread(keep, force=True)
            ok = str(kds.SOPInstanceUID) == str(src.SOPInstanceUID) and \
                str(kds.file_meta.MediaStorageSOPInstanceUID) == str(src.SOPInstanceUID)
            self.add(uid, "keep-uid", "pass" if ok else "fail",
                     "" if ok else f"UID {kds.SOPInstanceUID} / meta {kds.file_meta.MediaStorageSOPInstanceUID}, "
                                   f"source {src.SOPInstanceUID}")
            os.remove(keep)
        # dicompix's own decode, then the peers: all within the bound.
        bs = int(self.desc["bits_stored"])
        meta, ours = decode(self.args.dicompix, out, os.path.join(tmp, "lossy.raw"))
        results = {}
        if meta is None:
            self.add(uid, "dicompix", "fail", f"decode: {ours}")
        else:
            results["dicompix"] = (None, ours)
        if uid in self.peer_targets:
            for peer, fn in (("dcmtk", self.dcmtk), ("gdcm", self.gdcm), ("pydicom", self.pydicom)):
                got = fn(uid, out, ds, tmp)
                if got is None:
                    self.add(uid, peer, "n/a", "peer lacks the codec")
                    continue
                results[peer] = got
        for peer, (problem, samples) in results.items():
            if problem is None:
                if samples.size != self.orig.size:
                    problem = f"{samples.size} samples, expected {self.orig.size}"
                else:
                    max_abs, psnr = error_stats(self.orig, samples, bs)
                    detail = f"max|d| {max_abs:g}, PSNR {psnr:.1f} dB"
                    if "max_abs" in spec and max_abs > spec["max_abs"]:
                        problem = f"{detail} exceeds NEAR {spec['max_abs']}"
                    elif "min_psnr" in spec and psnr < spec["min_psnr"]:
                        problem = f"{detail} below {spec['min_psnr']} dB"
                    else:
                        self.add(uid, peer, "pass", detail)
                        continue
            if peer == "dicompix":
                self.add(uid, peer, "fail", problem)
            else:
                self.peer_result(uid, peer, problem)
        os.remove(out)

    def lossy_attributes(self, uid, spec, src, ds):
        problems = []
        if str(getattr(ds, "LossyImageCompression", "")) != "01":
            problems.append(f"Lossy Image Compression {getattr(ds, 'LossyImageCompression', None)!r}")
        methods_before = strings(getattr(src, "LossyImageCompressionMethod", None))
        methods = strings(getattr(ds, "LossyImageCompressionMethod", None))
        if methods != methods_before + [spec["method"]]:
            problems.append(f"Lossy Image Compression Method {methods}, expected {methods_before + [spec['method']]}")
        ratios_before = strings(getattr(src, "LossyImageCompressionRatio", None))
        ratios = strings(getattr(ds, "LossyImageCompressionRatio", None))
        if len(ratios) != len(ratios_before) + 1 or [float(r) for r in ratios[:-1]] != \
                [float(r) for r in ratios_before]:
            problems.append(f"Lossy Image Compression Ratio {ratios}, expected {ratios_before} + the new ratio")
        else:
            # Uncompressed bytes of the decoded frames / codestream bytes (fragments may carry one pad byte).
            frames = pydicom_frames(ds)
            raw = self.orig.size * self.orig.dtype.itemsize
            padded = sum(len(f) for f in frames)
            low, high = raw / padded, raw / max(1, padded - len(frames))
            ratio = float(ratios[-1])
            if not (low * (1 - 1e-6) <= ratio <= high * (1 + 1e-6)):
                problems.append(f"Lossy Image Compression Ratio {ratio}, the bytes say {low:.6g}..{high:.6g}")
        uid_now = str(ds.SOPInstanceUID)
        if uid_now == str(src.SOPInstanceUID):
            problems.append("SOP Instance UID unchanged")
        if str(ds.file_meta.MediaStorageSOPInstanceUID) != uid_now:
            problems.append(f"meta Media Storage SOP Instance UID {ds.file_meta.MediaStorageSOPInstanceUID} "
                            f"!= SOP Instance UID {uid_now}")
        if "ImageType" in src:
            before = strings(src.ImageType)
            after = strings(ds.ImageType) if "ImageType" in ds else []
            if not after or after[0] != "DERIVED" or after[1:] != before[1:]:
                problems.append(f"Image Type {after}, expected DERIVED + {before[1:]}")
        return ("fail", "; ".join(problems)) if problems else ("pass", "")

    # ---- Extended Offset Table ----

    def extended_offset_table(self, tmp):
        """Re-encoded into four syntaxes with --offset-table extended; and, for an encapsulated source, written
        in its own syntax (frames copied through): an EOT when every frame is one fragment, else a Basic
        Offset Table and a warning (PS3.3 C.7.6.3.1.8 allows the EOT only for one fragment per frame)."""
        for uid in (RLE, JPEG_LS, J2K_LOSSLESS, ENC_UNCOMPRESSED):
            if expected_refusal(self.desc, uid) is not None:
                continue
            self.eot_file(uid, tmp, self.full)
        if self.source_ts in ENCAPSULATED_SOURCES_WRITTEN:
            self.eot_copy(tmp)

    def eot_copy(self, tmp):
        uid = self.source_ts
        nframes, fragments = self.frames, self.fragments
        out = os.path.join(tmp, "eot-copy.dcm")
        proc = self.transcode(self.full, out, uid, ("--offset-table", "extended"))
        if proc.returncode != 0:
            self.add(uid, "eot-copy", "fail", f"exit {proc.returncode}: {proc.stderr.strip()}")
            return
        if fragments == nframes:
            self.eot_file(uid, tmp, None, out=out, check="eot-copy")
            return
        # Several fragments per frame: no EOT, a Basic Offset Table with one entry per frame, a warning.
        problems = []
        proc = run([self.args.dicompix, "transcode", self.full, out, "--transfer-syntax", uid,
                    "--offset-table", "extended"])
        if "Extended Offset Table" not in proc.stderr:
            problems.append(f"no warning about the Extended Offset Table: {proc.stderr.strip()[:300]}")
        ds = pydicom.dcmread(out, force=True)
        if "ExtendedOffsetTable" in ds:
            problems.append(f"{fragments} fragments for {nframes} frames, yet an Extended Offset Table")
        fp = pydicom.filebase.DicomBytesIO(ds.PixelData)
        fp.is_little_endian = True
        _, offsets = pydicom.encaps.get_frame_offsets(fp)
        if len(offsets) != nframes:
            problems.append(f"Basic Offset Table has {len(offsets)} entries for {nframes} frames")
        meta, samples = decode(self.args.dicompix, out, os.path.join(tmp, "eot.raw"))
        problem = f"dicompix decode: {samples}" if meta is None else same(self.orig, samples)
        if problem:
            problems.append(problem)
        self.add(uid, "eot-copy", "fail" if problems else "pass", "; ".join(problems))
        os.remove(out)

    def eot_file(self, uid, tmp, source, out=None, check="eot"):
        if out is None:
            out = os.path.join(tmp, f"eot-{SHORT[uid]}.dcm")
            proc = self.transcode(source, out, uid, ("--offset-table", "extended"))
            if proc.returncode != 0:
                self.add(uid, check, "fail", f"exit {proc.returncode}: {proc.stderr.strip()}")
                return
        problems = []
        info = run([self.args.dicompix, "info", out])
        if not re.search(r"frame index:\s+extended offset table", info.stdout):
            problems.append("dicompix info: frame index is not the extended offset table: " +
                            " ".join(ln for ln in info.stdout.splitlines() if "frame index" in ln))
        meta, samples = decode(self.args.dicompix, out, os.path.join(tmp, "eot.raw"))
        if meta is None:
            problems.append(f"dicompix decode: {samples}")
        elif same(self.orig, samples):
            problems.append(f"dicompix decode: {same(self.orig, samples)}")
        try:
            ds = pydicom.dcmread(out, force=True)
            offsets, lengths, bot_length, frames = frames_by_eot(ds)
            nframes = int(getattr(ds, "NumberOfFrames", 1) or 1)
            if len(frames) != nframes or bot_length != 0:
                problems.append(f"EOT has {len(frames)} entries for {nframes} frames, BOT length {bot_length}")
            fp = pydicom.filebase.DicomBytesIO(ds.PixelData[8 + bot_length:])
            fp.is_little_endian = True
            fragments = [bytes(f) for f in pydicom.encaps.generate_pixel_data_fragment(fp)]
            if len(fragments) != len(frames):
                problems.append(f"{len(fragments)} fragments for {len(frames)} EOT frames")
            for k, (f, frag) in enumerate(zip(frames, fragments)):
                # The EOT length is the codestream length; the fragment may carry one pad byte.
                if frag[:len(f)] != f or len(frag) - len(f) not in (0, 1):
                    problems.append(f"frame {k}: EOT bytes differ from fragment {k}")
                    break
            if uid in PYDICOM_PIXEL_ARRAY:
                problem = same(self.orig, normalised(ds.pixel_array, ds))
            elif uid in PYDICOM_FRAMES:
                problem = same(self.orig, peer_samples_from_frames(ds, uid, tmp))
            else:
                problem = None  # e.g. a JPEG XL source copied through: pydicom 2.3 has no decoder
            if problem:
                problems.append(f"pydicom pixels: {problem}")
        except Exception as e:  # noqa: BLE001
            problems.append(f"pydicom: {type(e).__name__}: {e}")
        self.add(uid, check, "fail" if problems else "pass", "; ".join(problems))
        os.remove(out)


def meta_error_first_line(text):
    return (text or "").splitlines()[0][:200] if text else ""


def run_job(args, row, peer_targets):
    return FileJob(args, row, peer_targets).run()


# ---- sampling ----------------------------------------------------------------------------------------

def peer_plan(rows, full, descs):
    """path -> set of targets whose outputs the peers check."""
    all_targets = set(LOSSLESS_TARGETS) | set(LOSSY_TARGETS)
    if full:
        return {r["path"]: all_targets for r in rows}
    chosen = {}
    ordered = sorted(rows, key=lambda r: (int(r["bytes"] or 0), r["path"]))
    seen = set()
    for r in ordered:
        d = descs.get(r["path"])
        if d is None:
            continue
        for uid in all_targets:
            key = (r["transfer_syntax_uid"], uid, d["bits_allocated"], d["samples_per_pixel"],
                   d["pixel_representation"], d["photometric_interpretation"])
            if key not in seen:
                seen.add(key)
                chosen.setdefault(r["path"], set()).add(uid)
    for (path, uid, _peer) in KNOWN_DIFFERENCES:
        chosen.setdefault(path, set()).add(uid)
    return chosen


def describe_all(binary, corpus, rows, jobs):
    """A cheap first pass: the description of every file dicompix decodes (from `decode --frame 0`)."""
    def one(r):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "d.raw")
            proc = run([binary, "decode", "--quiet", "--frame", "0", os.path.join(corpus, r["path"]), out])
            if proc.returncode != 0:
                return r["path"], None
            with open(out + ".json", encoding="utf-8") as f:
                m = json.load(f)
            return r["path"], {k: m[k] for k in COMPARED_FIELDS}
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        return dict(pool.map(one, rows))


# ---- main --------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dicompix", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--full", action="store_true", default=os.environ.get("DICOMPIX_FULL_ORACLE") == "1")
    ap.add_argument("--only", help="only files whose path contains this text")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--json", help="write every result to this file")
    args = ap.parse_args()

    manifest = os.path.join(args.corpus, "MANIFEST.tsv")
    if not os.path.exists(manifest):
        print(f"SKIP: corpus not found at {args.corpus}")
        return 77
    if not os.access(args.dicompix, os.X_OK):
        print(f"SKIP: {args.dicompix} is not built")
        return 77
    missing = [t for t in ("dcmdump", "dcmdrle", "dcmdjpeg", "dcmdjpls", "dcmconv", "gdcmconv", "opj_decompress")
               if shutil.which(t) is None]
    if missing:
        print(f"SKIP: peer tools absent: {', '.join(missing)} (apt-get install dcmtk libgdcm-tools libopenjp2-tools)")
        return 77
    try:
        import gdcm  # noqa: F401 - pydicom's handler for JPEG / JPEG-LS / JPEG 2000
    except ImportError:
        print("SKIP: python3-gdcm absent: pydicom 2.3 could decode no compressed target but RLE")
        return 77

    with open(manifest, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        rows = [dict(zip(header, line.rstrip("\n").split("\t"))) for line in f if line.strip()]
    if args.only:
        rows = [r for r in rows if args.only in r["path"]]
    started = time.monotonic()
    descs = describe_all(args.dicompix, args.corpus, rows, args.jobs)
    plan = peer_plan(rows, args.full, descs)
    # Largest first, so that the pool does not end on one big file.
    order = sorted(rows, key=lambda r: -int(r["bytes"] or 0))
    reports = []
    with concurrent.futures.ProcessPoolExecutor(args.jobs) as pool:
        futures = [pool.submit(run_job, args, r, plan.get(r["path"], set())) for r in order]
        for fut in concurrent.futures.as_completed(futures):
            reports.append(fut.result())
            if args.verbose:
                rep = reports[-1]
                bad = sum(1 for x in rep["results"] if x[2] == "fail")
                print(f"[{len(reports)}/{len(order)}] {rep['path']} {rep['seconds']:.1f}s"
                      f"{'  FAIL x' + str(bad) if bad else ''}", flush=True)
    elapsed = time.monotonic() - started
    reports.sort(key=lambda r: r["path"])
    return summarise(args, rows, reports, elapsed)


def summarise(args, rows, reports, elapsed):
    failures = []
    counts = {}
    known_seen = set()
    decoded = 0
    for rep in reports:
        if rep["desc"] is not None:
            decoded += 1
        for target, check, status, detail in rep["results"]:
            counts.setdefault((target, check), {}).setdefault(status, 0)
            counts[(target, check)][status] += 1
            if status == "fail":
                failures.append(f"{rep['path']} -> {SHORT.get(target, target)} [{check}]: {detail}")
            if status == "known":
                known_seen.add((rep["path"], target, check))
    ran_paths = {rep["path"] for rep in reports}
    for key, reason in KNOWN_DIFFERENCES.items():
        if key[0] in ran_paths and key not in known_seen:
            failures.append(f"{key[0]} -> {SHORT[key[1]]} [{key[2]}]: listed in KNOWN_DIFFERENCES ({reason}) "
                            f"but it did not occur")
    print(f"transcode oracle: {len(rows)} corpus files, {decoded} decoded by dicompix, "
          f"{'full peer matrix' if args.full else 'sampled peer matrix'}, {args.jobs} workers, {elapsed:.0f} s")
    checks = ["refusal", "roundtrip", "transcode", "dcmdump", "dcmtk", "gdcm", "pydicom", "lossy-attributes",
              "keep-uid", "dicompix", "eot", "eot-copy"]
    print(f"{'target':14} " + " ".join(f"{c[:10]:>17}" for c in checks))
    for uid in LOSSLESS_TARGETS + list(LOSSY_TARGETS):
        cells = []
        for c in checks:
            s = counts.get((uid, c), {})
            if not s:
                cells.append(f"{'-':>17}")
                continue
            text = "/".join(f"{s.get(k, 0)}" for k in ("pass", "refused", "known", "n/a", "fail"))
            cells.append(f"{text:>17}")
        print(f"{SHORT[uid]:14} " + " ".join(cells))
    print("cells: pass/refused(expected)/known difference/peer lacks codec/FAIL")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(reports, f, indent=1)
    for f in failures:
        print("FAIL:", f)
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
