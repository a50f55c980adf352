#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Transcode oracle ("Round-trip writing"): corpus files that `dicompix decode` decodes are transcoded with
`dicompix transcode` into every target transfer syntax; the outputs are checked by dicompix itself and by
independent readers (DCMTK 3.6.7, GDCM 3.0.21, pydicom 2.3 with its numpy/RLE/GDCM handlers, OpenJPEG's
opj_decompress for HTJ2K codestreams).

Lossless targets (Explicit/Implicit VR LE, Explicit VR BE, Deflated Explicit VR LE, Encapsulated
Uncompressed, Deflated Image Frame Compression, RLE, JPEG Lossless 4.70 and 4.57, JPEG-LS 4.80, JPEG 2000
4.90, HTJ2K 4.201 and 4.202):
  * IN -> T -> Explicit VR LE, decoded by `dicompix decode`, equals the decode of IN exactly (samples,
    shape, sample type, photometric interpretation of the samples);
  * where the target cannot carry the pixel description (expected_refusal: float into anything encapsulated,
    1-bit into JPEG / JPEG-LS / JPEG 2000, 32-bit into JPEG-LS, PALETTE COLOR into a lossy syntax, ...)
    `transcode` fails with cannot_encode or no_encoder, and where it can, it must not fail; an encapsulated
    source written in its own syntax has its frames copied through, which is never refused;
  * the peers read T and decode the same samples, in the same colour space: `dcmdump` parses it without
    errors or warnings; DCMTK decompresses it (dcmdrle, dcmdjpeg +cn, dcmdjpls; dcmconv +te for native
    syntaxes); `gdcmconv --raw` decompresses it; pydicom's pixel_array equals (or, where pydicom 2.3 has no
    handler, pydicom's encapsulation helpers give the frames: native bytes of 1.2.840.10008.1.2.1.98, raw
    deflate of 1.2.840.10008.1.2.8.1, HTJ2K codestreams decoded by opj_decompress). pydicom's GDCM handler runs
    in a child process, since GDCM can crash on some inputs. A peer without the codec is "n/a", as is a peer
    limit by pixel description (PEER_LIMITS, e.g. 1-bit RLE); every accepted difference is listed by file in
    KNOWN_DIFFERENCES with its reason (also doc/transcode-differences.md), and a listed difference or limit that
    no longer occurs fails too.
Lossy targets (JPEG Baseline 4.50 quality 90, JPEG-LS near-lossless 4.81 NEAR 2, JPEG 2000 4.91 and HTJ2K
4.203 at 10:1): dicompix's decode is within the codec's bound of the original (LOSSY_TARGETS), every peer that
has the codec decodes the file to dicompix's samples within lossy_peer_tolerance() (colour converted by
PS3.3 C.7.6.3.1.2 where a peer returns YBR_FULL and dicompix RGB), and the file carries Lossy Image
Compression "01", a Lossy Image Compression Ratio computed from the real byte counts, the method appended to
existing values, a new SOP Instance UID in the dataset and the meta group (kept with --keep-uid) and Image
Type value 1 DERIVED. A lossy source written in its own syntax is copied: attributes and UID unchanged.
Extended Offset Table: multi-frame files written with --offset-table extended are read back by dicompix
(frame index method "extended offset table", same samples) and by pydicom (the EOT values, used by hand
since pydicom 2.3 ignores the EOT, give the same frames as the fragments; pixel_array decodes them).

Default run: every check, on a sample: the smallest file of each decoded pixel description (Bits Allocated,
Bits Stored < Bits Allocated, Samples per Pixel, signedness, photometric, multi-frame) and of each source
transfer syntax (one and several fragments per frame), plus every file named in KNOWN_DIFFERENCES: 55 of the
253 files, 2 to 2.5 minutes with 2 workers on a loaded 2-core machine. --full (or DICOMPIX_FULL_ORACLE=1) runs
every file (about 14 minutes with 1 worker); --only TEXT (repeatable) runs the matching files.

usage: transcode_oracle.py --dicompix BIN --corpus DIR [--jobs N] [--full] [--only TEXT]... [--verbose]
                           [--json FILE]
