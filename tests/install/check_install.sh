#!/usr/bin/env bash
# Proves that forma installs and that downstream projects can use it.
#
#   check_install.sh SOURCE_ROOT SCRATCH_DIR
#
# 1. Configures a fresh build of SOURCE_ROOT (no tests, examples or benchmarks,
#    prefix /usr/local), runs `meson install --destdir SCRATCH_DIR/stage` and
#    checks that every public header, the pkg-config file and the CMake
#    package files are in the staged prefix.
# 2. Builds tests/install/consumer.cpp (-std=c++20 -march=native) and runs it,
#    three ways: with the flags `pkg-config forma` gives for the staged
#    install; as a CMake project doing find_package(forma CONFIG REQUIRED)
#    with CMAKE_PREFIX_PATH at the staged prefix; and as a meson project with
#    forma as a subproject (dependency() fallback and
#    subproject().get_variable()).
#
# Environment: CXX (the C++ compiler, may be several words such as
# "ccache g++"; default c++), MESON, CMAKE, PKG_CONFIG (the tools; default from
# PATH). What the script puts in SCRATCH_DIR is removed first, and kept
# afterwards for inspection unless FORMA_INSTALL_KEEP=0.
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 SOURCE_ROOT SCRATCH_DIR" >&2
  exit 2
fi

src=$(cd "$1" && pwd -P)
mkdir -p "$2"
scratch=$(cd "$2" && pwd -P)
here="$src/tests/install"
prefix=/usr/local
stage="$scratch/stage"
staged="$stage$prefix"

meson=${MESON:-meson}
cmake=${CMAKE:-cmake}
pkg_config=${PKG_CONFIG:-pkg-config}
read -r -a cxx <<<"${CXX:-c++}"
cxx_flags=(-std=c++20 -march=native -O2)

# Nothing from the caller's environment may point the consumers at some other
# forma: each finds exactly the one this script installs.
unset PKG_CONFIG_PATH PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR CMAKE_PREFIX_PATH \
  CPATH CPLUS_INCLUDE_PATH CXXFLAGS CPPFLAGS LDFLAGS MESON_BUILD_ROOT MESON_SOURCE_ROOT

step() { printf '\n=== %s\n' "$*"; }
fail() {
  printf 'FAIL: %s\n' "$*" >&2
  exit 1
}
t_start=$SECONDS

# Refuse to work in the source tree itself, or anywhere above it.
case "$src/" in
  "${scratch%/}"/*) fail "scratch directory $scratch contains the source tree" ;;
esac
# What this script makes in the scratch directory, and all it ever deletes.
made=(build stage pkgconfig cmake meson_consumer setup.log install.log cmake-configure.log
      cmake-build.log meson-consumer-setup.log meson-consumer-build.log)
clean() { (cd "$scratch" && rm -rf -- "${made[@]}"); }
clean
if [[ "${FORMA_INSTALL_KEEP:-1}" == 0 ]]; then
  trap clean EXIT
fi

# ---------------------------------------------------------------- install ---
step "configure and install forma from $src with ${cxx[*]}"
CXX="${cxx[*]}" "$meson" setup "$scratch/build" "$src" \
  -Dtests=false -Dexamples=false -Dbench=false --prefix="$prefix" >"$scratch/setup.log" 2>&1 \
  || { cat "$scratch/setup.log"; fail "meson setup of forma failed"; }
"$meson" install -C "$scratch/build" --destdir "$stage" >"$scratch/install.log" 2>&1 \
  || { cat "$scratch/install.log"; fail "meson install failed"; }
echo "installed into $stage"

step "check the staged files"
for f in include/forma/forma.hpp share/pkgconfig/forma.pc \
         share/cmake/forma/formaConfig.cmake share/cmake/forma/formaConfigVersion.cmake; do
  [[ -f "$staged/$f" ]] || fail "$prefix/$f was not installed"
  echo "ok  $prefix/$f"
done
# Every public header, and nothing else, lands under include/forma.
diff -u <(cd "$src/include" && find forma -type f | LC_ALL=C sort) \
        <(cd "$staged/include" && find forma -type f | LC_ALL=C sort) \
  || fail "the installed headers differ from include/forma in the source tree"
echo "ok  all $(cd "$src/include" && find forma -type f | wc -l) headers of include/forma"
# Nothing is installed outside the prefix, and nothing but headers, the .pc
# and the CMake package files.
others=$(cd "$stage" && find . -type f ! -path ".$prefix/include/forma/*" \
  ! -path ".$prefix/share/pkgconfig/forma.pc" ! -path ".$prefix/share/cmake/forma/*")
[[ -z "$others" ]] || fail "unexpected files installed: $others"
echo "ok  nothing else installed"
version=$(sed -n "s/^ *version *: *'\([^']*\)'.*/\1/p" "$src/meson.build" | head -n1)
[[ -n "$version" ]] || fail "no project version in $src/meson.build"

