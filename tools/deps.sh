#!/usr/bin/env bash
# Install the Debian packages evsim needs, only those that are missing.
# Prints one line per package it installs and nothing when all is present.
# Usage: tools/deps.sh [--with-validator] [--with-fuzzer]   (the validator's
# Python deps are needed by `make test` only; clang with libFuzzer by
# `make fuzz` only)
set -euo pipefail

missing=()
need() { missing+=("$1"); }

have_pc() { pkg-config --exists "$1" 2>/dev/null; }
have_hdr() { [ -f "/usr/include/$1" ]; }

command -v pkg-config >/dev/null 2>&1 || need pkg-config
command -v gcc >/dev/null 2>&1 || need gcc
command -v make >/dev/null 2>&1 || need make
have_pc yaml-0.1 || have_hdr yaml.h || need libyaml-dev
have_pc libprotobuf-c || have_hdr protobuf-c/protobuf-c.h || need libprotobuf-c-dev
command -v protoc-c >/dev/null 2>&1 || need protobuf-c-compiler
have_hdr uthash.h || need uthash-dev
have_pc check || have_hdr check.h || need check
have_pc libcjson || have_hdr cjson/cJSON.h || need libcjson-dev
have_pc hdf5 || have_hdr hdf5/serial/hdf5.h || need libhdf5-dev
# ONNX workloads: protoc-c compiles the onnx.proto it installs
[ -f /usr/include/onnx/onnx.proto ] || [ -f /usr/include/onnx/onnx-ml.proto ] || need libonnx-dev
have_pc liblz4 || have_hdr lz4frame.h || need liblz4-dev
have_pc libzstd || have_hdr zstd.h || need libzstd-dev
# `evsim sweep` under mpirun (Open MPI; MPICH works too) and its test
have_pc ompi-c || have_pc mpich || command -v mpicc >/dev/null 2>&1 || need mpi-default-dev
command -v mpirun >/dev/null 2>&1 || need mpi-default-bin
# tools/plot.py (sweep and report pictures) and its test
/usr/bin/python3 -c 'import matplotlib' >/dev/null 2>&1 || need python3-matplotlib

with_validator=0 with_fuzzer=0
for a in "$@"; do
  case "$a" in
    --with-validator) with_validator=1 ;;
    --with-fuzzer) with_fuzzer=1 ;;
  esac
done

if [ $with_fuzzer -eq 1 ]; then
  # libFuzzer's runtime ships with Debian's clang.
  command -v clang >/dev/null 2>&1 || need clang
fi

if [ $with_validator -eq 1 ]; then
  # ../shared/tools/perfetto_check.py runs on Debian's python3 with its protobuf.
  [ -x /usr/bin/python3 ] || need python3
  /usr/bin/python3 -c 'import google.protobuf' >/dev/null 2>&1 || need python3-protobuf
  command -v protoc >/dev/null 2>&1 || need protobuf-compiler
  # small real ONNX models (pytorch-converted) for tests/unit/test_onnx.c
  [ -d /usr/share/libonnx-testdata/data ] || need libonnx-testdata
fi

[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || {
    echo "deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
for p in "${missing[@]}"; do echo "deps: installing $p"; done
export DEBIAN_FRONTEND=noninteractive
# apt's chatter goes to a log that is shown only when something fails.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { $SUDO apt-get update -qq && \
       $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "deps: apt-get failed installing: ${missing[*]}" >&2
  exit 1
fi
