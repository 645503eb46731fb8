#!/usr/bin/env python3
"""Checks one compile-fail case of forma, and that it fails for its reason.

A case is a .cpp file holding two programs:

    // EXPECT: <regex>
    #ifdef FORMA_COMPILE_FAIL
      ... the mistake ...
    #else
      ... the passing twin: the same code with the mistake fixed ...
    #endif

The case passes when
  (a) compiled with -DFORMA_COMPILE_FAIL it fails with exactly one error
      line, and the regex (Python re.search over the whole of the
      compiler's stderr) matches, and
  (b) compiled without the macro it succeeds.
A case without an EXPECT line fails. A compile-fail test that passes on any
error is worthless: the regex should name the library's own message (the
static_assert text or the concept), not just "error".

Exit status: 0 when the case passes, 1 when it does not, 99 when the checker
itself could not do its work (bad arguments, unreadable case, no compiler,
a bug): meson reports 99 as an error even for a should_fail test, so the
control cases pass only when the checker has judged them and rejected them.

Usage:
  check_compile_fail.py --cxx g++ --include include --case case.cpp -- -std=c++20 ...
"""
import argparse
import os
import pathlib
import re
import subprocess
import sys

EXPECT_LINE = re.compile(r"^\s*//\s*EXPECT:\s?(.*?)\s*$", re.MULTILINE)
# Diagnostics that count as errors, in g++'s and clang's wording.
ERROR_LINE = re.compile(r"\b(?:fatal )?error:")
# meson's (and automake's) "hard error" status.
CHECKER_ERROR = 99


class CheckerError(Exception):
    pass


class ArgumentParser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        raise CheckerError(f"bad arguments: {message}")


def compile_case(cmd, define):
    full = list(cmd)
    if define:
        full.insert(len(full) - 1, "-DFORMA_COMPILE_FAIL")
    # A fixed locale and no colours, so the regex sees the same text in every
    # environment (g++ uses typographic quotes in UTF-8 locales).
    env = dict(os.environ, LC_ALL="C", LANG="C", LANGUAGE="C")
    try:
        r = subprocess.run(full, capture_output=True, text=True, env=env)
    except OSError as e:
        raise CheckerError(f"cannot run the compiler {full[0]!r}: {e}") from e
    return full, r


def show(title, cmd, r, limit=12000):
    out = r.stderr + r.stdout
    if len(out) > limit:
        out = out[:limit] + f"\n... ({len(out) - limit} more characters)\n"
    print(f"---- {title}: exit status {r.returncode}")
    print("$ " + " ".join(cmd))
    print(out if out.strip() else "(no output)")


def main():
    parser = ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cxx", nargs="+", required=True, help="the compiler command (may be several words)")
    parser.add_argument("--include", action="append", default=[], help="an include directory (repeatable)")
    parser.add_argument("--case", required=True, help="the case file")
    parser.add_argument("flags", nargs="*", help="compiler flags, after --")
    args = parser.parse_args()

    case = pathlib.Path(args.case)
    name = case.name
    try:
        text = case.read_text()
    except OSError as e:
        raise CheckerError(f"cannot read the case {case}: {e}") from e

    expects = EXPECT_LINE.findall(text)
    if not expects or not expects[0].strip():
        print(f"FAIL {name}: no '// EXPECT: <regex>' line; a compile-fail case must say why it fails")
        return 1
    if len(expects) > 1:
        print(f"FAIL {name}: {len(expects)} EXPECT lines; a case checks one reason")
        return 1
    pattern = expects[0]
    try:
        expect = re.compile(pattern)
    except re.error as e:
        print(f"FAIL {name}: the EXPECT regex {pattern!r} is not a valid regex: {e}")
        return 1
    if "FORMA_COMPILE_FAIL" not in text:
        print(f"FAIL {name}: the case has no '#ifdef FORMA_COMPILE_FAIL' branch")
        return 1

    base = list(args.cxx) + list(args.flags)
    for inc in args.include:
        base += ["-I", inc]
    base += ["-fsyntax-only", "-fdiagnostics-color=never", str(case)]

    failures = []

    # (a) The mistake must not compile, and must fail for its reason.
    cmd_a, ra = compile_case(base, define=True)
    errors = [l for l in ra.stderr.splitlines() if ERROR_LINE.search(l)]
    if ra.returncode == 0:
        failures.append("(a) with -DFORMA_COMPILE_FAIL the case compiled; it must fail")
    elif not expect.search(ra.stderr):
        failures.append(f"(a) with -DFORMA_COMPILE_FAIL the case failed, but not for the expected reason: "
                        f"the EXPECT regex {pattern!r} matches nothing in the compiler's output")
    elif len(errors) != 1:
        # One mistake, one diagnostic (STYLE.md, item 9): a cascade of
        # follow-on errors buries the message that explains.
        failures.append(f"(a) the mistake printed {len(errors)} error lines; one mistake must print one")

    # (b) The passing twin (the mistake fixed) must compile.
    cmd_b, rb = compile_case(base, define=False)
    if rb.returncode != 0:
        failures.append("(b) without FORMA_COMPILE_FAIL (the passing twin) the case failed; it must compile")

    if failures:
        for f in failures:
            print(f"FAIL {name}: {f}")
        show("(a) the mistake, -DFORMA_COMPILE_FAIL", cmd_a, ra)
        show("(b) the passing twin", cmd_b, rb)
        return 1

    print(f"ok   {name}: fails with {pattern!r} (one error line); its twin compiles")
    if rb.stderr.strip():
        show("note: the passing twin compiled with warnings", cmd_b, rb)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except CheckerError as e:
        print(f"ERROR (checker): {e}")
        sys.exit(CHECKER_ERROR)
    except Exception:  # a bug in the checker must not look like a rejected case
        import traceback
        traceback.print_exc()
        sys.exit(CHECKER_ERROR)