Exit status 0: all checks passed; 1: failures; 77: skipped (corpus, numpy/pydicom or a peer tool absent).
"""
import argparse
import concurrent.futures
import json
import math
import os
import re
import select
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

LOSSY_PEER_TOLERANCE = 3  # levels, or 1/4096 of the Bits Stored range where that is more; lossy_peer_tolerance()
# Lossy targets: (quality passed to --quality, method expected in (0028,2114), bound on dicompix's decoded error).
# JPEG-LS NEAR guarantees |error| <= NEAR for every sample (ISO/IEC 14495-1 A.4). The others get a PSNR floor
# over the Bits Stored range that catches gross errors (a frame coded in the wrong colour space or from the wrong
# samples gave 8-12 dB), below the lowest the corpus shows (printed): 20.2 dB (JPEG q90), 24.9 dB (JPEG 2000
# 10:1), 24.2 dB (HTJ2K 10:1), all on the colour test pattern JLSL_RGB_ILV0.dcm (DCMTK's dcmcjpeg +eb +q 90 gives
# the same 20.2 dB). The PSNR floor is skipped where the codestream cannot reach the ratio (tiny frames: the
# encoder stops at its coarsest quantisation).
LOSSY_TARGETS = {
    JPEG_BASELINE: {"quality": "90", "method": "ISO_10918_1", "min_psnr": 18.0},
    JPEG_LS_NEAR: {"quality": "2", "method": "ISO_14495_1", "max_abs": 2},
    J2K: {"quality": "10", "method": "ISO_15444_1", "min_psnr": 22.0},
    HTJ2K: {"quality": "10", "method": "ISO_15444_15", "min_psnr": 22.0},
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
        if uid in (J2K, HTJ2K) and pi == "PALETTE COLOR":
            return "PALETTE COLOR goes with the lossless JPEG 2000 / HTJ2K syntaxes only (PS3.5 8.2.4, 8.2.14)"
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
GDCM_NOT_AN_IMAGE = "GDCM 3.0.21 reads no image from the corpus source either ('Could not read (pixmap)'): "
GDCM_BITS_STORED = ("GDCM 3.0.21 aborts on an assertion (gdcmImageCodec.cxx: BitsAllocated == BitsStored) when its "
                    "codec path meets Bits Stored 7 in Bits Allocated 8; PS3.5 8.1.1 allows any Bits Stored up "
                    "to Bits Allocated, and GDCM decodes the same samples in the other syntaxes")
PYDICOM_GDCM_BITS_STORED = "pydicom 2.3 decodes JPEG through python3-gdcm, which aborts likewise: " + GDCM_BITS_STORED
DCMTK_JLS_BITS_STORED = ("DCMTK 3.6.7's dcmdjpls fails ('Invalid compressed image data') on JPEG-LS of Bits Stored "
                         "7 in Bits Allocated 8, the corpus source included; CharLS (dicompix) and GDCM decode it")
GDCM_MULTIFRAME_SC = ("GDCM 3.0.21 will not write a 2-frame Secondary Capture Image Storage instance (a single-frame "
                      "IOD, PS3.3 A.8.1) when it rewrites the pixel data: 'Problem with NumberOfDimensions and "
                      "MediaStorage', as for the corpus file or DCMTK's JPEG output of it")
GDCM_966 = ("the source's JPEG 2000 codestream, copied through: GDCM 3.0.21 fails on it ('Stream too short, expected "
            "SOT') in the corpus file itself; OpenJPEG (dicompix, opj_decompress) decodes it")
GDCM_MR1_JLSL = ("the source's JPEG-LS codestream, copied through: GDCM 3.0.21 fails on it ('Could not change the "
                 "Transfer Syntax') in the corpus file itself; dicompix's decode equals the WG04 reference MR1_UNC "
                 "(PAIRS.tsv) and DCMTK agrees")
RGB_LABELLED_YCBCR = ("the source's JPEG codestream, copied through, holds YCbCr (JFIF-style, 4:2:0, no Adobe "
                      "marker) under Photometric Interpretation RGB, which PS3.5 8.2.1 does not allow (YBR_FULL_422); "
                      "dicompix converts it to RGB, the peers trust the attribute (doc/dcm2pnm-differences.md)")
KNOWN_DIFFERENCES = {
    ("highdicom/data/test_files/seg_image_sm_control_labelmap.dcm", "*", "gdcm"):
        GDCM_NOT_AN_IMAGE + "Label Map Segmentation Storage (1.2.840.10008.5.1.4.1.1.66.7, added in 2024) is "
        "newer than it",
    ("highdicom/data/test_files/seg_image_sm_control_labelmap_palette_color.dcm", "*", "gdcm"):
        GDCM_NOT_AN_IMAGE + "Label Map Segmentation Storage (1.2.840.10008.5.1.4.1.1.66.7, added in 2024) is "
        "newer than it",
    ("pydicom-data/data_store/data/parametric_map_float.dcm", "*", "gdcm"):
        GDCM_NOT_AN_IMAGE + "it does not decode Float Pixel Data (7FE0,0008)",
    ("pydicom-data/data_store/data/JLSL_08_07_0_1F.dcm", DEFLATED, "gdcm"): GDCM_BITS_STORED,
    ("pydicom-data/data_store/data/JLSL_08_07_0_1F.dcm", RLE, "gdcm"): GDCM_BITS_STORED,
    ("pydicom-data/data_store/data/JLSL_08_07_0_1F.dcm", JPEG_SV1, "gdcm"): GDCM_BITS_STORED,
    ("pydicom-data/data_store/data/JLSL_08_07_0_1F.dcm", JPEG_LOSSLESS, "gdcm"): GDCM_BITS_STORED,
    ("pydicom-data/data_store/data/JLSL_08_07_0_1F.dcm", JPEG_SV1, "pydicom"): PYDICOM_GDCM_BITS_STORED,
    ("pydicom-data/data_store/data/JLSL_08_07_0_1F.dcm", JPEG_LOSSLESS, "pydicom"): PYDICOM_GDCM_BITS_STORED,
    ("pydicom-data/data_store/data/JLSL_08_07_0_1F.dcm", JPEG_LS, "dcmtk"): DCMTK_JLS_BITS_STORED,
    ("pydicom-data/data_store/data/JLSL_08_07_0_1F.dcm", JPEG_LS_NEAR, "dcmtk"): DCMTK_JLS_BITS_STORED,
    ("pydicom-data/data_store/data/liver_j2k.dcm", J2K_LOSSLESS, "pydicom"):
        "the source's 1-bit JPEG 2000 frames, copied through: pydicom 2.3's GDCM handler crashes (SIGSEGV, heap "
        "corruption) on them, as on the corpus file itself; dicompix, GDCM's gdcmconv and the EOT frames agree",
    **{(f"{d}/{f}", RLE, "gdcm"): GDCM_COLOUR_RLE for d, f in (
        ("pydicom-data/data_store/data", "SC_rgb_16bit.dcm"), ("pydicom-data/data_store/data", "SC_rgb_32bit.dcm"),
        ("pydicom-data/data_store/data", "SC_rgb_expb_16bit.dcm"),
        ("pydicom-data/data_store/data", "SC_rgb_expb_32bit.dcm"),
        ("pydicom/src/pydicom/data/test_files", "SC_rgb_rle_16bit.dcm"),
        ("pydicom/src/pydicom/data/test_files", "SC_rgb_rle_32bit.dcm"))},
    # Secondary Capture Image Storage is a single-frame IOD (PS3.3 A.8.1 has no Multi-frame Module); these
    # pydicom test files hold 2 frames. GDCM refuses to write them ("Problem with NumberOfDimensions and
    # MediaStorage") whenever it must rewrite the pixel data: for every target at 16 and 32 bits (the corpus file
    # too), for JPEG Baseline at 8 bits (DCMTK's dcmcjpeg +eb output too).
    **{(f"{d}/SC_rgb{v}_2frame.dcm", t, "gdcm"): GDCM_MULTIFRAME_SC for d, v, t in (
        ("pydicom-data/data_store/data", "_16bit", "*"), ("pydicom-data/data_store/data", "_32bit", "*"),
        ("pydicom-data/data_store/data", "_expb_16bit", "*"), ("pydicom-data/data_store/data", "_expb_32bit", "*"),
        ("pydicom/src/pydicom/data/test_files", "_rle_16bit", "*"),
        ("pydicom/src/pydicom/data/test_files", "_rle_32bit", "*"),
        ("pydicom-data/data_store/data", "", JPEG_BASELINE), ("pydicom-data/data_store/data", "_expb", JPEG_BASELINE),
        ("pydicom/src/pydicom/data/test_files", "_rle", JPEG_BASELINE))},
    ("pylibjpeg-data/ljdata/ds/JPEG2000Lossless/NM_Kakadu44_SOTmarkerincons.dcm", "*", "dcmdump"):
        "the corpus file carries elements (0005,0005), (0005,0006), (0005,000B) in group 0005, which PS3.5 7.1 "
        "does not allow (groups 0001, 0003, 0005, 0007 are reserved); dicompix keeps every element it read, and "
        "dcmdump warns 'Invalid Element' on the source the same way",
    ("pylibjpeg-data/ljdata/ds/JPEG2000Lossless/966.dcm", J2K_LOSSLESS, "gdcm"): GDCM_966,
    ("pylibjpeg-data/ljdata/ds/JPEG2000Lossless/966.dcm", J2K_LOSSLESS, "pydicom"):
        "pydicom 2.3 decodes JPEG 2000 through python3-gdcm, which gives all zeros: " + GDCM_966,
    ("dicom-test-files/data/WG04/JLSL/MR1_JLSL", JPEG_LS, "gdcm"): GDCM_MR1_JLSL,
    ("dicom-test-files/data/WG04/JLSL/MR1_JLSL", JPEG_LS, "pydicom"):
        "pydicom 2.3 decodes JPEG-LS through python3-gdcm, which gives other samples: " + GDCM_MR1_JLSL,
    **{("pylibjpeg-data/ljdata/ds/JPEGBaseline/SC_rgb_jpeg_lossy_gdcm.dcm", JPEG_BASELINE, peer): RGB_LABELLED_YCBCR
       for peer in ("dcmtk", "gdcm", "pydicom")},
}


def known_difference(path, target, peer):
    """(key, reason) of the accepted difference for this file, target and peer; target "*" stands for every
    target of the file. (None, None) if none."""
    for key in ((path, target, peer), (path, "*", peer)):
        if key in KNOWN_DIFFERENCES:
            return key, KNOWN_DIFFERENCES[key]
    return None, None


# Peer limits by pixel description rather than by file: the peer cannot decode the combination at all (it
# refuses or aborts), so the check is "n/a", as for a peer without the codec. A limit that no longer holds
# (the peer decodes the samples) fails, so the list stays true. (predicate, targets, peers, reason).
PEER_LIMITS = [
    (lambda d: d["bits_allocated"] == 1, {RLE}, {"dcmtk", "gdcm", "pydicom"},
     "RLE of Bits Allocated 1 (one bit-packed segment, as CP 2301 made explicit for PS3.5 G.2 and 8.2.2) is "
     "newer than the peers: DCMTK 3.6.7 'only supports images where BitsAllocated is a multiple of 8' (DCMTK "
     "feature #1178), GDCM 3.0.21 aborts on an assertion, pydicom 2.3 raises NotImplementedError"),
]


def peer_limit(desc, target, peer):
    for applies, targets, peers, reason in PEER_LIMITS:
        if target in targets and peer in peers and applies(desc):
            return reason
    return None


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


def lossy_peer_tolerance(uid, desc):
    """How far another decoder of the same lossy codestream may be from dicompix's decode: JPEG-LS decoding is
    exact (ISO/IEC 14495-1 defines the reconstruction); JPEG's IDCT, chroma upsampling and YCbCr -> RGB
    conversion are the implementation's (ITU-T T.81 A.3.3 accuracy; T.871), as is JPEG 2000's irreversible
    9/7 wavelet in floating point (ISO/IEC 15444-1 Annex F)."""
    if uid == JPEG_LS_NEAR:
        return 0
    return max(LOSSY_PEER_TOLERANCE, (1 << int(desc["bits_stored"])) >> 12)


def decoders_agree(uid, desc, ours, ours_colour, theirs, their_colour):
    """Two decodes of the same lossy codestreams: None, or what differs beyond lossy_peer_tolerance."""
    a, b, problem = in_common_colour(ours, ours_colour, theirs, their_colour)
    if problem is None and a.size != b.size:
        problem = f"{b.size} samples, expected {a.size}"
    if problem is None:
        max_abs, _ = error_stats(a, b, int(desc["bits_stored"]))
        tolerance = lossy_peer_tolerance(uid, desc)
        if max_abs > tolerance:
            problem = f"max|d| {max_abs:g} from dicompix's decode of the same codestreams, over {tolerance}"
    return problem


def error_stats(ours, theirs, bits_stored):
    a, b = ours.astype(np.float64), theirs.astype(np.float64)
    d = a - b
    max_abs = float(np.max(np.abs(d))) if d.size else 0.0
    mse = float(np.mean(d * d)) if d.size else 0.0
    peak = float((1 << bits_stored) - 1)
    psnr = math.inf if mse == 0 else 10 * math.log10(peak * peak / mse)
    return max_abs, psnr


def read_native_pixels(path):
    """A native file's samples, as pydicom reads them, normalised, and their colour space; or raises."""
    ds = pydicom.dcmread(path, force=True)
    return pydicom_samples(ds), samples_colour(ds)


