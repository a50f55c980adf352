#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Converts the whole corpus directory to PNG with `dicompix convert -j 2` (and -j 1) and with a loop of DCMTK's
# dcm2pnm over the same files, in one hyperfine run; then the same on only the files DCMTK can decode.
#
#   bench/convert_vs_dcm2pnm.sh BUILD_DIR [CORPUS_DIR] [RUNS]
#
# Both sides convert every frame of every file to 8-bit PNG:
#   dicompix: `dicompix convert -j N --quiet DIR OUT` (directory mode: every frame, the file's first VOI window,
#             else its VOI LUT, else min-max; PNG with the UP filter and zlib's run-length strategy)
#   DCMTK:    one process per file, `dcm2pnm +Fa +on -il FILE OUT.png` (all frames, PNG, not interlaced, DCMTK's
#             default VOI: none), with dcmj2pnm for JPEG and dcml2pnm for JPEG-LS files (dcm2pnm itself has no
#             JPEG codecs). DCMTK fails quickly on the JPEG 2000 / HTJ2K files it cannot decode, which dicompix
#             decodes (most of its time), so the first comparison favours DCMTK; the second uses only the files
#             DCMTK can decode (links to them in one directory), the same work on both sides.
# The file list is MANIFEST.tsv's (the DICOM files of the corpus); in the first run dicompix also walks the
# non-DICOM files of the directory (licences, notes) and skips them.
set -eu
build=${1:?usage: convert_vs_dcm2pnm.sh BUILD_DIR [CORPUS_DIR] [RUNS]}
here=$(cd "$(dirname "$0")" && pwd)
corpus=${2:-$here/../../shared/corpus}
runs=${3:-5}
dicompix=$(cd "$build" && pwd)/tools/dicompix
command -v hyperfine >/dev/null || { echo "hyperfine is not installed" >&2; exit 1; }
command -v dcm2pnm >/dev/null || { echo "DCMTK (dcm2pnm) is not installed" >&2; exit 1; }
[ -f "$corpus/MANIFEST.tsv" ] || { echo "no corpus at $corpus" >&2; exit 1; }
corpus=$(cd "$corpus" && pwd)

work=$(mktemp -d /tmp/dicompix-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

# The DCMTK loops (one line per file, the tool chosen by transfer syntax) and the directory of links.
/usr/bin/python3 - "$corpus" "$work" <<'PYTHON'
import csv, os, shlex, sys
corpus, work = sys.argv[1], sys.argv[2]
jpeg = {"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70"}
jpeg_ls = {"1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81"}
no_dcmtk = ("1.2.840.10008.1.2.4.9", "1.2.840.10008.1.2.4.20", "1.2.840.10008.1.2.4.11")  # J2K, HTJ2K, JPEG XL
os.makedirs(os.path.join(work, "decodable"))
with open(os.path.join(corpus, "MANIFEST.tsv"), newline="") as f:
    rows = list(csv.DictReader(f, delimiter="\t"))
for name, subset in (("all", rows), ("decodable", [r for r in rows if not r["transfer_syntax_uid"].startswith(no_dcmtk)])):
    out = os.path.join(work, "dcmtk_" + name)
    with open(os.path.join(work, f"dcmtk_{name}.sh"), "w") as script:
        script.write(f"#!/bin/sh\nrm -rf {shlex.quote(out)}; mkdir -p {shlex.quote(out)}\n")
        for i, row in enumerate(subset):
            ts = row["transfer_syntax_uid"]
            tool = "dcmj2pnm" if ts in jpeg else "dcml2pnm" if ts in jpeg_ls else "dcm2pnm"
            src = shlex.quote(os.path.join(corpus, row["path"]))
            dst = shlex.quote(os.path.join(out, f"{i:04d}.png"))
            script.write(f"{tool} -q +Fa +on -il {src} {dst} 2>/dev/null || true\n")
    if name == "decodable":
        for i, row in enumerate(subset):
            os.symlink(os.path.join(corpus, row["path"]), os.path.join(work, "decodable", f"{i:04d}.dcm"))
    print(f"{name}: {len(subset)} files")
PYTHON
echo "corpus: $corpus; dicompix: $dicompix; CPUs: $(nproc); load average: $(cut -d' ' -f1-3 /proc/loadavg)"

# What each side produced, once, for the record.
"$dicompix" convert -j 2 --quiet "$corpus" "$work/dicompix" | head -1 || true
sh "$work/dcmtk_all.sh"
echo "DCMTK wrote $(find "$work/dcmtk_all" -name '*.png' | wc -l) PNG files; dicompix $(find "$work/dicompix" -name '*.png' | wc -l)"

echo
echo "== 1. the whole corpus directory (dicompix also decodes the JPEG 2000 / HTJ2K files DCMTK cannot)"
hyperfine --ignore-failure --warmup 1 --runs "$runs" --export-markdown "$work/all.md" \
    -n "dicompix convert -j 2" "rm -rf $work/dicompix && $dicompix convert -j 2 --quiet $corpus $work/dicompix > /dev/null" \
    -n "dicompix convert -j 1" "rm -rf $work/dicompix && $dicompix convert -j 1 --quiet $corpus $work/dicompix > /dev/null" \
    -n "dcm2pnm loop" "sh $work/dcmtk_all.sh"
echo
echo "== 2. only the files DCMTK can decode, the same work on both sides"
hyperfine --ignore-failure --warmup 1 --runs "$runs" --export-markdown "$work/decodable.md" \
    -n "dicompix convert -j 2" "rm -rf $work/dicompix && $dicompix convert -j 2 --quiet $work/decodable $work/dicompix > /dev/null" \
    -n "dcm2pnm loop" "sh $work/dcmtk_decodable.sh"
echo
cat "$work/all.md"
echo
cat "$work/decodable.md"
