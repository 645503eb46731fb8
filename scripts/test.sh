#!/usr/bin/env bash
# Builds and runs the whole test suite: with g++ 12, with clang++ 14, once
# more under AddressSanitizer and UndefinedBehaviorSanitizer, then the
# inference tests cross-built for aarch64 (NEON) under qemu, and the loaders'
# fuzz targets for a bounded time (FUZZ_SECONDS each, 60 by default).
# Warnings are errors. Installs missing Debian packages first.
#   scripts/test.sh            everything
#   scripts/test.sh gcc|clang|sanitize|cross|fuzz ...   some of it
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

configs=("$@")
((${#configs[@]})) || configs=(gcc clang sanitize cross fuzz)

setup() {  # setup DIR CXX [meson args...]
  local dir=$1 cxx=$2
  shift 2
  if [[ -f $dir/build.ninja ]]; then
    CXX=$cxx meson setup --reconfigure "$dir" "$@" >/dev/null
  else
    CXX=$cxx meson setup "$dir" "$@" >/dev/null
  fi
}

summary=()
for c in "${configs[@]}"; do
  dir=build/$c
  case $c in
    cross|fuzz)
      # One suite each, judged by its script's exit status.
      start=$SECONDS
      status=0
      if [[ $c == cross ]]; then scripts/cross-aarch64.sh || status=$?
      else FUZZ_SECONDS=${FUZZ_SECONDS:-60} scripts/fuzz.sh || status=$?; fi
      echo "== $c: $((SECONDS - start)) s"
      if ((status == 0)); then summary+=("$c: 1 passed, 0 failed"); else summary+=("$c: 0 passed, 1 failed"); fi
      if ((status != 0)); then
        printf '%s\n' "${summary[@]}"
        exit "$status"
      fi
      continue ;;
    gcc) setup "$dir" g++ -Dwerror=true ;;
    clang) setup "$dir" clang++-14 -Dwerror=true ;;
    sanitize)
      # Sanitizers find bugs in the library's code paths; examples, benches
      # and the compile-fail suite add nothing there. clang, because g++ 12's
      # -Wmaybe-uninitialized misfires on sanitizer-instrumented libstdc++.
      setup "$dir" clang++-14 -Dwerror=true -Dbuildtype=debugoptimized -Db_sanitize=address,undefined \
        -Db_lundef=false -Dcpp_args=-fno-sanitize-recover=all -Dexamples=false -Dbench=false \
        -Dcompile_fail=false ;;
    *) echo "test.sh: unknown configuration '$c' (gcc, clang or sanitize)" >&2; exit 2 ;;
  esac
  echo "== $c: build"
  start=$SECONDS
  meson compile -C "$dir"
  echo "== $c: built in $((SECONDS - start)) s; test"
  status=0
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    meson test -C "$dir" --print-errorlogs --num-processes 2 || status=$?
  read -r passed failed < <(python3 - "$dir/meson-logs/testlog.json" <<'PY'
import json, sys
p = f = 0
for line in open(sys.argv[1]):
    r = json.loads(line)["result"]
    if r in ("OK", "EXPECTEDFAIL", "SKIP"): p += 1
    else: f += 1
print(p, f)
PY
)
  summary+=("$c: $passed passed, $failed failed")
  if ((status != 0)); then
    printf '%s\n' "${summary[@]}"
    exit "$status"
  fi
done
printf '%s\n' "${summary[@]}"
