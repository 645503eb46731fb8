#!/usr/bin/env python3
"""Turns Google-Benchmark JSON files (bench_mlp's and bench/pytorch_mlp.py's)
into the README's markdown table and the performance targets' verdicts.

    bench/report.py [--check] [--machine TEXT] [--forma-build g++|clang++|best] FILE.json...

A file's build is read from its name: gcc-*.json is g++, clang-*.json is
clang++, pytorch-*.json is Python; so eigen/train_step/cifar from both
compilers stays two variants. Every repetition of every round is pooled and
the median taken (the fastest repetition too, which the two-thread target
uses). Aggregate entries are skipped. Names are "<impl>/<what>/<shape>" with
an optional "/threads:N" (bench/mlp_shapes.hpp); suffixes such as
"/real_time" are ignored.

Exits 0 even when targets fail, since the report is for people; with --check,
exits 1 when a target of the cifar shape fails (one not measured is no
failure). Standard library only.
"""
import argparse
import json
import os
import re
import statistics
import sys

HIDDEN1, HIDDEN2, CLASSES = 200, 150, 10
SHAPES = {"cifar": (32 * 32 * 3, 50000), "fashion": (28 * 28, 60000)}  # inputs, samples an epoch
JUDGED_SHAPE = "cifar"  # the shape; fashion's verdicts are for information


# The FLOP counts mirror bench/mlp_shapes.hpp; used only where an entry has
# no "GFLOP/s" counter.
def macs(inputs):
    return inputs * HIDDEN1 + HIDDEN1 * HIDDEN2 + HIDDEN2 * CLASSES


def flops_per_sample(what, shape):
    inputs = SHAPES[shape][0]
    if what in ("train_step", "epoch"):
        return 2.0 * (2 * macs(inputs) + HIDDEN1 * HIDDEN2 + HIDDEN2 * CLASSES)
    return 2.0 * macs(inputs)


def samples_per_iteration(what, shape):
    return {"train_step": 32, "predict1": 1, "predict256": 256, "epoch": SHAPES[shape][1]}.get(what)


TO_MICROSECONDS = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}
IGNORED_PARTS = re.compile(r"real_time|manual_time|process_time|(iterations|repeats|min_time|min_warmup_time):.*")


def parse_name(name):
    """("forma/train_step/cifar", 2) from "forma/train_step/cifar/real_time/threads:2"."""
    kept, threads = [], None
    for part in name.split("/"):
        m = re.fullmatch(r"threads:(\d+)", part)
        if m:
            threads = int(m.group(1))
        elif not IGNORED_PARTS.fullmatch(part):
            kept.append(part)
    return "/".join(kept), threads


def build_of(path):
    base = os.path.basename(path)
    for prefix, build in (("gcc", "g++"), ("clang", "clang++"), ("pytorch", "python")):
        if base.startswith(prefix):
            return build
    return re.split(r"[-_.]", base)[0]


def rate_in_giga(value):
    # A Google Benchmark counter named "GFLOP/s" with kIs1000 holds FLOP/s
    # (the G is the console's formatting); one divided by 1e9 holds GFLOP/s.
    # No CPU reaches 1e6 GFLOP/s, and none runs below 1e6 FLOP/s.
    return value / 1e9 if value > 1e6 else value


class Stat:
    """The repetitions of one (name, threads, build), pooled over rounds."""

    def __init__(self, runs):
        self.runs, self.n = runs, len(runs)
        ips = [r["ips"] for r in runs if r["ips"] is not None]
        us = [r["us"] for r in runs]
        self.ips = statistics.median(ips) if ips else None
        self.ips_best = max(ips) if ips else None
        self.us = statistics.median(us)
        self.us_best = min(us)
        self.gflops = self._median(runs, "GFLOP/s")
        self.gbps = self._median(runs, "GB/s")

    @staticmethod
    def _median(runs, counter):
        values = [rate_in_giga(r[counter]) for r in runs if r.get(counter) is not None]
        return statistics.median(values) if values else None


