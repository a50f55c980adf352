#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Installs what dicompix needs on Debian 12 (run as root). Every dependency is a Debian package.
#   install-deps.sh          build dependencies (compiler, CMake, codec libraries) and the sample generator's
#                            (python3-pydicom, python3-numpy)
#   install-deps.sh --test   also the test, fuzz and oracle tools (GoogleTest, clang, DCMTK, GDCM, pydicom)
#   install-deps.sh --bench  also the benchmark tools (Google Benchmark, hyperfine, peers)
set -eu

build_packages="build-essential cmake ninja-build pkg-config git
  libboost-dev zlib1g-dev libspng-dev
  libturbojpeg0-dev libjpeg62-turbo-dev libcharls-dev libopenjp2-7-dev libopenjph-dev libjxl-dev
  libdcmtk-dev python3 python3-pydicom python3-numpy"
test_packages="libgtest-dev libgmock-dev clang libclang-rt-14-dev
  dcmtk libgdcm-tools python3-gdcm
  libopenjp2-tools openjph-tools libjpeg-turbo-progs"
bench_packages="libbenchmark-dev hyperfine grokj2k-tools time"

packages="$build_packages"
for arg in "$@"; do
    case "$arg" in
        --test) packages="$packages $test_packages" ;;
        --bench) packages="$packages $test_packages $bench_packages" ;;
        *) echo "usage: $0 [--test] [--bench]" >&2; exit 2 ;;
    esac
done

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps.sh: run as root (or with sudo)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086 # word splitting of the package lists is intended
apt-get install -y -qq --no-install-recommends $packages >/dev/null
echo "install-deps.sh: installed $(echo $packages | wc -w) packages"
