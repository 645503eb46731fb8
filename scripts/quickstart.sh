#!/usr/bin/env bash
# Installs what is missing, builds a release build and runs the main example:
# the seed MLP declared, summarised, initialised and run on an image.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
if [[ -f build/release/build.ninja ]]; then
  meson setup --reconfigure build/release -Dtests=false -Dbench=false >/dev/null
else
  meson setup build/release -Dtests=false -Dbench=false >/dev/null
fi
meson compile -C build/release seed_mlp
build/release/examples/seed_mlp "$@"
