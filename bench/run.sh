#!/usr/bin/env bash
# The README's performance table in one command. Builds bench_mlp with g++
# (forma, the Eigen and libtorch peers, the machine's limits) and with
# clang++ (forma and the Eigen peer, whose best build the report takes), then
# runs ROUNDS rounds, each the g++ binary, the clang++ binary and
# bench/pytorch_mlp.py one after the other, so that a slow spell of the
# machine falls on all of them. bench/report.py pools the rounds into
# build/bench/results/report.md, which is printed at the end.
#   bench/run.sh                 3 rounds of 5 repetitions (about 15 minutes)
#   QUICK=1 bench/run.sh         1 round of 2 short repetitions, no PyTorch epoch:
#                                a smoke test
# Environment: ROUNDS, REPS, MIN_TIME (seconds a repetition lasts at least),
# BENCH_FILTER (regex on the C++ benchmarks' names), PYTORCH_ARGS (more
# arguments for bench/pytorch_mlp.py, e.g. "--epoch-shapes cifar,fashion"),
# CHECK=1 (exit 1 when a target fails).
set -euo pipefail
cd "$(dirname "$0")/.."

pytorch_quick=()
if [[ ${QUICK:-0} == 1 ]]; then
  rounds=${ROUNDS:-1} reps=${REPS:-2} min_time=${MIN_TIME:-0.1}
  # PyTorch's epoch takes 15 s or more a thread setting, longer than all else.
  pytorch_quick=(--epoch-shapes "")
else
  rounds=${ROUNDS:-3} reps=${REPS:-5} min_time=${MIN_TIME:-0.5}
fi
filter=${BENCH_FILTER:-.}
# Debian's python3 has python3-torch; a python3 earlier on PATH may not.
python=/usr/bin/python3
results=build/bench/results

scripts/install-deps.sh --peers

# The peers tuned as a performance-minded user would (each measured by the
# peers' author here): OpenBLAS 0.3.21 does not recognise this virtual CPU
# and falls back to SSE3 kernels (its batch-256 products go from 31 to 131
# GFLOP/s with the right core type); OpenMP's spinning threads fight
# OpenBLAS's on two cores (libtorch's 2-thread step: 9.6 -> 3.9 ms passive);
# and glibc returns libtorch's 2.4 MB temporaries to the kernel every step
# (4.8 -> 3.2 ms with higher thresholds). forma uses none of these.
if grep -qw avx512f /proc/cpuinfo; then
  export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-SkylakeX}
elif grep -qw avx2 /proc/cpuinfo; then
  export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell}
fi
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
export MALLOC_MMAP_THRESHOLD_=${MALLOC_MMAP_THRESHOLD_:-67108864} MALLOC_TRIM_THRESHOLD_=${MALLOC_TRIM_THRESHOLD_:-134217728}

cpu_model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)
machine="$(nproc) cores, $cpu_model; $(g++ --version | head -1); $(clang++-14 --version | head -1); OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset} OMP_WAIT_POLICY=$OMP_WAIT_POLICY"
# Which BLAS torch runs on decides PyTorch's and libtorch's speed.
torch_info=$($python -c 'import sys; sys.path.insert(0, "bench"); import pytorch_mlp, torch
print("torch", torch.__version__, "on", " ".join(pytorch_mlp.blas_libraries()) or "its own kernels")')
echo "== machine: $machine; $torch_info"
echo "== $rounds round(s) of $reps repetition(s), at least $min_time s each"

setup() {  # setup DIR CXX
  local dir=$1 cxx=$2
  local options=(-Dbuildtype=release -Dpeers=enabled -Dtests=false -Dexamples=false)
  if [[ -f $dir/build.ninja ]]; then
    CXX=$cxx meson setup --reconfigure "$dir" "${options[@]}" >/dev/null
  else
    CXX=$cxx meson setup "$dir" "${options[@]}" >/dev/null
  fi
}
build() {  # build DIR: bench_mlp, its warnings (Eigen's are many) kept in a log
  local log=$1/bench_mlp-build.log
  if ! meson compile -C "$1" bench_mlp >"$log" 2>&1; then
    tail -40 "$log" >&2
    echo "run.sh: building $1 failed; its output is in $log" >&2
    exit 1
  fi
}
start=$SECONDS
setup build/bench g++
setup build/bench-clang clang++-14
build build/bench
build build/bench-clang
echo "== built in $((SECONDS - start)) s"
gcc_bin=build/bench/bench/bench_mlp
clang_bin=build/bench-clang/bench/bench_mlp

# From clang++ only forma and Eigen: peak and libtorch are the g++ run's.
# Google Benchmark takes one regex, so BENCH_FILTER's matches are listed and
# the forma and Eigen ones named exactly.
if [[ $filter == . ]]; then
  clang_filter='^(forma|eigen)/'
else
  clang_names=$("$clang_bin" --benchmark_list_tests --benchmark_filter="$filter" | grep -E '^(forma|eigen)/' || true)
  clang_filter=""
  if [[ -n $clang_names ]]; then
    # shellcheck disable=SC2001  # escaping every metacharacter, line by line
    clang_filter="^($(sed 's/[][\.*^$+?(){}|]/\\&/g' <<<"$clang_names" | paste -sd'|'))\$"
  fi
fi

mkdir -p "$results"
# A shorter run must not pool an earlier run's extra rounds.
rm -f "$results"/{gcc,clang,pytorch}-round*.{json,log} "$results/report.md"

run_cpp() {  # run_cpp BINARY FILTER NAME
  local log=$results/$3.log step_start=$SECONDS
  if ! "$1" --benchmark_filter="$2" --benchmark_repetitions="$reps" --benchmark_min_time="$min_time" \
      --benchmark_enable_random_interleaving=true --benchmark_format=json \
      --benchmark_out="$results/$3.json" >"$log" 2>&1; then
    tail -20 "$log" >&2
    echo "run.sh: $1 failed; its output is in $log" >&2
    exit 1
  fi
  echo "   $3: $((SECONDS - step_start)) s"
}

for ((i = 1; i <= rounds; i++)); do
  echo "== round $i of $rounds"
  run_cpp "$gcc_bin" "$filter" "gcc-round$i"
  if [[ -n $clang_filter ]]; then
    run_cpp "$clang_bin" "$clang_filter" "clang-round$i"
  fi
  step_start=$SECONDS
  # shellcheck disable=SC2086  # PYTORCH_ARGS is a list of arguments
  $python bench/pytorch_mlp.py --repetitions "$reps" --min-time "$min_time" "${pytorch_quick[@]}" \
    --out "$results/pytorch-round$i.json" ${PYTORCH_ARGS:-} >"$results/pytorch-round$i.log" 2>&1 || {
    tail -20 "$results/pytorch-round$i.log" >&2
    echo "run.sh: bench/pytorch_mlp.py failed" >&2
    exit 1
  }
  echo "   pytorch-round$i: $((SECONDS - step_start)) s"
done

report_args=(--machine "$machine")
if [[ ${CHECK:-0} == 1 ]]; then report_args+=(--check); fi
status=0
$python bench/report.py "${report_args[@]}" "$results"/*-round*.json >"$results/report.md" || status=$?
echo "== $results/report.md, after $((SECONDS - start)) s"
cat "$results/report.md"
exit "$status"
