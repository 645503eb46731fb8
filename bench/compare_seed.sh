#!/usr/bin/env bash
# The seed on Fashion-MNIST in forma and in PyTorch, one after the other on
# the same machine, with the same network, optimizer, batch size and epochs;
# both on one thread. Prints each one's test accuracy and training time.
#   bench/compare_seed.sh [epochs]
set -euo pipefail
cd "$(dirname "$0")/.."
epochs=${1:-10}
scripts/install-deps.sh --peers
if [[ -f build/release/build.ninja ]]; then
  meson setup --reconfigure build/release -Dtests=false -Dbench=false >/dev/null
else
  meson setup build/release -Dtests=false -Dbench=false >/dev/null
fi
meson compile -C build/release seed_mlp >/dev/null
echo "== forma ($(g++ --version | head -1), -O3 -march=native)"
build/release/examples/seed_mlp --epochs "$epochs" --out build/release/seed_mlp_output | grep -E "^(training|test)"
echo "== PyTorch"
# One thread for OpenBLAS too (torch.set_num_threads does not reach it), on
# its kernels for this CPU (see bench/run.sh).
if grep -qw avx512f /proc/cpuinfo; then export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-SkylakeX}; fi
OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/pytorch_seed_mlp.py --epochs "$epochs" --threads 1 | tail -1
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
