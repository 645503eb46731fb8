#!/usr/bin/env python3
"""Golden outputs of forma's seed MLP, computed by PyTorch.

    Input(32, 32, 3) -> Flatten -> Dense(200, relu) -> Dense(150, relu)
                     -> Dense(10, softmax)                        (float32)

Run from the repository root with Debian's python3-torch:

    /usr/bin/python3 tests/golden/make_seed_mlp_forward.py

It writes tests/data/seed_mlp_forward.txt, which tests/test_golden.cpp reads.

No weights are stored: weights and inputs come from SplitMix64, a fully
specified integer generator that forma has as forma::SplitMix64 and that the
test runs again in C++ (the draws are golden_common.py's here,
tests/golden_support.hpp's there). Every value is exact in float32, so both
sides start from the same bits:

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

# golden_common.py lies beside this script, wherever it is run from.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_common import (  # noqa: E402
    SplitMix64, draw_dense_layers, draw_inputs, first_outputs, keras_linear)

SEED = 2024
IMAGES = 5
INPUT_SHAPE = (32, 32, 3)
# (units, log2 of the scale of the kernel and bias) per Dense layer.
LAYERS = [(200, -5), (150, -3), (10, -2)]
GENERATOR_PROBES = 3

OUT_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "data",
                        "seed_mlp_forward.txt")


def main():
    torch.set_num_threads(1)

    probes = first_outputs(SEED, GENERATOR_PROBES)

    rng = SplitMix64(SEED)
    # The kernel and the bias of a layer have the same scale.
    params, checksums = draw_dense_layers(rng, int(np.prod(INPUT_SHAPE)), [(u, s, s) for u, s in LAYERS])
    images, inputs_checksum = draw_inputs(rng, IMAGES, INPUT_SHAPE)
    checksums.append(("inputs", inputs_checksum))

    def build(dtype):
        modules = [torch.nn.Flatten()]
        for index, (kernel, bias) in enumerate(params):
            modules.append(keras_linear(kernel, bias, dtype))
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
