#!/usr/bin/env python3
"""The seed MLP in PyTorch, timed as a Python user sees it, for bench/report.py.

Linear(in, 200) ReLU, Linear(200, 150) ReLU, Linear(150, 10); softmax with
categorical cross-entropy (nn.CrossEntropyLoss on the logits); Adam with
lr 1e-3, betas (0.9, 0.999), eps 1e-7 (Keras' epsilon, as bench/mlp_shapes.hpp);
float32. Shapes cifar (3072 inputs, 50000 samples an epoch) and fashion (784,
60000). Benchmarks, each with torch.set_num_threads 1 and 2:
  pytorch/train_step/<shape>/threads:N   one Adam step on a fixed batch of 32
  pytorch/epoch/<shape>/threads:N        one shuffled epoch of random data
  pytorch/predict1/<shape>/threads:N     batch 1 under torch.inference_mode
  pytorch/predict256/<shape>/threads:N   batch 256, likewise
Timing follows Google Benchmark: the first repetition of each benchmark grows
its iteration count until a run takes --min-time seconds, the others reuse
that count, and each repetition reports its mean time per iteration;
repetitions of all benchmarks run in a random order (as
--benchmark_enable_random_interleaving). The JSON written to --out has Google
Benchmark's layout.

Run with Debian's python3-torch (scripts/install-deps.sh --peers):
    /usr/bin/python3 bench/pytorch_mlp.py --out pytorch.json
    /usr/bin/python3 bench/pytorch_mlp.py --repetitions 2 --min-time 0.1 --filter train_step
"""
import argparse
import datetime
import json
import os
import random
import re
import socket
import statistics
import sys
import time

import torch

HIDDEN1, HIDDEN2, CLASSES = 200, 150, 10
TRAIN_BATCH, INFER_BATCH = 32, 256
SHAPES = {"cifar": (32 * 32 * 3, 50000), "fashion": (28 * 28, 60000)}  # inputs, samples an epoch


# The FLOP counts mirror bench/mlp_shapes.hpp, so every implementation is
# credited the same work.
def macs(inputs):
    return inputs * HIDDEN1 + HIDDEN1 * HIDDEN2 + HIDDEN2 * CLASSES


def forward_flops(inputs):
    return 2.0 * macs(inputs)


def train_flops(inputs):
    # Forward, every weight gradient, and the input gradients of all layers
    # but the first.
    return 2.0 * (2 * macs(inputs) + HIDDEN1 * HIDDEN2 + HIDDEN2 * CLASSES)


def make_model(inputs):
    model = torch.nn.Sequential(
        torch.nn.Linear(inputs, HIDDEN1), torch.nn.ReLU(),
        torch.nn.Linear(HIDDEN1, HIDDEN2), torch.nn.ReLU(),
        torch.nn.Linear(HIDDEN2, CLASSES))  # softmax is inside the loss
    for layer in model:
        if isinstance(layer, torch.nn.Linear):  # Keras' defaults, as the seed
            torch.nn.init.xavier_uniform_(layer.weight)
            torch.nn.init.zeros_(layer.bias)
    return model


def make_trainer(inputs):
    """A fresh model and the function that takes one Adam step on (x, y)."""
    model = make_model(inputs)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step(x, y):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    return step


def random_batch(batch, inputs):
    return torch.rand(batch, inputs), torch.randint(0, CLASSES, (batch,))


class Benchmark:
    def __init__(self, name, threads, run, warm, samples, flops_per_sample, unit):
        self.name, self.threads = name, threads
        self.run = run     # one iteration
        self.warm = warm   # cheap calls that reach the same code paths as run
        self.samples, self.flops_per_sample, self.unit = samples, flops_per_sample, unit
        self.iterations = None  # found by the first repetition
        self.reps = []          # (iterations, real seconds, cpu seconds)


def train_step_benchmark(shape, threads):
    inputs, _ = SHAPES[shape]
    step = make_trainer(inputs)
    x, y = random_batch(TRAIN_BATCH, inputs)
    run = lambda: step(x, y)
    return Benchmark(f"pytorch/train_step/{shape}/threads:{threads}", threads, run, run,
                     TRAIN_BATCH, train_flops(inputs), "us")


def epoch_benchmark(shape, threads, dataset):
    inputs, n = SHAPES[shape]
    x_all, y_all = dataset
    step = make_trainer(inputs)

    def epoch():
        # No DataLoader: a permutation and index_select, the fastest a
        # Python user gets without one.
        order = torch.randperm(n)
        for start in range(0, n, TRAIN_BATCH):
            idx = order[start:start + TRAIN_BATCH]
            step(x_all.index_select(0, idx), y_all.index_select(0, idx))

    def warm():  # a whole epoch is too long to repeat for warming up
        idx = torch.randperm(n)[:TRAIN_BATCH]
        step(x_all.index_select(0, idx), y_all.index_select(0, idx))

    return Benchmark(f"pytorch/epoch/{shape}/threads:{threads}", threads, epoch, warm,
                     n, train_flops(inputs), "ms")