def pydicom_samples(ds):
    """pydicom's pixel_array, normalised with the attributes as the file has them: pydicom 2.3 overwrites Pixel
    Representation and Bits Stored with a JPEG 2000 codestream's values while decoding (the array itself keeps
    the file's signedness)."""
    kept = {k: ds[k].value for k in ("BitsStored", "HighBit", "PixelRepresentation") if k in ds}
    arr = ds.pixel_array
    for k, v in kept.items():
        setattr(ds, k, v)
    return normalised(arr, ds)


def samples_colour(ds_or_pi):
    """The colour space of the samples a reader returns for a file of this Photometric Interpretation:
    JPEG 2000's RCT / ICT are undone inside the codestream (PS3.5 8.2.4), YBR_FULL_422 comes back upsampled
    and not converted (pydicom, GDCM) unless the tool says RGB in its output file (dcmdjpeg)."""
    pi = ds_or_pi if isinstance(ds_or_pi, str) else str(getattr(ds_or_pi, "PhotometricInterpretation", ""))
    return {"YBR_RCT": "RGB", "YBR_ICT": "RGB", "YBR_FULL_422": "YBR_FULL"}.get(pi.strip(), pi.strip())


def ybr_full_to_rgb(flat):
    """8-bit YBR_FULL samples (interleaved) to RGB by the equations of PS3.3 C.7.6.3.1.2, rounded."""
    ybr = flat.astype(np.float64).reshape(-1, 3)
    y, cb, cr = ybr[:, 0], ybr[:, 1] - 128.0, ybr[:, 2] - 128.0
    rgb = np.stack([y + 1.402 * cr, y - 0.344136 * cb - 0.714136 * cr, y + 1.772 * cb], axis=1)
    return np.clip(np.rint(rgb), 0, 255).astype(np.int64).reshape(-1)