# ------------------------------------------------------------- pkg-config ---
step "consumer via pkg-config"
export PKG_CONFIG_PATH="$staged/share/pkgconfig"
# forma.pc says prefix=/usr/local; --define-prefix replaces it with the
# directory the .pc file was found in (minus share/pkgconfig), the stage, so
# this also checks that forma.pc's paths follow ${prefix}. (It rewrites the
# prefix of xsimd.pc too, which on a multiarch system adds a harmless
# nonexistent -I/usr/lib/include; the compiler still finds xsimd in
# /usr/include.)
pc=("$pkg_config" --define-prefix --print-errors)
"${pc[@]}" --exists forma || fail "pkg-config cannot resolve forma (or its Requires)"
pc_version=$("${pc[@]}" --modversion forma)
[[ "$pc_version" == "$version" ]] || fail "pkg-config says forma $pc_version, meson.build says $version"
read -r -a pc_cflags <<<"$("${pc[@]}" --cflags forma)"
echo "pkg-config --cflags forma: ${pc_cflags[*]}"
[[ " ${pc_cflags[*]} " == *" -I$staged/include "* ]] \
  || fail "pkg-config's flags do not point at the staged headers $staged/include"
[[ " ${pc_cflags[*]} " == *" -std=c++20 "* ]] || fail "pkg-config's flags do not ask for C++20"
read -r -a pc_libs <<<"$("${pc[@]}" --libs forma)"
mkdir -p "$scratch/pkgconfig"
"${cxx[@]}" "${cxx_flags[@]}" "${pc_cflags[@]}" -DFORMA_CONSUMER_VIA='"via pkg-config"' \
  "$here/consumer.cpp" -o "$scratch/pkgconfig/app" "${pc_libs[@]}" \
  || fail "the consumer does not compile with pkg-config's flags"
"$scratch/pkgconfig/app" || fail "the pkg-config consumer failed"
unset PKG_CONFIG_PATH

# ------------------------------------------------------------------ CMake ---
step "consumer via CMake find_package(forma)"
cxx_compiler=${cxx[${#cxx[@]}-1]}
cmake_args=(-S "$here/cmake_consumer" -B "$scratch/cmake" -DCMAKE_BUILD_TYPE=Release
  -DCMAKE_PREFIX_PATH="$staged" -DCMAKE_CXX_COMPILER="$cxx_compiler"
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
if (( ${#cxx[@]} > 1 )); then  # "ccache g++": the launcher, then the compiler
  launcher="${cxx[*]:0:${#cxx[@]}-1}"
  cmake_args+=(-DCMAKE_CXX_COMPILER_LAUNCHER="${launcher// /;}")
fi
command -v ninja >/dev/null && cmake_args+=(-G Ninja)
"$cmake" "${cmake_args[@]}" >"$scratch/cmake-configure.log" 2>&1 \
  || { cat "$scratch/cmake-configure.log"; fail "CMake cannot configure the find_package(forma) consumer"; }
grep -E '^-- forma' "$scratch/cmake-configure.log" || true
forma_dir=$(sed -n 's/^forma_DIR:[A-Z]*=//p' "$scratch/cmake/CMakeCache.txt")
[[ "$forma_dir" == "$staged/share/cmake/forma" ]] \
  || fail "find_package(forma) found $forma_dir, not the staged $staged/share/cmake/forma"
"$cmake" --build "$scratch/cmake" --verbose >"$scratch/cmake-build.log" 2>&1 \
  || { cat "$scratch/cmake-build.log"; fail "the find_package(forma) consumer does not build"; }
grep -q -e '-std=c++20' "$scratch/cmake/compile_commands.json" \
  || fail "forma::forma did not put the consumer in C++20 mode (no -std=c++20)"
grep -q -F -e "-isystem $staged/include" -e "-I$staged/include" "$scratch/cmake/compile_commands.json" \
  || fail "forma::forma did not add the staged include directory"
echo "ok  forma::forma gives -std=c++20 and $staged/include"
"$scratch/cmake/app" || fail "the CMake consumer failed"

# ------------------------------------------------------------------ meson ---
step "consumer via a meson subproject"
consumer="$scratch/meson_consumer"
mkdir -p "$consumer/subprojects"
cp "$here/meson_consumer/meson.build" "$here/consumer.cpp" "$consumer/"
ln -s "$src" "$consumer/subprojects/forma"
CXX="${cxx[*]}" "$meson" setup "$consumer/build" "$consumer" --force-fallback-for=forma \
  >"$scratch/meson-consumer-setup.log" 2>&1 \
  || { cat "$scratch/meson-consumer-setup.log"; fail "meson cannot configure the subproject consumer"; }
grep -q "Executing subproject forma" "$scratch/meson-consumer-setup.log" \
  || fail "the meson consumer did not configure forma as a subproject"
"$meson" compile -C "$consumer/build" >"$scratch/meson-consumer-build.log" 2>&1 \
  || { cat "$scratch/meson-consumer-build.log"; fail "the subproject consumer does not build"; }
for flag in -std=c++20 -march=native; do
  grep -q -F -e "$flag" "$consumer/build/compile_commands.json" \
    || fail "the subproject consumer was not compiled with $flag"
done
echo "ok  built with -std=c++20 -march=native"
"$consumer/build/app_dependency" || fail "the meson dependency('forma') consumer failed"
"$consumer/build/app_get_variable" || fail "the meson subproject('forma').get_variable('forma_dep') consumer failed"

step "PASS: forma installs and is usable via pkg-config, CMake and a meson subproject ($((SECONDS - t_start)) s)"
