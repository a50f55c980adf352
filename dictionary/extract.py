#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Regenerates dicom.tsv, uids.tsv and transfer_syntaxes.tsv from the dictionaries installed on a
Debian 12 host (libdcmtk17 3.6.7 and python3-pydicom 2.3). One-shot: the TSVs are committed and the
build reads only them (see README.md).

Usage: /usr/bin/python3 dictionary/extract.py [output-dir]
"""

import re
import sys
from pathlib import Path

DCMTK_DIC = Path('/usr/share/libdcmtk17/dicom.dic')
PYDICOM_DIR = Path('/usr/lib/python3/dist-packages')

sys.path.insert(0, str(PYDICOM_DIR))
from pydicom import __version__ as pydicom_version  # noqa: E402
from pydicom._dicom_dict import DicomDictionary, RepeatersDictionary  # noqa: E402
from pydicom._uid_dict import UID_dictionary  # noqa: E402

# DCMTK's internal codes for ambiguous VRs (dcvr.h) -> the PS3.6 spelling. `lt` is DCMTK's
# "US, SS or OW" LUT data VR; where pydicom has the tag its (narrower) PS3.6 form wins, e.g.
# (0028,3006) LUT Data is "US or OW".
DCMTK_AMBIGUOUS = {
    'ox': 'OB or OW',
    'px': 'OB or OW',
    'xs': 'US or SS',
    'lt': 'US or SS or OW',
    'up': 'UL',
    'na': 'NONE',
}

# Entries DCMTK 2022b has and pydicom 2.3 lacks: names from PS3.6 2022b Table 6-1.
NAMES_NOT_IN_PYDICOM = {
    '(0006,0001)': 'Current Frame Functional Groups Sequence',
    '(0008,0017)': 'Acquisition UID',
    '(0008,0019)': 'Pyramid UID',
    '(0008,1088)': 'Pyramid Description',
    '(0020,0027)': 'Pyramid Label',
}

# DCMTK pseudo-entries handled by code, not by table rows (see src/dictionary/dictionary.cpp).
DCMTK_SYNTHETIC_VERSIONS = {'GENERIC', 'PRIVATE', 'ILLEGAL'}

# Transfer syntaxes of PS3.6 2025 Table A-1 that pydicom 2.3 predates (added 2022-2024). Name and
# keyword as in PS3.6.
NEWER_TRANSFER_SYNTAXES = {
    '1.2.840.10008.1.2.4.100.1': ('Fragmentable MPEG2 Main Profile / Main Level', 'MPEG2MPMLF'),
    '1.2.840.10008.1.2.4.101.1': ('Fragmentable MPEG2 Main Profile / High Level', 'MPEG2MPHLF'),
    '1.2.840.10008.1.2.4.102.1': ('Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.1', 'MPEG4HP41F'),
    '1.2.840.10008.1.2.4.103.1': ('Fragmentable MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1',
                                  'MPEG4HP41BDF'),
    '1.2.840.10008.1.2.4.104.1': ('Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video',
                                  'MPEG4HP422DF'),
    '1.2.840.10008.1.2.4.105.1': ('Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video',
                                  'MPEG4HP423DF'),
    '1.2.840.10008.1.2.4.106.1': ('Fragmentable MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2',
                                  'MPEG4HP42STEREOF'),
    '1.2.840.10008.1.2.4.110': ('JPEG XL Lossless', 'JPEGXLLossless'),
    '1.2.840.10008.1.2.4.111': ('JPEG XL JPEG Recompression', 'JPEGXLJPEGRecompression'),
    '1.2.840.10008.1.2.4.112': ('JPEG XL', 'JPEGXL'),
    '1.2.840.10008.1.2.4.201': ('High-Throughput JPEG 2000 Image Compression (Lossless Only)', 'HTJ2KLossless'),
    '1.2.840.10008.1.2.4.202': ('High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only)',
                                'HTJ2KLosslessRPCL'),
    '1.2.840.10008.1.2.4.203': ('High-Throughput JPEG 2000 Image Compression', 'HTJ2K'),
    '1.2.840.10008.1.2.4.204': ('JPIP HTJ2K Referenced', 'JPIPHTJ2KReferenced'),
    '1.2.840.10008.1.2.4.205': ('JPIP HTJ2K Referenced Deflate', 'JPIPHTJ2KReferencedDeflate'),
    '1.2.840.10008.1.2.8.1': ('Deflated Image Frame Compression', 'DeflatedImageFrameCompression'),
}

# Encoding properties (PS3.5 §10 and Annex A), not in either source. Keys are UIDs; values are
# (byte order, VR mode, encapsulated, lossy). `deflated` (PS3.5 §A.5: the data set after the
# meta group is deflated) is derived from the UID below. "lossy" means "may be lossy".
LE, BE, IMP, EXP = 'little', 'big', 'implicit', 'explicit'
_JPEG_LOSSY = ['52', '53', '54', '55', '56', '59', '60', '61', '62', '63', '64']
_JPEG_LOSSLESS = ['57', '58', '65', '66', '70']
_MPEG = ['100', '101', '102', '103', '104', '105', '106', '107', '108',
         '100.1', '101.1', '102.1', '103.1', '104.1', '105.1', '106.1']
ENCODING = {
    '1.2.840.10008.1.2': (LE, IMP, False, False),
    '1.2.840.10008.1.2.1': (LE, EXP, False, False),
    '1.2.840.10008.1.2.1.98': (LE, EXP, True, False),   # §A.4.11: one fragment per frame, native
    '1.2.840.10008.1.2.1.99': (LE, EXP, False, False),  # §A.5
    '1.2.840.10008.1.2.2': (BE, EXP, False, False),     # §A.3, retired
    '1.2.840.10008.1.2.4.50': (LE, EXP, True, True),
    '1.2.840.10008.1.2.4.51': (LE, EXP, True, True),
    '1.2.840.10008.1.2.4.80': (LE, EXP, True, False),
    '1.2.840.10008.1.2.4.81': (LE, EXP, True, True),
    '1.2.840.10008.1.2.4.90': (LE, EXP, True, False),
    '1.2.840.10008.1.2.4.91': (LE, EXP, True, True),
    '1.2.840.10008.1.2.4.92': (LE, EXP, True, False),
    '1.2.840.10008.1.2.4.93': (LE, EXP, True, True),
    # §A.6/A.7: JPIP Referenced has no Pixel Data (Pixel Data Provider URL instead); the
    # referenced JPEG 2000 stream may be lossy.
    '1.2.840.10008.1.2.4.94': (LE, EXP, False, True),
    '1.2.840.10008.1.2.4.95': (LE, EXP, False, True),
    '1.2.840.10008.1.2.4.110': (LE, EXP, True, False),
    # JPEG XL JPEG Recompression reconstructs a (lossy) JPEG baseline/extended image.
    '1.2.840.10008.1.2.4.111': (LE, EXP, True, True),
    '1.2.840.10008.1.2.4.112': (LE, EXP, True, True),
    '1.2.840.10008.1.2.4.201': (LE, EXP, True, False),
    '1.2.840.10008.1.2.4.202': (LE, EXP, True, False),
    '1.2.840.10008.1.2.4.203': (LE, EXP, True, True),
    '1.2.840.10008.1.2.4.204': (LE, EXP, False, True),
    '1.2.840.10008.1.2.4.205': (LE, EXP, False, True),
    '1.2.840.10008.1.2.5': (LE, EXP, True, False),      # §A.4.2, Annex G
    # Retired web encodings (PS3.5 2004 Annex A.8/A.9): not binary data sets.
    '1.2.840.10008.1.2.6.1': (LE, EXP, False, False),
    '1.2.840.10008.1.2.6.2': (LE, EXP, False, False),
    # §A.8-A.10: SMPTE ST 2110 essence travels outside the data set (no Pixel Data).
    '1.2.840.10008.1.2.7.1': (LE, EXP, False, False),
    '1.2.840.10008.1.2.7.2': (LE, EXP, False, False),
    '1.2.840.10008.1.2.7.3': (LE, EXP, False, False),
    '1.2.840.10008.1.2.8.1': (LE, EXP, True, False),    # §A.4.13: each frame deflated
    '1.2.840.10008.1.20': (LE, IMP, False, False),      # Papyrus 3, retired
}
for _p in _JPEG_LOSSY:
    ENCODING['1.2.840.10008.1.2.4.' + _p] = (LE, EXP, True, True)
for _p in _JPEG_LOSSLESS:
    ENCODING['1.2.840.10008.1.2.4.' + _p] = (LE, EXP, True, False)
for _p in _MPEG:
    ENCODING['1.2.840.10008.1.2.4.' + _p] = (LE, EXP, True, True)
DEFLATED_DATA_SET = {'1.2.840.10008.1.2.1.99', '1.2.840.10008.1.2.4.95', '1.2.840.10008.1.2.4.205'}


def fail(message):
    sys.exit('extract.py: ' + message)


def yn(flag):
    return 'Y' if flag else 'N'


def check_field(text):
    if '\t' in text or '\n' in text or '\r' in text:
        fail(f'field contains a tab or newline: {text!r}')
    return text


def uid_key(uid):
    return [int(part) for part in uid.split('.')]


def pattern_matches(pattern, tag):
    """pattern '(60xx,3000)' matches tag '(6002,3000)' (x = any hex digit)."""
    return len(pattern) == len(tag) and all(p == 'x' or p == t for p, t in zip(pattern, tag))


def dcmtk_tag_to_pattern(field):
    """DCMTK '(6000-60FF,3000)' / '(0020,3100-31FF)' -> PS3.6 '(60xx,3000)' / '(0020,31xx)'."""
    m = re.fullmatch(r'\(([0-9A-F]{4})(?:-([0-9A-F]{4}))?,([0-9A-F]{4})(?:-([0-9A-F]{4}))?\)', field)
    if not m:
        fail(f'unsupported DCMTK tag notation {field}')

    def part(lo, hi):
        if hi is None:
            return lo
        out = ''.join(a if a == b else 'x' for a, b in zip(lo, hi))
        # A range must be expressible as trailing wildcard digits: lo..hi = XX00..XXFF.
        if any(a != b and (a, b) != ('0', 'F') for a, b in zip(lo, hi)):
            fail(f'range {lo}-{hi} is not a wildcard pattern')
        return out

    return '(' + part(m.group(1), m.group(2)) + ',' + part(m.group(3), m.group(4)) + ')'


def read_dcmtk():
    entries = {}
    for line in DCMTK_DIC.read_text(encoding='ascii').splitlines():
        if not line or line.startswith('#'):
            continue
        fields = line.split('\t')
        if len(fields) != 5:
            fail(f'bad DCMTK line {line!r}')
        tag, vr, name, vm, version = fields
        if version in DCMTK_SYNTHETIC_VERSIONS:
            continue
        if '-o-' in tag or '-u-' in tag:
            fail(f'odd/any-group range outside the pseudo-entries: {line!r}')
        pattern = dcmtk_tag_to_pattern(tag)
        retired = name.startswith('RETIRED_') or version == 'DICOM/retired'
        entries[pattern] = {'vr': vr, 'keyword': name.removeprefix('RETIRED_'), 'vm': vm,
                            'retired': retired, 'version': version}
    return entries


def read_pydicom():
    entries = {}
    for key, (vr, vm, name, retired, keyword) in DicomDictionary.items():
        entries['(%04X,%04X)' % (key >> 16, key & 0xFFFF)] = (vr, vm, name, retired, keyword)
    for key, value in RepeatersDictionary.items():
        entries['(' + key[:4] + ',' + key[4:] + ')'] = value
    return entries


def merge_dictionary(notes):
    dcmtk = read_dcmtk()
    pyd = read_pydicom()
    pyd_repeaters = [p for p in pyd if 'x' in p]
    rows = {}
    for pattern, d in dcmtk.items():
        if pattern not in pyd:
            # DCMTK lists one concrete instance of some PS3.6 repeating entries, e.g. (0028,0410)
            # for (0028,04x0); fold it into pydicom's repeating row.
            covering = [r for r in pyd_repeaters if pattern_matches(r, pattern)]
            if covering:
                rep = pyd[covering[0]]
                if len(covering) != 1 or rep[4] != d['keyword'] or rep[1] != d['vm']:
                    fail(f'{pattern} does not fold cleanly into {covering}')
                notes.append(f'folded DCMTK {pattern} {d["keyword"]} into pydicom {covering[0]}')
                continue
        vr = d['vr']
        p = pyd.get(pattern)
        if vr in DCMTK_AMBIGUOUS:
            ps36 = DCMTK_AMBIGUOUS[vr]
            if p is not None and p[0] != ps36:
                if not set(p[0].split(' or ')) <= set(ps36.split(' or ')):
                    fail(f'{pattern}: pydicom VR {p[0]} outside DCMTK {vr}')
                notes.append(f'{pattern} {d["keyword"]}: DCMTK "{vr}" ({ps36}) -> PS3.6 "{p[0]}" (pydicom)')
                ps36 = p[0]
            vr = ps36
        elif p is not None and p[0] != vr:
            notes.append(f'{pattern}: VR DCMTK {vr} vs pydicom {p[0]}: kept DCMTK')
        if p is not None:
            vm, name, retired, keyword = p[1], p[2], p[3] == 'Retired', p[4]
            if keyword != d['keyword']:
                notes.append(f'{pattern}: keyword DCMTK {d["keyword"]} vs pydicom {keyword}: kept pydicom')
            if vm != d['vm']:
                notes.append(f'{pattern}: VM DCMTK {d["vm"]} vs pydicom {vm}: kept pydicom')
            if retired != d['retired']:
                notes.append(f'{pattern} {keyword}: retired DCMTK {yn(d["retired"])} vs pydicom '
                             f'{yn(retired)}: kept pydicom')
        else:
            if pattern not in NAMES_NOT_IN_PYDICOM:
                fail(f'{pattern} {d["keyword"]} is only in DCMTK and has no name: add it to NAMES_NOT_IN_PYDICOM')
            vm, name, retired, keyword = d['vm'], NAMES_NOT_IN_PYDICOM[pattern], d['retired'], d['keyword']
            notes.append(f'{pattern} {keyword}: only in DCMTK ({d["version"]})')
        rows[pattern] = (vr, vm, keyword, name, retired)
    for pattern, (vr, vm, name, retired, keyword) in pyd.items():
        if pattern in rows:
            continue
        folded = any(pattern_matches(pattern, t) for t in dcmtk if t not in pyd)
        # pydicom writes "Retired-blank" for the retired PS3.6 rows that have neither name nor
        # keyword; PS3.6 leaves both empty.
        if name == 'Retired-blank':
            name = ''
        rows[pattern] = (vr, vm, keyword, name, retired == 'Retired')
        if not folded:
            notes.append(f'{pattern} {keyword or "(no keyword)"}: only in pydicom')
    return rows


def sort_key_tag(pattern):
    return int(pattern[1:5].replace('x', '0') + pattern[6:10].replace('x', '0'), 16), pattern


def write_dictionary(out, notes):
    rows = merge_dictionary(notes)
    keywords = {}
    for pattern, (vr, vm, keyword, name, retired) in rows.items():
        for f in (vr, vm, keyword, name):
            check_field(f)
        if not re.fullmatch(r'(NONE|[A-Z]{2}( or [A-Z]{2})*)', vr):
            fail(f'{pattern}: bad VR {vr}')
        if keyword:
            keywords.setdefault(keyword, []).append(pattern)
    for keyword, patterns in keywords.items():
        if len(patterns) > 1:
            notes.append(f'keyword {keyword} used by {patterns}')
    lines = ['tag\tvr\tvm\tkeyword\tname\tretired']
    for pattern in sorted(rows, key=sort_key_tag):
        vr, vm, keyword, name, retired = rows[pattern]
        lines.append('\t'.join([pattern, vr, vm, keyword, name, yn(retired)]))
    (out / 'dicom.tsv').write_text('\n'.join(lines) + '\n', encoding='utf-8')
    return len(rows), sum('x' in p for p in rows)


def all_uids():
    uids = {uid: (name, kind, retired == 'Retired', keyword)
            for uid, (name, kind, _info, retired, keyword) in UID_dictionary.items()}
    for uid, (name, keyword) in NEWER_TRANSFER_SYNTAXES.items():
        if uid in uids:
            fail(f'{uid} is already in pydicom: drop it from NEWER_TRANSFER_SYNTAXES')
        uids[uid] = (name, 'Transfer Syntax', False, keyword)
    return uids


def write_uids(out):
    uids = all_uids()
    lines = ['uid\tname\ttype\tretired\tkeyword']
    for uid in sorted(uids, key=uid_key):
        name, kind, retired, keyword = uids[uid]
        if not re.fullmatch(r'[0-9]+(\.[0-9]+)*', uid) or len(uid) > 64:
            fail(f'bad UID {uid!r}')
        lines.append('\t'.join([uid, check_field(name), check_field(kind), yn(retired), check_field(keyword)]))
    (out / 'uids.tsv').write_text('\n'.join(lines) + '\n', encoding='utf-8')
    return uids


def write_transfer_syntaxes(out, uids):
    ts = sorted((u for u, v in uids.items() if v[1] == 'Transfer Syntax'), key=uid_key)
    missing = set(ENCODING) ^ set(ts)
    if missing:
        fail(f'transfer syntaxes without encoding properties (or stale ones): {sorted(missing)}')
    lines = ['uid\tname\tkeyword\tbyte_order\tvr\tencapsulated\tlossy\tdeflated\tretired']
    for uid in ts:
        name, _kind, retired, keyword = uids[uid]
        order, mode, encapsulated, lossy = ENCODING[uid]
        lines.append('\t'.join([uid, name, keyword, order, mode, yn(encapsulated), yn(lossy),
                                yn(uid in DEFLATED_DATA_SET), yn(retired)]))
    (out / 'transfer_syntaxes.tsv').write_text('\n'.join(lines) + '\n', encoding='utf-8')
    return len(ts)


def main():
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent
    notes = []
    entries, repeaters = write_dictionary(out, notes)
    uids = write_uids(out)
    ts = write_transfer_syntaxes(out, uids)
    for note in notes:
        print('note:', note)
    print(f'pydicom {pydicom_version}, {DCMTK_DIC}')
    print(f'dicom.tsv: {entries} entries ({repeaters} repeating); uids.tsv: {len(uids)}; '
          f'transfer_syntaxes.tsv: {ts}')


if __name__ == '__main__':
    main()