def predict_benchmark(shape, threads, batch):
    inputs, _ = SHAPES[shape]
    model = make_model(inputs).eval()
    x = torch.rand(batch, inputs)

    def predict():
        # Probabilities, as forma's predict returns them.
        with torch.inference_mode():
            return model(x).softmax(dim=1)

    return Benchmark(f"pytorch/predict{batch}/{shape}/threads:{threads}", threads, predict, predict,
                     batch, forward_flops(inputs), "us")


def self_check(shape, steps=30):
    """A few Adam steps on one batch must lower its loss, else the timings
    would be of a broken model."""
    inputs, _ = SHAPES[shape]
    step = make_trainer(inputs)
    x, y = random_batch(TRAIN_BATCH, inputs)
    first = step(x, y).item()
    for _ in range(steps - 1):
        last = step(x, y).item()
    print(f"self-check {shape}: loss {first:.3f} -> {last:.3f} in {steps} steps", file=sys.stderr)
    return last < 0.5 * first


def _openblas_thread_setter():
    """OpenBLAS keeps its own thread count (all cores by default), which
    torch.set_num_threads does not change in Debian's build: without this a
    "1 thread" PyTorch would run its matrix products on two."""
    import ctypes
    for name in ("libblas.so.3", "libopenblas.so.0"):
        try:
            return ctypes.CDLL(name).openblas_set_num_threads
        except (OSError, AttributeError):
            continue
    return None


_openblas_set_num_threads = _openblas_thread_setter()


def set_threads(n):
    torch.set_num_threads(n)
    if _openblas_set_num_threads is not None:
        _openblas_set_num_threads(n)


def time_iterations(run, iterations):
    wall, cpu = time.perf_counter(), time.thread_time()
    for _ in range(iterations):
        run()
    return time.perf_counter() - wall, time.thread_time() - cpu


def run_repetition(bench, min_time):
    set_threads(bench.threads)
    bench.warm()  # the other benchmarks ran in between
    if bench.iterations is not None:
        bench.reps.append((bench.iterations, *time_iterations(bench.run, bench.iterations)))
        return
    # Google Benchmark's search: aim 40 % past min_time; jump tenfold while
    # a run is too short to predict from.
    iterations = 1
    while True:
        real, cpu = time_iterations(bench.run, iterations)
        if real >= min_time:
            break
        multiplier = min_time * 1.4 / max(real, 1e-9) if real / min_time > 0.1 else 10.0
        iterations = max(int(multiplier * iterations), iterations + 1)
    bench.iterations = iterations
    bench.reps.append((iterations, real, cpu))


def warm_up(bench, seconds):
    set_threads(bench.threads)
    start, calls = time.perf_counter(), 0
    while calls < 3 or time.perf_counter() - start < seconds:
        bench.warm()
        calls += 1


