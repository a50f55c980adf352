#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The main job: make the project's sample DICOM files, render them to PNG with `dicompix convert` (single
# files and the parallel directory mode), and say where the PNGs are.
#   main-job.sh BUILD_DIR
set -eu
build=${1:-build}
dicompix="$build/tools/dicompix"
samples="$build/samples"
png="$build/png"
/usr/bin/python3 "$(dirname "$0")/../testdata/generate.py" "$samples"
echo "== dicompix info $samples/ct_phantom.dcm"
"$dicompix" info "$samples/ct_phantom.dcm"

rm -rf "$png"
mkdir -p "$png/single"
echo
echo "== single files (--verbose says what the display pipeline does)"
# CT: Rescale to Hounsfield units, then the file's soft-tissue window.
"$dicompix" convert --verbose "$samples/ct_phantom.dcm" "$png/single/ct_phantom.png"
# The same CT with a bone window given on the command line.
"$dicompix" convert --verbose --window 300 1500 "$samples/ct_phantom.dcm" "$png/single/ct_phantom_bone.png"
# The unwindowed Hounsfield units as a 16-bit grey PNG (value + 32768, see the PNG's text chunk).
"$dicompix" convert --verbose --modality16 "$samples/ct_phantom.dcm" "$png/single/ct_phantom_hu16.png"
# MONOCHROME1 radiograph: inverted for display.
"$dicompix" convert --verbose "$samples/cr_mono1.dcm" "$png/single/cr_mono1.png"
# RGB ultrasound.
"$dicompix" convert --verbose "$samples/us_rgb.dcm" "$png/single/us_rgb.png"
# Every frame of a multi-frame MR: mr_multiframe_0000.png ... (min-max window per frame).
"$dicompix" convert --verbose --all-frames "$samples/mr_multiframe.dcm" "$png/single/mr_multiframe.png"

echo
echo "== directory mode: every frame of every sample file, 2 workers"
"$dicompix" convert -j 2 "$samples" "$png/all"

echo
echo "PNG files written under $png:"
find "$png" -name '*.png' | sort | while read -r f; do
    printf '  %s (%s bytes)\n' "$f" "$(wc -c < "$f" | tr -d ' ')"
done
