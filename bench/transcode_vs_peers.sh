#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Peak memory and time of transcoding the 1000-frame 512x512 16-bit sample (~524 MB, Explicit VR Little Endian,
# `testdata/generate.py OUTDIR --large`) to RLE Lossless and to JPEG-LS Lossless with dicompix, DCMTK and GDCM,
# on the same file in one run. Each command runs RUNS times (round robin, so a change of machine load hits every
# tool alike) under `/usr/bin/time -f '%e %M'`; the table gives the medians and the ratios to dicompix (one
# thread, as DCMTK and GDCM).
#
#   bench/transcode_vs_peers.sh BUILD_DIR [WORK_DIR] [RUNS] [MAX_LOAD]
#
#   dicompix:  dicompix transcode --quiet @IN@ @OUT@ --transfer-syntax RLELossless | JPEGLSLossless  (-j 1, and -j 2)
#   DCMTK:     dcmcrle @IN@ @OUT@;  dcmcjpls @IN@ @OUT@            (3.6.7; dcmcjpls default: lossless)
#   GDCM:      gdcmconv --rle @IN@ @OUT@;  gdcmconv --jpegls @IN@ @OUT@   (3.0.21; --jpegls default: lossless)
#
# Before measuring, the script waits (polling every 30 s, at most 30 minutes) until the 1-minute load average
# is below MAX_LOAD (default 2), and prints the load at the start and the end.
set -eu
build=${1:?usage: transcode_vs_peers.sh BUILD_DIR [WORK_DIR] [RUNS] [MAX_LOAD]}
work=${2:-/tmp/dicompix-bench-transcode}
runs=${3:-3}
max_load=${4:-2}
here=$(cd "$(dirname "$0")" && pwd)
dicompix=$(cd "$build" && pwd)/tools/dicompix
[ -x "$dicompix" ] || { echo "no $dicompix (ninja -C $build dicompix_cli)" >&2; exit 1; }
for t in dcmcrle dcmcjpls gdcmconv; do
    command -v "$t" >/dev/null || { echo "$t is not installed (dcmtk, libgdcm-tools)" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "/usr/bin/time is not installed (apt-get install time)" >&2; exit 1; }

mkdir -p "$work"
in="$work/multiframe_1000.dcm"
if [ ! -f "$in" ]; then
    /usr/bin/python3 "$here/../testdata/generate.py" "$work" --large > /dev/null
fi
out="$work/out"
rm -rf "$out"
mkdir -p "$out"
trap 'rm -rf "$out"' EXIT

load() { cut -d' ' -f1 /proc/loadavg; }
waited=0
while [ "$(awk -v l="$(load)" -v m="$max_load" 'BEGIN { print (l < m) }')" != 1 ]; do
    if [ "$waited" -ge 1800 ]; then
        echo "load average still $(load) after 30 minutes; measuring anyway" >&2
        break
    fi
    sleep 30
    waited=$((waited + 30))
done
start_load=$(cut -d' ' -f1-3 /proc/loadavg)

# name|command (@IN@ and @OUT@ are substituted)
cases="dicompix rle|$dicompix transcode --quiet @IN@ @OUT@ --transfer-syntax RLELossless
dicompix rle -j 2|$dicompix transcode --quiet -j 2 @IN@ @OUT@ --transfer-syntax RLELossless
dcmcrle|dcmcrle @IN@ @OUT@
gdcmconv --rle|gdcmconv --rle @IN@ @OUT@
dicompix jpeg-ls|$dicompix transcode --quiet @IN@ @OUT@ --transfer-syntax JPEGLSLossless
dicompix jpeg-ls -j 2|$dicompix transcode --quiet -j 2 @IN@ @OUT@ --transfer-syntax JPEGLSLossless
dcmcjpls|dcmcjpls @IN@ @OUT@
gdcmconv --jpegls|gdcmconv --jpegls @IN@ @OUT@"

results="$work/results.txt"
: > "$results"
i=1
while [ "$i" -le "$runs" ]; do
    echo "$cases" | while IFS='|' read -r name cmd; do
        target="$out/$(echo "$name" | tr -c 'a-z0-9\n' '_').dcm"
        rm -f "$target"
        command=$(echo "$cmd" | sed "s|@IN@|$in|; s|@OUT@|$target|")
        # shellcheck disable=SC2086
        /usr/bin/time -f '%e %M' -o "$work/time.txt" $command > /dev/null 2>&1 || echo "$name failed" >&2
        echo "$name|$(cat "$work/time.txt")|$(stat -c %s "$target" 2>/dev/null || echo 0)" >> "$results"
        rm -f "$target"
    done
    i=$((i + 1))
done

echo "input: $in ($(stat -c %s "$in") bytes); $runs runs each; CPUs: $(nproc); load average at start: $start_load," \
     "at end: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 - "$results" <<'PYTHON'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, measure, size = line.rstrip("\n").split("|")
    seconds, kb = measure.split()
    rows.setdefault(name, []).append((float(seconds), int(kb), int(size)))
def med(name, k):
    return statistics.median(r[k] for r in rows[name])
print()
print("| command | time (s, median) | peak RSS (MB, median) | output (MB) | time / dicompix | peak RSS / dicompix |")
print("|---|---:|---:|---:|---:|---:|")
for name in rows:
    base = "dicompix rle" if "rle" in name else "dicompix jpeg-ls"
    t, m = med(name, 0), med(name, 1) / 1024
    bt, bm = med(base, 0), med(base, 1) / 1024
    print(f"| {name} | {t:.2f} | {m:.1f} | {med(name, 2) / 1e6:.1f} | {t / bt:.2f} | {m / bm:.2f} |")
PYTHON
