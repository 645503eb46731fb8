#!/usr/bin/env bash
# Builds classify.cpp, the model compiled into a program, twice and checks it:
#   host       with -fno-exceptions -fno-rtti, run: no heap allocation while
#              classifying, the same predictions as at export; once more
#              with FORMA_SCALAR_ONLY, the kernels a microcontroller runs
#   Cortex-M4  arm-none-eabi-g++ with newlib-nano, linked; prints text/data/bss
#              and fails unless it fits 256 KB of flash and 64 KB of RAM
# and checks, on both, that the weights are in a read-only section and that
# nothing in the program needs a dynamic initialiser.
#
# usage: examples/embedded/build.sh      (from anywhere; needs g++ or $CXX, and
#        gcc-arm-none-eabi, libnewlib-arm-none-eabi, libstdc++-arm-none-eabi-newlib,
#        unless SKIP_CORTEX_M4=1)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cxx="${CXX:-g++}"
arm_cxx="${ARM_CXX:-arm-none-eabi-g++}"
arm_size="${ARM_SIZE:-arm-none-eabi-size}"
host_include="${HOST_INCLUDE:-/usr/include}"  # where Boost and xsimd are
flash_limit=$((256 * 1024))
ram_limit=$((64 * 1024))

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

common=(-std=c++20 -O2 -fno-exceptions -fno-rtti -Wall -Wextra -Wpedantic -Werror -I"$root/include" -I"$here")
m4=(-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16)

fail() { echo "build.sh: $*" >&2; exit 1; }

# The weights symbol must sit in a read-only section, and no object may need
# code before main (a dynamic initialiser). probe.cpp odr-uses the view, so
# its symbol is emitted: a constant (.rodata, or .data.rel.ro in a PIE,
# read-only once relocated).
check_sections() {  # objdump, object file, label
  local objdump="$1" obj="$2" label="$3" table sections
  table="$("$objdump" -t "$obj")"
  grep -Eq '\.rodata[^ ]*[[:space:]].*_ZN11fashion_mlp7weightsE$' <<<"$table" ||
    fail "$label: fashion_mlp::weights is not in a .rodata section"
  grep -Eq '(\.rodata|\.data\.rel\.ro)[^ ]*[[:space:]].*_ZN11fashion_mlp5modelE$' <<<"$table" ||
    fail "$label: fashion_mlp::model is not in a read-only section"
  sections="$("$objdump" -h "$obj")"
  if grep -q '_GLOBAL__sub_I' <<<"$table" || grep -q 'init_array' <<<"$sections"; then
    fail "$label: $obj has a dynamic initialiser"
  fi
  section_of() { awk -v s="$1" '$NF == s { print $(NF-2); exit }' <<<"$table"; }
  echo "$label: weights in $(section_of _ZN11fashion_mlp7weightsE)," \
       "view in $(section_of _ZN11fashion_mlp5modelE), no dynamic initialiser"
}
printf '%s\n' '#include "fashion_mlp_weights.hpp"' \
  'const forma::ModelView<fashion_mlp::model_type>* model_address() { return &fashion_mlp::model; }' >"$out/probe.cpp"

echo "== host ($cxx)"
# classify.cpp may use only the inference headers.
deps="$("$cxx" "${common[@]}" -march=native -MM "$here/classify.cpp")"
if grep -Eo 'forma/(train|data|io|plot)/[^ ]*' <<<"$deps"; then
  fail "classify.cpp includes headers beyond inference (above)"
fi
"$cxx" "${common[@]}" -march=native "$here/classify.cpp" -o "$out/classify"
"$out/classify"
echo "== host, FORMA_SCALAR_ONLY (the microcontroller's kernels)"
"$cxx" "${common[@]}" -DFORMA_SCALAR_ONLY "$here/classify.cpp" -o "$out/classify_scalar"
"$out/classify_scalar"
"$cxx" "${common[@]}" -march=native -c "$out/probe.cpp" -o "$out/probe.o"
check_sections objdump "$out/probe.o" "host"

if [[ "${SKIP_CORTEX_M4:-0}" == 1 ]]; then
  echo "== Cortex-M4: skipped (SKIP_CORTEX_M4=1)"
  exit 0
fi
command -v "$arm_cxx" >/dev/null ||
  fail "$arm_cxx not found: apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib"
echo "== Cortex-M4 ($arm_cxx, newlib-nano)"
# Boost.Hana and xsimd's configuration header come from the host's include
# folder, but not the rest of it: the target's C library is newlib's.
mkdir -p "$out/host_include"
ln -s "$host_include/boost" "$out/host_include/boost"
ln -s "$host_include/xsimd" "$out/host_include/xsimd"
"$arm_cxx" "${m4[@]}" "${common[@]}" -isystem "$out/host_include" --specs=nano.specs --specs=nosys.specs \
  "$here/classify.cpp" -o "$out/classify_m4.elf"
"$arm_cxx" "${m4[@]}" "${common[@]}" -isystem "$out/host_include" -c "$out/probe.cpp" -o "$out/probe_m4.o"
check_sections "${arm_cxx%g++}objdump" "$out/probe_m4.o" "Cortex-M4"
"$arm_size" "$out/classify_m4.elf"
read -r text data bss _ < <("$arm_size" "$out/classify_m4.elf" | tail -1)
flash=$((text + data))
ram=$((data + bss))
echo "Cortex-M4: flash $flash bytes (text + data) of $flash_limit, static RAM $ram bytes (data + bss) of $ram_limit"
((flash <= flash_limit)) || fail "the Cortex-M4 program does not fit $flash_limit bytes of flash"
((ram <= ram_limit)) || fail "the Cortex-M4 program does not fit $ram_limit bytes of RAM"
