#!/usr/bin/env bash
# What compiling forma costs: the seed example (examples/seed_mlp.cpp), a
# 30-layer MLP that is trained and run (bench/compile/mlp30.cpp) and a graph
# of 20 residual blocks (bench/compile/residual20.cpp), under g++
# and clang++-14 at -O2 (and g++ at -O0, for information), with the flags the
# meson build uses. Each compile (-c, one process, so single-threaded) runs
# REPEATS times under /usr/bin/time -v; the table gives the medians of CPU
# time (user + sys), wall time and the compiler's peak memory.
#   bench/compile_cost.sh            print the table and the target verdict
#   bench/compile_cost.sh --check    also exit 1 when the target is missed
#   REPEATS=1 bench/compile_cost.sh  one compile each (default 3)
# Target: the seed example compiles in under 20 s of CPU time with g++ -O2.
# CPU time, not wall: on a shared machine the wall clock also counts waiting.
set -euo pipefail
cd "$(dirname "$0")/.."
check=0
[[ "${1:-}" == "--check" ]] && check=1
repeats=${REPEATS:-3}
target_s=20

scripts/install-deps.sh
out=build/compile-cost
mkdir -p "$out"

# The flags of build/gcc's compile_commands.json, less the optimization level
# (the release build uses -O3) and the dependency-file options.
common=(-std=c++20 -march=native -Iinclude -Wall -Wextra -Wpedantic -Werror
        -D_FILE_OFFSET_BITS=64 -DBOOST_ALL_NO_LIB)
read -ra xsimd_flags <<< "$(pkg-config --cflags xsimd)"
read -ra seed_flags <<< "$(pkg-config --cflags xsimd libpng zlib)"  # seed_mlp also writes PNGs, reads .gz

# Median of the numbers on stdin (the lower middle one for an even count).
median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
# /usr/bin/time's "Elapsed (wall clock) time" is [h:]m:ss.ss; in seconds.
to_seconds() { awk -F: '{s = 0; for (i = 1; i <= NF; ++i) s = s * 60 + $i; print s}'; }

printf '%-10s %-11s %-4s %12s %8s %12s\n' program compiler opt "user+sys s" "wall s" "peak RSS MB"
verdict_s=""
for prog in seed_mlp mlp30 residual20; do
  if [[ $prog == seed_mlp ]]; then src=examples/seed_mlp.cpp; flags=("${seed_flags[@]}")
  else src=bench/compile/$prog.cpp; flags=("${xsimd_flags[@]}"); fi
  for cxx in g++ clang++-14; do
    opts=(-O2); [[ $cxx == g++ ]] && opts+=(-O0)
    for opt in "${opts[@]}"; do
      cpu=(); wall=(); rss=()
      for ((r = 0; r < repeats; ++r)); do
        t="$out/time.txt"
        if ! /usr/bin/time -v -o "$t" "$cxx" "${common[@]}" "${flags[@]}" "$opt" -c "$src" \
             -o "$out/$prog-$cxx$opt.o" 2> "$out/compiler.log"; then
          cat "$out/compiler.log" "$t" >&2
          exit 1
        fi
        user=$(awk -F': ' '/User time/ {print $2}' "$t")
        sys=$(awk -F': ' '/System time/ {print $2}' "$t")
        cpu+=("$(awk -v u="$user" -v s="$sys" 'BEGIN {print u + s}')")
        wall+=("$(awk -F': ' '/Elapsed/ {print $2}' "$t" | to_seconds)")
        rss+=("$(awk -F': ' '/Maximum resident/ {print $2}' "$t")")  # kB
      done
      cpu_m=$(printf '%s\n' "${cpu[@]}" | median)
      wall_m=$(printf '%s\n' "${wall[@]}" | median)
      rss_m=$(printf '%s\n' "${rss[@]}" | median)
      printf '%-10s %-11s %-4s %12.2f %8.2f %12d\n' "$prog" "$cxx" "$opt" "$cpu_m" "$wall_m" $((rss_m / 1024))
      if [[ $prog == seed_mlp && $cxx == g++ && $opt == -O2 ]]; then verdict_s=$cpu_m; fi
    done
  done
done

echo "(medians of $repeats; -c only, no link)"
if awk -v s="$verdict_s" -v t="$target_s" 'BEGIN {exit !(s < t)}'; then
  echo "target met: seed_mlp compiles in ${verdict_s} s with g++ -O2 (under ${target_s} s)"
else
  echo "target MISSED: seed_mlp takes ${verdict_s} s with g++ -O2 (target: under ${target_s} s)"
  if ((check)); then exit 1; fi
fi