class Results:
    def __init__(self, paths):
        self.contexts, self.warnings = [], []
        runs = {}
        for path in paths:
            try:
                with open(path) as f:
                    data = json.load(f)
            except (OSError, ValueError) as e:
                # A round that crashed leaves a truncated file; the others still count.
                self.warnings.append(f"skipped {path}: {e}")
                continue
            build = build_of(path)
            self.contexts.append((build, data.get("context", {})))
            for entry in data.get("benchmarks", []):
                if entry.get("run_type") == "aggregate" or entry.get("error_occurred"):
                    continue
                base, threads = parse_name(entry.get("run_name") or entry["name"])
                unit = TO_MICROSECONDS.get(entry.get("time_unit", "ns"), 1e-3)
                runs.setdefault((base, threads, build), []).append({
                    "ips": entry.get("items_per_second"), "us": entry["real_time"] * unit,
                    "GFLOP/s": entry.get("GFLOP/s"), "GB/s": entry.get("GB/s")})
        self.stats = {key: Stat(r) for key, r in runs.items()}
        self._check_time_base()

    def _check_time_base(self):
        # items_per_second and counters are over CPU time unless the benchmark
        # says UseRealTime(); with worker threads, or under load, that is not
        # the time a user waits. Compared run by run, as noise moves both alike.
        for (base, threads, build), s in sorted(self.stats.items(), key=str):
            parts = base.split("/")
            if len(parts) != 3 or parts[2] not in SHAPES or not s.runs:
                continue
            per_iteration = samples_per_iteration(parts[1], parts[2])
            if per_iteration is None:
                continue
            ratios = [r["ips"] * r["us"] * 1e-6 / per_iteration for r in s.runs if r["ips"] is not None]
            if not ratios:
                continue
            off = statistics.median(ratios) - 1
            if abs(off) > 0.15:
                name = base + (f"/threads:{threads}" if threads else "")
                self.warnings.append(f"{name} ({build}): items_per_second is {off:+.0%} off {per_iteration} "
                                     f"samples / real_time; timed on CPU time? (UseRealTime())")

    def candidates(self, base, threads=None, builds=None):
        """(stat, threads, build) of base; threads 1 also matches an entry without a thread count."""
        found = []
        for (b, t, build), s in self.stats.items():
            if b != base or (builds is not None and build not in builds):
                continue
            if threads is not None and t != threads and not (threads == 1 and t is None):
                continue
            found.append((s, t, build))
        return found

    def best(self, base, by, threads=None, builds=None):
        """The candidate with the best median: by "ips" (most) or "us" (least)."""
        found = [c for c in self.candidates(base, threads, builds) if getattr(c[0], by) is not None]
        if not found:
            return None
        return (max if by == "ips" else min)(found, key=lambda c: getattr(c[0], by))


IMPL_LABELS = {"forma": "forma", "eigen": "Eigen", "libtorch": "libtorch", "pytorch": "PyTorch"}


def describe(choice, impl):
    """Row label of a chosen (stat, threads, build), or of the implementation alone."""
    label = IMPL_LABELS.get(impl, impl)
    if choice is None:
        return label
    _, threads, build = choice
    notes = [f"{threads} thread{'s' if threads > 1 else ''}"] if threads else []
    if impl != "pytorch":
        notes.append(build)
    return f"{label} ({', '.join(notes)})" if notes else label


def fmt(value, unit=""):
    if value is None:
        return "—"
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}" if abs(value) >= 1 else f"{value:.2g}"
    return f"{text} {unit}".strip()


