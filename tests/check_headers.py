#!/usr/bin/env python3
"""Compiles every public header of forma alone (-fsyntax-only), so none of
them depends on being included after another."""
import argparse
import pathlib
import subprocess
import sys
import tempfile

parser = argparse.ArgumentParser()
parser.add_argument("--cxx", nargs="+", required=True)
parser.add_argument("--include", required=True)
parser.add_argument("flags", nargs="*")
args = parser.parse_args()

root = pathlib.Path(args.include)
headers = sorted(p.relative_to(root).as_posix() for p in (root / "forma").rglob("*.hpp"))
failed = []
with tempfile.TemporaryDirectory() as tmp:
    for h in headers:
        src = pathlib.Path(tmp) / "tu.cpp"
        src.write_text(f"#include <{h}>\n#include <{h}>\n")  # twice: include guards too
        cmd = args.cxx + args.flags + ["-I", str(root), "-fsyntax-only", str(src)]
        r = subprocess.run(cmd, capture_output=True, text=True)
        status = "ok" if r.returncode == 0 else "FAILED"
        print(f"{status:6} {h}")
        if r.returncode != 0:
            failed.append(h)
            print(r.stderr[-4000:])
print(f"{len(headers) - len(failed)} of {len(headers)} headers compile alone")
sys.exit(1 if failed or not headers else 0)