def blas_libraries():
    """The BLAS torch's matrix products run on, as loaded: Debian's torch
    takes whichever libblas.so.3 the alternatives system points at, and the
    reference BLAS (blas/) is far slower than OpenBLAS (openblas-*/)."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "/" in line}
    except OSError:
        return []
    return sorted({os.path.realpath(p) for p in paths if re.search(r"blas|mkl|blis", os.path.basename(p))})


UNIT_SCALE = {"ns": 1e9, "us": 1e6, "ms": 1e3, "s": 1.0}


def entries(bench, family_index):
    """Google Benchmark's JSON entries: one per repetition, then aggregates."""
    scale = UNIT_SCALE[bench.unit]
    common = {"family_index": family_index, "per_family_instance_index": 0, "run_name": bench.name,
              "repetitions": len(bench.reps)}
    runs = []
    for i, (iterations, real, cpu) in enumerate(bench.reps):
        runs.append({
            "name": bench.name, **common, "run_type": "iteration", "repetition_index": i,
            "threads": 1,  # benchmark threads; torch's own are in the name
            "iterations": iterations,
            "real_time": real / iterations * scale, "cpu_time": cpu / iterations * scale,
            "time_unit": bench.unit,
            "items_per_second": bench.samples * iterations / real,
            # In FLOP/s, as a Google Benchmark counter named "GFLOP/s" with
            # kIs1000 stores it (the G is only the console's formatting).
            "GFLOP/s": bench.flops_per_sample * bench.samples * iterations / real,
        })
    if len(runs) < 2:
        return runs
    fields = ("real_time", "cpu_time", "items_per_second", "GFLOP/s")
    aggregates = {"mean": statistics.mean, "median": statistics.median, "stddev": statistics.stdev}
    for aggregate, fn in aggregates.items():
        entry = {"name": f"{bench.name}_{aggregate}", **common, "run_type": "aggregate", "threads": 1,
                 "aggregate_name": aggregate, "aggregate_unit": "time", "iterations": len(runs),
                 "time_unit": bench.unit}
        entry.update({f: fn([r[f] for r in runs]) for f in fields})
        runs.append(entry)
    return runs


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", help="Google-Benchmark JSON file to write")
    parser.add_argument("--shapes", default="cifar,fashion")
    parser.add_argument("--epoch-shapes", default="fashion",
                        help="shapes to time whole epochs for (cifar's random data set takes 600 MB)")
    parser.add_argument("--threads", default="1,2", help="torch.set_num_threads settings")
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--epoch-repetitions", type=int, default=1,
                        help="an epoch is thousands of steps already (and 10-30 s with a reference BLAS)")
    parser.add_argument("--min-time", type=float, default=0.5, help="seconds per repetition, at least")
    parser.add_argument("--warmup", type=float, default=0.2, help="seconds of warm-up per benchmark")
    parser.add_argument("--filter", default="", help="regex; only benchmarks whose name matches")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    shapes = [s for s in args.shapes.split(",") if s]
    epoch_shapes = [s for s in args.epoch_shapes.split(",") if s in shapes]
    thread_settings = [int(t) for t in args.threads.split(",") if t]
    for s in shapes + epoch_shapes:
        if s not in SHAPES:
            parser.error(f"unknown shape '{s}' (cifar, fashion)")
    torch.manual_seed(args.seed)

    # Subnormals flushed, as forma and the C++ peers do while training:
    # Adam's decaying moments of dead units otherwise slow every step
    # several times over (this reaches the calling thread, where PyTorch
    # runs at one thread).
    torch.set_flush_denormal(True)
    set_threads(1)
    failed = [s for s in shapes if not self_check(s)]
    if failed:
        print(f"pytorch_mlp: the loss did not fall for {', '.join(failed)}", file=sys.stderr)
        return 1

    wanted = re.compile(args.filter)
    benches = []
    for shape in shapes:
        dataset = None
        for threads in thread_settings:
            candidates = [lambda: train_step_benchmark(shape, threads),
                          lambda: predict_benchmark(shape, threads, 1),
                          lambda: predict_benchmark(shape, threads, INFER_BATCH)]
            if shape in epoch_shapes and wanted.search(f"pytorch/epoch/{shape}/threads:{threads}"):
                if dataset is None:  # once per shape: both thread settings train on it
                    dataset = random_batch(SHAPES[shape][1], SHAPES[shape][0])
                candidates.append(lambda: epoch_benchmark(shape, threads, dataset))
            for make in candidates:
                bench = make()
                if wanted.search(bench.name):
                    benches.append(bench)
    if not benches:
        print(f"pytorch_mlp: no benchmark matches '{args.filter}'", file=sys.stderr)
        return 1

    for bench in benches:
        warm_up(bench, args.warmup)
    order = [b for b in benches
             for _ in range(args.epoch_repetitions if "/epoch/" in b.name else args.repetitions)]
    random.Random(args.seed).shuffle(order)
    for bench in order:
        run_repetition(bench, args.min_time)

    print(f"{'benchmark':<36} {'median':>12} {'samples/s':>12} {'GFLOP/s':>9} {'reps':>5}")
    for bench in benches:
        real = statistics.median(r[1] / r[0] for r in bench.reps)
        print(f"{bench.name:<36} {real * UNIT_SCALE[bench.unit]:>9.1f} {bench.unit:<2} "
              f"{bench.samples / real:>12.0f} {bench.flops_per_sample * bench.samples / real / 1e9:>9.2f} "
              f"{len(bench.reps):>5}")

    if args.out:
        report = {
            "context": {
                "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
                "host_name": socket.gethostname(),
                "executable": os.path.abspath(__file__),
                "num_cpus": os.cpu_count(),
                "load_avg": list(os.getloadavg()),
                "library": f"pytorch {torch.__version__}",
                "python": sys.version.split()[0],
                "blas": blas_libraries(),
            },
            "benchmarks": [e for i, b in enumerate(benches) for e in entries(b, i)],
        }
        with open(args.out, "w") as f:
            json.dump(report, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