class Report:
    def __init__(self, results, forma_build):
        self.r = results
        self.forma_builds = None if forma_build == "best" else [forma_build]
        self.forma_build = forma_build

    # The figures the table and the targets share.
    def forma(self, what, shape, by, threads=1):
        return self.r.best(f"forma/{what}/{shape}", by, threads, self.forma_builds)

    def peer(self, impl, what, shape, by):
        # Each peer at its best: thread setting, and build (g++ or clang++).
        return self.r.best(f"{impl}/{what}/{shape}", by)

    def peak_gflops(self):
        found = [c for c in self.r.candidates("peak/fma", threads=1) if c[0].gflops is not None]
        return max(found, key=lambda c: c[0].gflops) if found else None

    def stream(self, shape):
        return self.r.best(f"peak/stream_read/{shape}", "us", threads=1)

    def gflops(self, choice, what, shape):
        """The counter's median, else the FLOPs of the samples processed."""
        s = choice[0]
        if s.gflops is not None:
            return s.gflops
        ips = s.ips if s.ips is not None else samples_per_iteration(what, shape) / (s.us * 1e-6)
        return ips * flops_per_sample(what, shape) / 1e9

    def table(self, shape):
        inputs, epoch = SHAPES[shape]
        peak = self.peak_gflops()
        lines = [f"### {shape} ({inputs}-{HIDDEN1}-{HIDDEN2}-{CLASSES}, {epoch:,} samples an epoch)", "",
                 "| measure | implementation | median | fastest | GFLOP/s | forma × | n |",
                 "|---|---|--:|--:|--:|--:|--:|"]
        other_build = {"g++": "clang++", "clang++": "g++"}.get(self.forma_build)
        measures = [("train step, batch 32", "train_step", "ips", "samples/s"),
                    ("epoch", "epoch", "ips", "samples/s"),
                    ("predict, batch 1", "predict1", "us", "µs"),
                    ("predict, batch 256", "predict256", "ips", "samples/s")]
        for label, what, by, unit in measures:
            mine = self.forma(what, shape, by, 1)
            rows = [("forma", mine, True, "forma (1 thread)")]  # (impl, choice, is forma, label if missing)
            if other_build:  # the other compiler's forma, for information
                other = self.r.best(f"forma/{what}/{shape}", by, 1, [other_build])
                if other:
                    rows.append(("forma", other, True, ""))
            two = self.r.best(f"forma/{what}/{shape}", by, 2, self.forma_builds)
            if two or what == "train_step":
                rows.append(("forma", two, True, "forma (2 threads)"))
            rows += [(impl, self.peer(impl, what, shape, by), False, IMPL_LABELS[impl])
                     for impl in ("eigen", "libtorch", "pytorch")]
            for i, (impl, choice, is_forma, missing_label) in enumerate(rows):
                cells = [f"{label} ({unit})" if i == 0 else "", describe(choice, impl) if choice else missing_label]
                if choice is None:
                    cells += ["—", "—", "—", "", ""]
                    lines.append("| " + " | ".join(cells) + " |")
                    continue
                s = choice[0]
                median, fastest = (s.ips, s.ips_best) if by == "ips" else (s.us, s.us_best)
                g = self.gflops(choice, what, shape)
                g_text = fmt(g)
                if peak and is_forma and choice[1] in (1, None) and what != "epoch":  # peak is one thread's
                    g_text += f" ({g / peak[0].gflops:.0%} of peak)"
                ratio = ""
                if not is_forma and mine is not None:
                    ratio = fmt(mine[0].ips / s.ips if by == "ips" else s.us / mine[0].us)
                cells += [fmt(median), fmt(fastest), g_text, ratio, str(s.n)]
                lines.append("| " + " | ".join(cells) + " |")
        stream = self.stream(shape)
        limits = [f"peak FMA (1 thread) {fmt(peak[0].gflops, 'GFLOP/s') if peak else '—'}",
                  f"reading the weights once {fmt(stream[0].us, 'µs') if stream else '—'}"
                  + (f" ({fmt(stream[0].gbps, 'GB/s')})" if stream and stream[0].gbps else "")]
        lines += ["", f"Machine limits: {'; '.join(limits)}. "
                  "forma × is forma's 1-thread figure over the peer's (> 1: forma faster); "
                  "peers at their best thread setting and build.", ""]
        return lines

    def targets(self, shape):
        """(target, verdict, the numbers that decided it)"""
        out = []

        def judge(target, figures, names, passes, detail):
            missing = [n for f, n in zip(figures, names) if f is None]
            if missing:
                out.append((target, "not measured", "missing: " + ", ".join(missing)))
            else:
                out.append((target, "PASS" if passes(*figures) else "FAIL", detail(*figures)))

        def versus(unit, faster_when="higher"):
            # "a vs b unit: ×r", r being forma's advantage
            def text(a, b):
                r = a / b if faster_when == "higher" else b / a
                return f"{fmt(a)} vs {fmt(b)} {unit}: ×{r:.2f}"
            return text

        def share(a, p):
            return f"{fmt(a)} of {fmt(p)} GFLOP/s: {a / p:.1%}"

        def ips(c):
            return c[0].ips if c else None

        def us(c):
            return c[0].us if c else None

        train = self.forma("train_step", shape, "ips", 1)
        train_name = f"forma/train_step/{shape}/threads:1"
        peak = self.peak_gflops()
        peak_g = peak[0].gflops if peak else None
        for impl, factor in (("pytorch", 3.0), ("eigen", 1.3)):
            peer = self.peer(impl, "train_step", shape, "ips")
            judge(f"train step, 1 thread, ≥ {factor:g}× {describe(peer, impl)}", [ips(train), ips(peer)],
                  [train_name, f"{impl}/train_step/{shape}"], lambda a, b, f=factor: a >= f * b,
                  versus("samples/s"))
        judge("train step, 1 thread, ≥ 65% of peak FMA",
              [self.gflops(train, "train_step", shape) if train else None, peak_g], [train_name, "peak/fma"],
              lambda a, p: a >= 0.65 * p, share)

        batch = self.forma("predict256", shape, "ips", 1)
        judge("predict batch 256 ≥ 80% of peak FMA",
              [self.gflops(batch, "predict256", shape) if batch else None, peak_g],
              [f"forma/predict256/{shape}", "peak/fma"], lambda a, p: a >= 0.8 * p, share)
        peer = self.peer("pytorch", "predict256", shape, "ips")
        # Each at its best thread setting, as the peer is.
        batch_best = self.r.best(f"forma/predict256/{shape}", "ips", None, self.forma_builds)
        judge(f"predict batch 256, {describe(batch_best, 'forma')}, faster than "
              f"{describe(peer, 'pytorch')}", [ips(batch_best), ips(peer)],
              [f"forma/predict256/{shape}", f"pytorch/predict256/{shape}"], lambda a, b: a > b,
              versus("samples/s"))

        one = self.forma("predict1", shape, "us", 1)
        judge("predict batch 1 ≤ 1.15× the time to read the weights once", [us(one), us(self.stream(shape))],
              [f"forma/predict1/{shape}", f"peak/stream_read/{shape}"], lambda a, b: a <= 1.15 * b,
              lambda a, b: f"{fmt(a)} vs {fmt(b)} µs: ×{a / b:.2f}")
        for impl in ("libtorch", "pytorch"):
            peer = self.peer(impl, "predict1", shape, "us")
            judge(f"predict batch 1 ≥ 1.5× faster than {describe(peer, impl)}", [us(one), us(peer)],
                  [f"forma/predict1/{shape}", f"{impl}/predict1/{shape}"], lambda a, b: b >= 1.5 * a,
                  versus("µs", faster_when="lower"))

        # Fastest repetitions, not medians: interference only ever slows a run.
        t2 = self.r.best(f"forma/train_step/{shape}", "ips", 2, self.forma_builds)
        judge("train step, 2 threads ≥ 1.7× 1 thread (fastest repetitions)",
              [t2[0].ips_best if t2 else None, train[0].ips_best if train else None],
              [f"forma/train_step/{shape}/threads:2", train_name], lambda a, b: a >= 1.7 * b,
              versus("samples/s"))
        return out

    def graph_lines(self):
        """The residual graph's training step against the chain of its dense layers."""
        graph = self.forma("train_step", "residual_graph", "ips")
        chain = self.forma("train_step", "residual_chain", "ips")
        if not graph or not chain or graph[0].gflops is None or chain[0].gflops is None:
            return []
        g, c = graph[0].gflops, chain[0].gflops
        verdict = "PASS" if g >= 0.9 * c else "FAIL"
        return ["## Graphs", "",
                "The graphs issue's residual example (Dense 128 ReLU, Dense 128 tanh, Add, Concatenate with the "
                "input, Dense 10 softmax) against the chain of its dense layers, training step at batch 32, "
                "each credited its own FLOPs (forma/train_step/residual_graph, residual_chain).", "",
                "| model | step | GFLOP/s |", "|---|---|---|",
                f"| residual graph | {fmt(graph[0].us, 'us')} | {g:.1f} |",
                f"| chain | {fmt(chain[0].us, 'us')} | {c:.1f} |", "",
                f"Target: the graph at no more than 10% lower FLOP rate than the chain: {verdict} "
                f"({g / c:.2f}x).", ""]

    def machine_line(self, machine):
        contexts = self.r.contexts
        parts = [machine] if machine else []
        native = [c for b, c in contexts if b != "python"] or [c for _, c in contexts]
        if native and not machine:
            c = native[0]
            parts.append(f"{c.get('host_name', '?')}, {c.get('num_cpus', '?')} CPUs"
                         + (f" at {c['mhz_per_cpu']} MHz" if c.get("mhz_per_cpu") else ""))
        for _, c in contexts:
            if c.get("library"):
                # The directory tells the reference BLAS (blas/) from OpenBLAS (openblas-*/).
                blas = ", ".join("/".join(p.split("/")[-2:]) for p in c.get("blas", []))
                parts.append(c["library"] + (f" on {blas}" if blas else ""))
                break
        dates = sorted(c["date"] for _, c in contexts if c.get("date"))
        if dates:
            parts.append(f"runs {dates[0]} to {dates[-1]}")
        loads = [c["load_avg"][0] for _, c in contexts if c.get("load_avg")]
        if loads:
            parts.append(f"load average at each start {min(loads):.1f} to {max(loads):.1f}")
        builds = {}
        for b, _ in contexts:
            builds[b] = builds.get(b, 0) + 1
        parts.append("files: " + ", ".join(f"{n}× {b}" for b, n in sorted(builds.items())))
        return "Machine: " + "; ".join(parts) + "."


