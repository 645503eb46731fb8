#!/usr/bin/env bash
# Installs the Debian packages forma needs; does nothing when they are present.
#   scripts/install-deps.sh          library, tests, examples, benchmarks
#   scripts/install-deps.sh --peers  also the benchmark peers and reference tools
#                                    (Eigen, PyTorch, libtorch), which are large
set -euo pipefail

packages=(
  g++ clang-14 libclang-rt-14-dev      # both compilers; clang's sanitizer runtime
  meson ninja-build cmake pkg-config python3 time
  libboost-dev libxsimd-dev catch2 libbenchmark-dev zlib1g-dev libpng-dev
  dataset-fashion-mnist                # real data: /usr/share/datasets/fashion-mnist
  nlohmann-json3-dev                   # safetensors headers
  libfuzzer-14-dev                     # fuzzing the loaders
  g++-aarch64-linux-gnu qemu-user      # the aarch64 (NEON) build, run under emulation
  gcc-arm-none-eabi binutils-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib  # Cortex-M4
)
if [[ "${1:-}" == "--peers" ]]; then
  # OpenBLAS (pthread build) instead of the reference BLAS that python3-torch
  # and libtorch otherwise call through libblas.so.3: the peers as a user who
  # cares about speed would run them (PyTorch trains the seed MLP about 4x
  # faster on it here: 7.0 against 28 ms a step, bench/pytorch_mlp.py).
  packages+=(libeigen3-dev python3-torch python3-numpy libtorch-dev libopenblas0-pthread)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