def in_common_colour(a, a_colour, b, b_colour):
    """Both sample sets in RGB where one is YBR_FULL and the other RGB (lossy comparisons only)."""
    if a_colour == b_colour:
        return a, b, None
    if {a_colour, b_colour} == {"RGB", "YBR_FULL"}:
        a = ybr_full_to_rgb(a) if a_colour == "YBR_FULL" else a
        b = ybr_full_to_rgb(b) if b_colour == "YBR_FULL" else b
        return a, b, None
    return a, b, f"samples in {b_colour}, expected {a_colour}"


# pydicom decodes these in-process (numpy and RLE handlers); every other syntax goes through python3-gdcm, which
# GDCM 3.0.21 can abort with heap corruption (1-bit JPEG 2000), so that runs in a child process (one per worker,
# started again after a crash: a fresh interpreter per file would cost 0.4 s of imports each time).
PYDICOM_IN_PROCESS = NATIVE | {RLE}


class PydicomChild:
    def __init__(self):
        self.proc = None
        self.log = None

    def decode(self, path, out):
        """None when OUT holds the samples, else what went wrong (the child's exception, or its death)."""
        if self.proc is None:
            self.log = tempfile.TemporaryFile("w+")
            self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--pydicom-child"],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, text=True)
        self.proc.stdin.write(f"{path}\t{out}\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], 600)
        reply = self.proc.stdout.readline() if ready else ""
        if reply.startswith("ok"):
            return None
        if reply.startswith("error "):
            return reply[len("error "):].strip()
        # Dead or hung: report how, and start a new child next time.
        if not ready:
            self.proc.kill()
        code = self.proc.wait()
        self.log.seek(0)
        tail = [ln for ln in self.log.read().splitlines() if ln.strip() and not ln.startswith(("Warning", "  File"))]
        self.log.close()
        self.proc = None
        why = "timed out" if not ready else f"signal {-code}" if code < 0 else f"exit {code}"
        return f"{why}: {' | '.join(tail[-2:])[:300]}"


PYDICOM_CHILD = PydicomChild()


def pydicom_pixel_array(path, uid):
    """pydicom's pixel_array of PATH, normalised: (None, samples, colour) or (problem, None, None)."""
    if uid in PYDICOM_IN_PROCESS:
        ds = pydicom.dcmread(path, force=True)
        return None, pydicom_samples(ds), samples_colour(ds)
    out = path + ".npy"
    try:
        problem = PYDICOM_CHILD.decode(path, out)
        if problem is not None:
            return f"pydicom: {problem}", None, None
        return None, np.load(out), samples_colour(pydicom.dcmread(path, force=True, stop_before_pixels=True))
    finally:
        if os.path.exists(out):
            os.remove(out)


def pydicom_child():
    """The child side of PydicomChild: per line "PATH<TAB>OUT", the samples into OUT and "ok", or "error ..."."""
    for line in sys.stdin:
        path, out = line.rstrip("\n").split("\t")
        try:
            ds = pydicom.dcmread(path, force=True)
            np.save(out, pydicom_samples(ds))
            print("ok", flush=True)
        except Exception as e:  # noqa: BLE001
            print(f"error {type(e).__name__}: {str(e)[:300]}".replace("\n", " "), flush=True)
    return 0


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
    def __init__(self, args, row):
        self.args = args
        self.path = row["path"]
        self.full = os.path.join(args.corpus, self.path)
        self.source_ts = row["transfer_syntax_uid"]
        self.results = []  # (target, check, status, detail); status: pass, fail, refused, known, n/a
        self.known_seen = set()  # KNOWN_DIFFERENCES keys that applied

    def add(self, target, check, status, detail=""):
        self.results.append((target, check, status, detail))

    def peer_result(self, target, peer, problem, check=None):
        """Records a peer's verdict under `check` (default: the peer's name), applying PEER_LIMITS by
        description and KNOWN_DIFFERENCES by file."""
        check = check or peer
        limit = peer_limit(self.desc, target, peer)
        key, known = known_difference(self.path, target, peer)
        if problem is None:
            if limit:
                self.add(target, check, "fail", f"listed as a peer limit ({limit}) but {peer} decodes it now")
            elif known and key[1] != "*":
                self.add(target, check, "fail", f"listed as a known difference ({known}) but {peer} agrees now")
            else:
                self.add(target, check, "pass")
        elif limit:
            self.add(target, check, "n/a", f"{problem} [{limit}]")
        elif known:
            self.known_seen.add(key)
            self.add(target, check, "known", f"{problem} [{known}]")
        else:
            self.add(target, check, "fail", problem)

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
                "desc": getattr(self, "desc", None), "known": sorted(self.known_seen)}

    def _run(self, tmp):
        binary = self.args.dicompix
        meta, samples = decode(binary, self.full, os.path.join(tmp, "orig.raw"))
        if meta is None:
            self.add("-", "decode", "n/a", meta_error_first_line(samples))
            return
        self.desc = {k: meta[k] for k in COMPARED_FIELDS}
        self.orig = samples
        # Frames and fragments as dicompix indexes them (the manifest leaves some malformed files blank).
        info = run([binary, "info", self.full]).stdout
        found = re.search(r"^fragments:\s+(\d+)", info, re.M)
        self.frames = int(meta["frames"])
        self.fragments = int(found.group(1)) if found else 0
        self.multi_fragment = self.fragments > self.frames
        self.colour = samples_colour(self.desc["photometric_interpretation"])
        for uid in LOSSLESS_TARGETS:
            self.lossless(uid, tmp)
        for uid in LOSSY_TARGETS:
            self.lossy(uid, tmp)
        if self.frames > 1 or self.multi_fragment or self.args.full:
            self.extended_offset_table(tmp)

    def transcode(self, src, dst, uid, extra=()):
        return run([self.args.dicompix, "transcode", "--quiet", src, dst, "--transfer-syntax", uid, *extra])

    def copied(self, uid):
        """An encapsulated source written in its own syntax has its frames copied through, not encoded."""
        return uid == self.source_ts and uid in ENCAPSULATED_SOURCES_WRITTEN

    def data_refusal(self, uid):
        """Refusals that depend on the samples, not only on the description."""
        if uid == JPEG_LS_NEAR and self.desc["pixel_representation"] == 1 and self.orig.size:
            near, bs = int(LOSSY_TARGETS[uid]["quality"]), int(self.desc["bits_stored"])
            if int(self.orig.min()) < -(1 << (bs - 1)) + near or int(self.orig.max()) > (1 << (bs - 1)) - 1 - near:
                return ("signed samples within NEAR of the Bits Stored range limits: JPEG-LS codes their "
                        "two's complement patterns, which sit next to the sign boundary and can come back "
                        "across it (ISO/IEC 14495-1 A.4 clamps patterns, not values)")
        return None

    def check_refusal(self, uid, proc, why):
        if proc.returncode == 1 and re.search(r": (cannot_encode|no_encoder)\b", proc.stderr):
            self.add(uid, "refusal", "refused", why)
        elif proc.returncode == 0:
            self.add(uid, "refusal", "fail", f"expected a refusal ({why}); transcode succeeded")
        else:
            self.add(uid, "refusal", "fail", f"expected cannot_encode/no_encoder ({why}); got exit "
                                             f"{proc.returncode}: {proc.stderr.strip()}")

    def lossless(self, uid, tmp):
        out = os.path.join(tmp, f"{SHORT[uid]}.dcm")
        proc = self.transcode(self.full, out, uid)
        why = None if self.copied(uid) else expected_refusal(self.desc, uid)
        if why is not None:
            self.check_refusal(uid, proc, why)
            return
        if proc.returncode != 0:
            self.add(uid, "transcode", "fail", f"exit {proc.returncode}: {proc.stderr.strip()}")
            return
        # The file says what it is.
        try:
            ds = pydicom.dcmread(out, force=True, stop_before_pixels=True)
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
        self.peers(uid, out, tmp)
        os.remove(out)

    # Each peer decodes `out`; the samples must equal the original's decode exactly, in the same colour space.
    def peers(self, uid, out, tmp):
        self.peer_result(uid, "dcmdump", self.dcmdump(out))
        self.peer_decodes(uid, out, tmp, False, lambda samples, colour: self.peer_agrees(uid, samples, colour))

    def peer_decodes(self, uid, out, tmp, lossy, judge):
        """DCMTK, GDCM and pydicom decode `out`; judge(samples, colour) says what differs (None: nothing)."""
        for peer, fn in (("dcmtk", self.dcmtk), ("gdcm", self.gdcm), ("pydicom", self.pydicom)):
            got = fn(uid, out, tmp, lossy=lossy)
            if got is None:
                self.add(uid, peer, "n/a", "peer lacks the codec")
                continue
            problem, samples, colour = got
            self.peer_result(uid, peer, problem or judge(samples, colour))

    def peer_agrees(self, uid, theirs, colour):
        """A peer's samples of a lossless file (or of a lossy source's copied frames) against dicompix's decode of
        the source: exact, in the same colour space; lossy codestreams within the decoders' tolerance."""
        if uid not in LOSSY_TARGETS:
            return f"samples in {colour}, expected {self.colour}" if colour != self.colour else same(self.orig, theirs)
        return decoders_agree(uid, self.desc, self.orig, self.colour, theirs, colour)

    def dcmdump(self, out):
        proc = run(["dcmdump", "-dc", out])
        noise = [ln for ln in proc.stderr.splitlines() if re.match(r"^[EFW]:", ln)]
        if proc.returncode != 0 or noise:
            return f"dcmdump exit {proc.returncode}: {' | '.join(noise)[:400]}"
        return None

    def native_peer(self, cmd, tmp):
        """Runs a peer tool that writes a native file; (problem, samples, colour) of what it wrote."""
        native = cmd[-1]
        proc = run(cmd)
        try:
            if proc.returncode != 0:
                return f"{cmd[0]} exit {proc.returncode}: {(proc.stdout + proc.stderr).strip()[:400]}", None, None
            samples, colour = read_native_pixels(native)
            return None, samples, colour
        except Exception as e:  # noqa: BLE001
            return f"{cmd[0]} output unreadable: {e}", None, None
        finally:
            if os.path.exists(native):
                os.remove(native)

    def dcmtk(self, uid, out, tmp, lossy):
        tool = DCMTK_DECOMPRESS.get(uid)
        if tool is None:
            return None
        # dcmdjpeg converts YCbCr to RGB by default, lossless too: +cn keeps the samples as coded.
        options = ["+cn"] if tool[0] == "dcmdjpeg" and not lossy else []
        return self.native_peer([*tool, *options, out, os.path.join(tmp, "dcmtk.dcm")], tmp)

    def gdcm(self, uid, out, tmp, lossy):
        if uid not in GDCM_DECODES:
            return None
        return self.native_peer(["gdcmconv", "--raw", out, os.path.join(tmp, "gdcm.dcm")], tmp)

    def pydicom(self, uid, out, tmp, lossy):
        try:
            if uid in PYDICOM_PIXEL_ARRAY:
                return pydicom_pixel_array(out, uid)
            if uid in PYDICOM_FRAMES:
                ds = pydicom.dcmread(out, force=True)
                return None, peer_samples_from_frames(ds, uid, tmp), samples_colour(ds)
        except Exception as e:  # noqa: BLE001
            return f"pydicom: {type(e).__name__}: {str(e)[:300]}", None, None
        return None

    # ---- lossy targets ----

    def lossy(self, uid, tmp):
        spec = LOSSY_TARGETS[uid]
        out = os.path.join(tmp, f"{SHORT[uid]}.dcm")
        copied = self.copied(uid)
        why = None if copied else expected_refusal(self.desc, uid) or self.data_refusal(uid)
        proc = self.transcode(self.full, out, uid, ("--quality", spec["quality"]))
        if why is not None:
            self.check_refusal(uid, proc, why)
            return
        if proc.returncode != 0:
            self.add(uid, "transcode", "fail", f"exit {proc.returncode}: {proc.stderr.strip()}")
            return
        try:
            src = pydicom.dcmread(self.full, force=True, stop_before_pixels=True)
            ds = pydicom.dcmread(out, force=True)
            self.add(uid, "lossy-attributes", *self.lossy_attributes(spec, src, ds, copied))
        except Exception as e:  # noqa: BLE001
            self.add(uid, "lossy-attributes", "fail", f"pydicom cannot read the output: {type(e).__name__}: {e}")
            return
        if not copied:
            keep = os.path.join(tmp, f"{SHORT[uid]}.keep.dcm")
            proc = self.transcode(self.full, keep, uid, ("--quality", spec["quality"], "--keep-uid"))
            if proc.returncode != 0:
                self.add(uid, "keep-uid", "fail", f"exit {proc.returncode}: {proc.stderr.strip()}")
            else:
                kds = pydicom.dcmread(keep, force=True, stop_before_pixels=True)
                before = str(getattr(src, "SOPInstanceUID", ""))
                kept = str(getattr(kds, "SOPInstanceUID", ""))
                meta = str(getattr(kds.file_meta, "MediaStorageSOPInstanceUID", ""))
                ok = kept == before and meta == kept  # a source without the UID keeps none
                self.add(uid, "keep-uid", "pass" if ok else "fail",
                         "" if ok else f"UID {kept!r} / meta {meta!r}, source {before!r}")
                os.remove(keep)
        # dicompix's decode against the original: the codec's bound.
        meta, ours = decode(self.args.dicompix, out, os.path.join(tmp, "lossy.raw"))
        if meta is None:
            self.add(uid, "dicompix", "fail", f"decode: {ours}")
            os.remove(out)
            return
        ours_colour = samples_colour(meta["photometric_interpretation"])
        self.add(uid, "dicompix", *self.lossy_quality(uid, spec, ds, ours, ours_colour, copied))
        # The peers decode the same codestreams as dicompix, within lossy_peer_tolerance().
        self.peer_decodes(uid, out, tmp, True, lambda samples, colour: decoders_agree(
            uid, self.desc, ours, ours_colour, samples, colour))
        os.remove(out)

    def lossy_quality(self, uid, spec, ds, ours, ours_colour, copied):
        """dicompix's decode of the lossy file against the original decode."""
        if copied:  # the source's own codestreams: nothing re-encoded
            problem = f"samples in {ours_colour}, expected {self.colour}" if ours_colour != self.colour else \
                same(self.orig, ours)
            return ("fail", f"copied frames: {problem}") if problem else ("pass", "copied frames")
        a, b, problem = in_common_colour(self.orig, self.colour, ours, ours_colour)
        if problem is None and a.size != b.size:
            problem = f"{b.size} samples, expected {a.size}"
        if problem:
            return "fail", problem
        max_abs, psnr = error_stats(a, b, int(self.desc["bits_stored"]))
        detail = f"max|d| {max_abs:g}, PSNR {psnr:.1f} dB"
        if "max_abs" in spec:
            return ("fail", f"{detail} exceeds NEAR {spec['max_abs']}") if max_abs > spec["max_abs"] else \
                ("pass", detail)
        # A ratio the codestream cannot reach (tiny frames, where the headers alone exceed the budget) leaves
        # the encoder at its coarsest quantisation: the PSNR bound holds only where the ratio was met.
        ratios = strings(getattr(ds, "LossyImageCompressionRatio", None))
        asked = float(spec["quality"]) if uid != JPEG_BASELINE else 0.0
        if asked and ratios and float(ratios[-1]) < 0.9 * asked:
            return "pass", f"{detail} (ratio {float(ratios[-1]):.3g} of {asked:g} reachable: no bound)"
        if psnr < spec["min_psnr"]:
            return "fail", f"{detail} below {spec['min_psnr']} dB"
        return "pass", detail

    def lossy_attributes(self, spec, src, ds, copied):
        problems = []
        uid_before = str(getattr(src, "SOPInstanceUID", "")) or None
        uid_now = str(getattr(ds, "SOPInstanceUID", "")) or None
        methods_before = strings(getattr(src, "LossyImageCompressionMethod", None))
        methods = strings(getattr(ds, "LossyImageCompressionMethod", None))
        ratios_before = strings(getattr(src, "LossyImageCompressionRatio", None))
        ratios = strings(getattr(ds, "LossyImageCompressionRatio", None))
        if copied:
            # Frames copied through: no new lossy step, so nothing to record and the instance is the same.
            for name, now, before in (("Lossy Image Compression", getattr(ds, "LossyImageCompression", None),
                                       getattr(src, "LossyImageCompression", None)),
                                      ("Lossy Image Compression Method", methods, methods_before),
                                      ("Lossy Image Compression Ratio", ratios, ratios_before),
                                      ("SOP Instance UID", uid_now, uid_before)):
                if now != before:
                    problems.append(f"{name} {now!r}, the source has {before!r} (frames copied through)")
            return ("fail", "; ".join(problems)) if problems else ("pass", "")
        if str(getattr(ds, "LossyImageCompression", "")) != "01":
            problems.append(f"Lossy Image Compression {getattr(ds, 'LossyImageCompression', None)!r}")
        if methods != methods_before + [spec["method"]]:
            problems.append(f"Lossy Image Compression Method {methods}, expected {methods_before + [spec['method']]}")
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
        if uid_now is None or uid_now == uid_before:
            problems.append(f"SOP Instance UID {uid_now} (source {uid_before}): expected a new one")
        elif str(ds.file_meta.MediaStorageSOPInstanceUID) != uid_now:
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
            if self.copied(uid) or expected_refusal(self.desc, uid) is not None:
                continue  # the source's own syntax is eot_copy's
            self.eot_file(uid, tmp, self.full)
        if self.source_ts in ENCAPSULATED_SOURCES_WRITTEN:
            self.eot_copy(tmp)

    def eot_copy(self, tmp):
        uid = self.source_ts
        nframes, fragments = self.frames, self.fragments
        out = os.path.join(tmp, "eot-copy.dcm")
        proc = run([self.args.dicompix, "transcode", self.full, out, "--transfer-syntax", uid,
                    "--offset-table", "extended"])
        if proc.returncode != 0:
            self.add(uid, "eot-copy", "fail", f"exit {proc.returncode}: {proc.stderr.strip()}")
            return
        if fragments == nframes:
            self.eot_file(uid, tmp, None, out=out, check="eot-copy")
            return
        # Several fragments per frame: no EOT, a Basic Offset Table with one entry per frame, a warning.
        problems = []
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
        """dicompix reads the EOT back (frame index, samples); pydicom's view of the same file: the EOT entries
        land on the fragments and give the frames, whose pixels (pydicom's own decode) are the same samples."""
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
        pixels_problem, pixels_checked = None, False
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
            got = self.pydicom(uid, out, tmp, lossy=False) if uid not in PYDICOM_FRAMES else \
                (None, peer_samples_from_frames(ds, uid, tmp), samples_colour(ds))
            if got is not None:  # None: e.g. a JPEG XL source copied through, pydicom 2.3 has no decoder
                pixels_checked = True
                pixels_problem, theirs, colour = got
                if pixels_problem is None:
                    pixels_problem = self.peer_agrees(uid, theirs, colour)
        except Exception as e:  # noqa: BLE001
            problems.append(f"pydicom: {type(e).__name__}: {e}")
        self.add(uid, check, "fail" if problems else "pass", "; ".join(problems))
        if pixels_checked:
            self.peer_result(uid, "pydicom", pixels_problem, check=f"{check}-pixels")
        os.remove(out)


