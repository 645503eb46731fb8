#!/usr/bin/env python3
"""Golden outputs of forma's seed MLP, computed by PyTorch.

    Input(32, 32, 3) -> Flatten -> Dense(200, relu) -> Dense(150, relu)
                     -> Dense(10, softmax)                        (float32)

Run from the repository root with Debian's python3-torch:

    /usr/bin/python3 tests/golden/make_seed_mlp_forward.py

It writes tests/data/seed_mlp_forward.txt, which tests/test_golden.cpp reads.

No weights are stored: weights and inputs come from SplitMix64, a fully
specified integer generator that forma has as forma::SplitMix64 and that the
test runs again in C++. Every value is exact in float32, so both sides start
from the same bits:

    m = next() >> 40                          (24 bits)
    parameter = (2 m - 2^24) * 2^-24 * scale  (in [-scale, scale))
    input     = m * 2^-24                     (in [0, 1))

One generator, seeded with SEED, draws in this order: for each Dense layer its
kernel in Keras' layout [inputs][units], row-major, then its bias [units];
then IMAGES images, each in height-width-channel order, row-major (what
Keras' Flatten and forma's Tensor<Shape<32, 32, 3>> do). The scales are
powers of two chosen so that about half of each ReLU layer is active and the
softmax is far from saturated.

The data file also holds the first generator outputs and a checksum of every
generated tensor, so that a mismatch in the generator or in the fill order is
reported as such, apart from the forward pass. The script uses no random
state of torch or numpy and runs on one thread, so reruns give the same file.
"""

import os
import sys

import numpy as np
import torch

SEED = 2024
IMAGES = 5
INPUT_SHAPE = (32, 32, 3)
# (units, log2 of the scale of the kernel and bias) per Dense layer.
LAYERS = [(200, -5), (150, -3), (10, -2)]
GENERATOR_PROBES = 3

MASK64 = (1 << 64) - 1
OUT_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "data",
                        "seed_mlp_forward.txt")


class SplitMix64:
    """Steele, Lea and Flood (2014); the same as forma::SplitMix64."""

    def __init__(self, seed):
        self.state = seed & MASK64

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)


def draw_numerators(rng, count, signed):
    """The integers n with value = n * 2^-24 (* scale): exact in float32."""
    if signed:
        return [2 * (rng.next() >> 40) - (1 << 24) for _ in range(count)]
    return [rng.next() >> 40 for _ in range(count)]


def checksum(numerators):
    """sum over i of (i + 1) * n_i, mod 2^64: position-sensitive, exact."""
    total = 0
    for i, n in enumerate(numerators):
        total = (total + (i + 1) * n) & MASK64
    return total


def to_float32(numerators, scale):
    values = np.array(numerators, dtype=np.float64) * (2.0 ** -24) * scale
    values32 = values.astype(np.float32)
    assert np.array_equal(values32.astype(np.float64), values), "a value is not exact in float32"
    return values32


def main():
    torch.set_num_threads(1)

    probe_rng = SplitMix64(SEED)
    probes = [probe_rng.next() for _ in range(GENERATOR_PROBES)]

    rng = SplitMix64(SEED)
    fan_in = int(np.prod(INPUT_SHAPE))
    params = []     # (kernel [inputs][units], bias [units]) per layer, float32
    checksums = []  # (name, value)
    for index, (units, scale_log2) in enumerate(LAYERS):
        scale = 2.0 ** scale_log2
        kn = draw_numerators(rng, fan_in * units, signed=True)
        bn = draw_numerators(rng, units, signed=True)
        checksums.append((f"dense{index}.kernel", checksum(kn)))
        checksums.append((f"dense{index}.bias", checksum(bn)))
        params.append((to_float32(kn, scale).reshape(fan_in, units), to_float32(bn, scale)))
        fan_in = units
    xn = draw_numerators(rng, IMAGES * int(np.prod(INPUT_SHAPE)), signed=False)
    checksums.append(("inputs", checksum(xn)))
    images = to_float32(xn, 1.0).reshape(IMAGES, *INPUT_SHAPE)

    def build(dtype):
        modules = [torch.nn.Flatten()]
        for index, (kernel, bias) in enumerate(params):
            linear = torch.nn.Linear(kernel.shape[0], kernel.shape[1], dtype=dtype)
            with torch.no_grad():
                # nn.Linear keeps its weight as [units][inputs]: Keras' transposed.
                linear.weight.copy_(torch.from_numpy(kernel.T.copy()))
                linear.bias.copy_(torch.from_numpy(bias))
            modules.append(linear)
            modules.append(torch.nn.ReLU() if index + 1 < len(params) else torch.nn.Softmax(dim=1))
        return torch.nn.Sequential(*modules).eval()

    with torch.no_grad():
        x = torch.from_numpy(images)
        outputs = build(torch.float32)(x).numpy()
        # float64 of the same weights: how far float32 itself is from exact.
        exact = build(torch.float64)(x.double()).numpy()
    assert outputs.dtype == np.float32 and outputs.shape == (IMAGES, LAYERS[-1][0])

    units = [u for u, _ in LAYERS]
    lines = [
        "# Golden outputs of forma's seed MLP, computed by PyTorch. Do not edit: regenerate with",
        "#   /usr/bin/python3 tests/golden/make_seed_mlp_forward.py",
        f"# torch {torch.__version__}, numpy {np.__version__}, python {sys.version.split()[0]}; float32, one thread.",
        "# Model: Input(32, 32, 3) -> Flatten -> Dense(200, relu) -> Dense(150, relu) -> Dense(10, softmax).",
        "# Weights and inputs are drawn from SplitMix64(seed) as the script describes; tests/test_golden.cpp",
        "# draws them again with forma::SplitMix64 and checks every line below.",
        f"seed {SEED}",
        "input_shape " + " ".join(str(d) for d in INPUT_SHAPE),
        "units " + " ".join(str(u) for u in units),
        "scale_log2 " + " ".join(str(s) for _, s in LAYERS),
        f"images {IMAGES}",
        "# The first outputs of SplitMix64(seed).next().",
        "generator " + " ".join(str(p) for p in probes),
        "# sum over i of (i + 1) * n_i mod 2^64, n_i the integer numerators of each tensor in draw order.",
    ]
    lines += [f"checksum {name} {value}" for name, value in checksums]
    lines.append("# softmax outputs, one image a line, 9 significant digits (round-trips float32).")
    lines.append(f"outputs {IMAGES} {units[-1]}")
    lines += [" ".join(f"{float(v):.9g}" for v in row) for row in outputs]

    path = os.path.normpath(OUT_PATH)
    with open(path, "w", encoding="ascii", newline="\n") as f:
        f.write("\n".join(lines) + "\n")

    diff = np.abs(outputs.astype(np.float64) - exact)
    print(f"wrote {path}")
    print(f"outputs in [{outputs.min():.6g}, {outputs.max():.6g}]; "
          f"torch float32 vs float64: max abs diff {diff.max():.3g}, "
          f"max rel diff {(diff / np.abs(exact)).max():.3g}")


if __name__ == "__main__":
    main()
