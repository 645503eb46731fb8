#!/usr/bin/env bash
# What compiling the seed MLP's exported weights costs: exports the seed MLP
# (646,260 floats) with io::export_header, then compiles a program that
# predicts with it, with and without the weights, under g++ and clang++ at
# -O2, and prints user time and peak memory from /usr/bin/time -v.
#   bench/export_compile_cost.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
out=build/export-cost
mkdir -p "$out"
cat > "$out/export.cpp" <<'CPP'
#include <memory>
#include <forma/forma.hpp>
#include <forma/io/export_header.hpp>
using Mlp = forma::Sequential<forma::Input<32, 32, 3>, forma::Flatten, forma::Dense<200, forma::ReLU>,
                              forma::Dense<150, forma::ReLU>, forma::Dense<10, forma::Softmax>>;
int main(int, char** argv) {
  auto m = std::make_unique<Mlp>();
  m->init(42);
  forma::io::export_header(*m, argv[1], "seed");
}
CPP
cat > "$out/use.cpp" <<'CPP'
#include <cstdio>
#ifdef WITH_WEIGHTS
#include "seed_weights.hpp"
const auto& model = seed::model;
#else
#include <forma/forma.hpp>
using Mlp = forma::Sequential<forma::Input<32, 32, 3>, forma::Flatten, forma::Dense<200, forma::ReLU>,
                              forma::Dense<150, forma::ReLU>, forma::Dense<10, forma::Softmax>>;
static Mlp model;
#endif
int main() {
  const auto y = model.predict(forma::Tensor<forma::Shape<32, 32, 3>>::filled(0.5f));
  std::printf("%f\n", static_cast<double>(y[0]));
}
CPP
g++ -std=c++20 -O2 -march=native -Iinclude "$out/export.cpp" -o "$out/export"
"$out/export" "$out/seed_weights.hpp"
echo "exported header: $(du -h "$out/seed_weights.hpp" | cut -f1)"
for cxx in g++ clang++-14; do
  for variant in without WITH; do
    flags=(); [[ $variant == WITH ]] && flags=(-DWITH_WEIGHTS)
    /usr/bin/time -v "$cxx" -std=c++20 -O2 -march=native -Iinclude -I"$out" "${flags[@]}" -c "$out/use.cpp" \
      -o "$out/use.o" 2> "$out/time.txt"
    user=$(grep "User time" "$out/time.txt" | awk '{print $NF}')
    rss=$(grep "Maximum resident" "$out/time.txt" | awk '{print $NF}')
    printf '%-10s %-16s user %6s s, peak memory %5d MB\n' "$cxx" "${variant,,} weights" "$user" $((rss / 1024))
  done
done