def meta_error_first_line(text):
    return (text or "").splitlines()[0][:200] if text else ""


def run_job(args, row):
    return FileJob(args, row).run()


# ---- sampling ----------------------------------------------------------------------------------------

def sample_files(rows, descs):
    """The default run's files: the smallest file of each decoded pixel description and of each source transfer
    syntax (one and several fragments per frame apart), and every file named in KNOWN_DIFFERENCES."""
    chosen, seen = set(), set()
    for r in sorted(rows, key=lambda r: (int(r["bytes"] or 0), r["path"])):
        d = descs.get(r["path"])
        if d is None:
            continue
        frames = int(r["frames"]) if r["frames"].isdigit() else 1
        fragments = int(r["fragments"]) if r["fragments"].isdigit() else 0
        for key in (("description", d["bits_allocated"], d["bits_stored"] < d["bits_allocated"],
                     d["samples_per_pixel"], d["pixel_representation"], d["photometric_interpretation"],
                     d["frames"] > 1),
                    ("syntax", r["transfer_syntax_uid"], fragments > frames)):
            if key not in seen:
                seen.add(key)
                chosen.add(r["path"])
    return chosen | {path for path, _target, _peer in KNOWN_DIFFERENCES}


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
    ap.add_argument("--only", action="append", help="only files whose path contains this text (repeatable)")
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
        rows = [r for r in rows if any(text in r["path"] for text in args.only)]
    started = time.monotonic()
    if not args.full and not args.only:
        descs = describe_all(args.dicompix, args.corpus, rows, args.jobs)
        chosen = sample_files(rows, descs)
        rows = [r for r in rows if r["path"] in chosen]
    # Largest first, so that the pool does not end on one big file.
    order = sorted(rows, key=lambda r: -int(r["bytes"] or 0))
    reports = []
    with concurrent.futures.ProcessPoolExecutor(args.jobs) as pool:
        futures = [pool.submit(run_job, args, r) for r in order]
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
        known_seen.update(tuple(k) for k in rep.get("known", ()))
        for target, check, status, detail in rep["results"]:
            counts.setdefault((target, check), {}).setdefault(status, 0)
            counts[(target, check)][status] += 1
            if status == "fail":
                failures.append(f"{rep['path']} -> {SHORT.get(target, target)} [{check}]: {detail}")
    ran_paths = {rep["path"] for rep in reports}
    for key, reason in KNOWN_DIFFERENCES.items():
        if key[0] in ran_paths and key not in known_seen:
            failures.append(f"{key[0]} -> {SHORT.get(key[1], key[1])} [{key[2]}]: listed in KNOWN_DIFFERENCES ({reason}) "
                            f"but it did not occur")
    print(f"transcode oracle: {len(rows)} corpus files, {decoded} decoded by dicompix, "
          f"{'every file' if args.full or args.only else 'sampled files'}, {args.jobs} workers, {elapsed:.0f} s")
    checks = ["refusal", "roundtrip", "transcode", "dcmdump", "dcmtk", "gdcm", "pydicom", "lossy-attributes",
              "keep-uid", "dicompix", "eot", "eot-pixels", "eot-copy", "eot-copy-pixels"]
    heads = ["refusal", "roundtrip", "transcode", "dcmdump", "dcmtk", "gdcm", "pydicom", "lossy-attr", "keep-uid",
             "dicompix", "eot", "eot-pydcm", "eot-copy", "copy-pydcm"]
    print(f"{'target':13}" + "".join(f"{h:>12}" for h in heads))
    for uid in LOSSLESS_TARGETS + list(LOSSY_TARGETS):
        cells = []
        for c in checks:
            s = counts.get((uid, c), {})
            if not s:
                cells.append(f"{'-':>12}")
                continue
            text = "/".join(f"{s.get(k, 0)}" for k in ("pass", "refused", "known", "n/a", "fail"))
            cells.append(f"{text:>12}")
        print(f"{SHORT[uid]:13}" + "".join(cells))
    print("cells: pass/refused(expected)/known difference/peer lacks codec/FAIL")
    for uid, spec in LOSSY_TARGETS.items():
        seen = [(float(m.group(1)), rep["path"]) for rep in reports for target, check, status, detail in rep["results"]
                if target == uid and check == "dicompix" and status == "pass"
                for m in [re.search(r"PSNR ([0-9.]+) dB(?! \(ratio)", detail)] if m]
        if seen and "min_psnr" in spec:
            print(f"{SHORT[uid]}: lowest PSNR {min(seen)[0]:.1f} dB ({min(seen)[1]}), floor {spec['min_psnr']} dB")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(reports, f, indent=1)
    for f in failures:
        print("FAIL:", f)
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--pydicom-child"]:
        sys.exit(pydicom_child())
    sys.exit(main())