def main():
    parser = argparse.ArgumentParser(description="Markdown report and target verdicts from benchmark JSON files.")
    parser.add_argument("files", nargs="+", help="gcc-*.json, clang-*.json, pytorch-*.json")
    parser.add_argument("--check", action="store_true", help="exit 1 when a cifar target fails")
    parser.add_argument("--machine", help="machine description for the first line")
    parser.add_argument("--forma-build", default="g++", choices=["g++", "clang++", "best"],
                        help="which build's forma figures count (default g++, the documented build)")
    args = parser.parse_args()

    results = Results(args.files)
    if not results.stats:
        print("report.py: no benchmark entries in " + " ".join(args.files), file=sys.stderr)
        for w in results.warnings:
            print("report.py: " + w, file=sys.stderr)
        return 2
    report = Report(results, args.forma_build)

    lines = ["## Benchmarks", "", report.machine_line(args.machine), ""]
    for shape in SHAPES:
        lines += report.table(shape)
    failed = False
    lines += ["## Targets", "",
              "Medians of every repetition of every round, peers at their best thread setting and build; "
              "the two-thread target compares each side's fastest repetition.", ""]
    for shape in SHAPES:
        judged = shape == JUDGED_SHAPE
        lines += [f"### {shape}" + ("" if judged else " (for information, not judged)"), "",
                  "| target | verdict | decided by |", "|---|---|---|"]
        for target, verdict, detail in report.targets(shape):
            failed |= judged and verdict == "FAIL"
            shown = f"**{verdict}**" if verdict == "FAIL" and judged else verdict
            lines.append(f"| {target} | {shown} | {detail} |")
        lines.append("")
    lines += report.graph_lines()
    if results.warnings:
        lines += ["Notes:", ""] + [f"- {w}" for w in results.warnings] + [""]
    print("\n".join(lines))
    return 1 if args.check and failed else 0


if __name__ == "__main__":
    sys.exit(main())
