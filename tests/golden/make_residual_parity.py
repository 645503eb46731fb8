#!/usr/bin/env python3
"""Graph parity with PyTorch: a residual functional model, forward and 10 Adam steps.

    x = Input(21)
    h = Dense(13, relu)(x)
    r = Dense(13, tanh)(h)
    s = Add()([h, r])                 (h feeds r and the Add: a skip connection)
    c = Concatenate()([s, x])         (last axis: 13 + 21 = 34)
    y = Dense(5, softmax)(c)                                      (float32)

trained with categorical cross-entropy on 10 batches of 8 with Keras' Adam
(learning_rate=0.01, beta_1=0.9, beta_2=0.999, epsilon=1e-7). The sizes are
small (643 parameters, so the data file stays small) and not multiples of a
SIMD width, so forma's padded rows and the Concatenate's offsets are used.
Run from the repository root with Debian's python3-torch:

    /usr/bin/python3 tests/golden/make_residual_parity.py

It writes tests/data/residual_parity.txt, which tests/test_graph_parity.cpp
reads: the recipe, generator probes and checksums of the draws, the softmax
outputs on the first batch before training, the gradient of the first
step's loss, each step's loss and the final weights.

Generator: golden_common.py's, as in make_optimizer_parity.py. One
SplitMix64(SEED) draws each Dense layer's kernel [inputs][units] row-major,
then its bias, in model order (dense0 = h, dense1 = r, dense2 = the output
layer, whose 34 inputs are s then x); then the SAMPLES inputs; then the
SAMPLES labels (next() % CLASSES). Step t (from 0) trains on samples
BATCH t ... BATCH t + BATCH - 1.

Adam: Keras' rule by hand (make_optimizer_parity.KerasAdam; torch.optim.Adam
places epsilon differently, see that script), cross-checked here against
torch.optim.Adam with Keras' epsilon rescaled every step.

Why the gradient is recorded too: Adam's step barely depends on the scale of
the gradient (m / sqrt(v) is the same for g and 2 g, up to epsilon), so a
gradient that is wrong by a constant factor would still give torch's weights.
The first step's gradient, compared directly, catches that.

Rounding. As make_optimizer_parity.py does, every run is repeated in float64
and NOISE_RUNS more times in float32 with the input features and the hidden
units permuted (the same function, other summation orders; h, r and s share
one permutation since Add pairs their units). The header of the data file
records how far those runs are from the reference; the test's tolerances
are set from them. No random state of torch or numpy is used and torch runs
on one thread, so reruns give the same file.
"""

import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

# golden_common.py and make_optimizer_parity.py lie beside this script.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_common import (  # noqa: E402
    SplitMix64, checksum, draw_dense_layers, draw_inputs, first_outputs, keras_linear)
from make_optimizer_parity import (  # noqa: E402
    KERAS_CLIP, KerasAdam, TorchAdamKerasEpsilon, difference, permutation)

SEED = 31415
INPUTS = 21
HIDDEN = 13
CLASSES = 5
# (units, log2 of the kernel's scale, log2 of the bias's scale) per Dense
# layer in model order; fan-ins 21, 13 and 13 + 21. The scales keep about
# half of h active, tanh unsaturated and the softmax away from its clip.
LAYERS = [(HIDDEN, -2, -4), (HIDDEN, -1, -4), (CLASSES, -1, -4)]
FAN_INS = [INPUTS, HIDDEN, HIDDEN + INPUTS]
BATCH = 8
STEPS = 10
SAMPLES = BATCH * STEPS
GENERATOR_PROBES = 3
NOISE_RUNS = 4
NOISE_SEED = 27182

# Keras' settings, as in tests/test_graph_parity.cpp.
ADAM_SETTINGS = dict(learning_rate=0.01, beta_1=0.9, beta_2=0.999, epsilon=1e-7)

DATA_PATH = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "data",
                                          "residual_parity.txt"))
NAMES = [f"dense{i}" for i in range(len(LAYERS))]


def draw_everything():
    rng = SplitMix64(SEED)
    params, checksums = [], []
    for name, fan_in, layer in zip(NAMES, FAN_INS, LAYERS):
        # One layer at a time: the fan-ins do not chain (the last reads s and x).
        p, sums = draw_dense_layers(rng, fan_in, [layer])
        params += p
        checksums += [(name + n[len("dense0"):], v) for n, v in sums]
    inputs, inputs_checksum = draw_inputs(rng, SAMPLES, (INPUTS,))
    checksums.append(("inputs", inputs_checksum))
    labels = [rng.next() % CLASSES for _ in range(SAMPLES)]
    checksums.append(("labels", checksum(labels)))
    return params, inputs, np.array(labels, dtype=np.int64), checksums


class Residual(torch.nn.Module):
    """The graph above; forward returns the logits (the softmax is in the loss)."""

    def __init__(self, params, dtype):
        super().__init__()
        self.dense = torch.nn.ModuleList([keras_linear(k, b, dtype) for k, b in params])

    def forward(self, x):
        h = torch.relu(self.dense[0](x))
        r = torch.tanh(self.dense[1](h))
        s = h + r
        return self.dense[2](torch.cat([s, x], dim=1))


def flat(tensors):
    """Keras' order: per layer the kernel [inputs][units] row-major (weight transposed), then the bias."""
    parts = []
    for weight, bias in zip(tensors[0::2], tensors[1::2]):
        parts += [weight.detach().t().contiguous().reshape(-1), bias.detach().reshape(-1)]
    return torch.cat(parts).numpy()


def make_optimizer(kind, params):
    if kind == "adam":  # the reference
        return KerasAdam(params, **ADAM_SETTINGS)
    if kind == "adam/torch-keras-eps":
        return TorchAdamKerasEpsilon(params, **ADAM_SETTINGS)
    raise ValueError(kind)


def train(kind, params, inputs, labels, dtype):
    """STEPS steps. Returns (final weights, first gradient, softmax of batch 0 before training,
    loss of each step, smallest probability seen)."""
    model = Residual(params, dtype)
    tensors = [t for linear in model.dense for t in (linear.weight, linear.bias)]
    optimizer = make_optimizer(kind, tensors)
    x_all = torch.from_numpy(inputs).to(dtype)
    y_all = F.one_hot(torch.from_numpy(labels), CLASSES).to(dtype)
    losses, smallest_p, first_grad, first_probs = [], 1.0, None, None
    for step in range(STEPS):
        rows = slice(step * BATCH, (step + 1) * BATCH)
        for t in tensors:
            t.grad = None
        z = model(x_all[rows])
        loss = -(y_all[rows] * F.log_softmax(z, dim=1)).sum(dim=1).mean()
        loss.backward()
        probs = F.softmax(z.detach(), dim=1)
        if step == 0:
            first_grad = flat([t.grad for t in tensors])
            first_probs = probs.numpy().copy()
        optimizer.step()
        losses.append(float(loss))
        smallest_p = min(smallest_p, float(probs.min()))
    return flat(tensors), first_grad, first_probs, losses, smallest_p


def layer_slices():
    """(kernel slice, kernel shape, bias slice) of each layer in the flat order."""
    out, offset = [], 0
    for fan_in, (units, _, _) in zip(FAN_INS, LAYERS):
        k = slice(offset, offset + fan_in * units)
        offset += fan_in * units
        out.append((k, (fan_in, units), slice(offset, offset + units)))
        offset += units
    return out


def train_permuted(params, inputs, labels, rng):
    """The reference with the input features and the hidden units permuted; the results in the
    usual order."""
    p_in, p_h = permutation(rng, INPUTS), permutation(rng, HIDDEN)
    # Each layer's (row, column) permutation; the last one's rows are s then x.
    perms = [(p_in, p_h), (p_h, p_h), (np.concatenate([p_h, HIDDEN + p_in]), np.arange(CLASSES))]
    permuted = [(k[rows][:, cols].copy(), b[cols].copy()) for (k, b), (rows, cols) in zip(params, perms)]
    weights, grad, probs, losses, _ = train("adam", permuted, inputs[:, p_in].copy(), labels, torch.float32)

    def unpermute(values):
        out = np.empty_like(values)
        for (ks, shape, bs), (rows, cols) in zip(layer_slices(), perms):
            kernel = np.empty(shape, dtype=values.dtype)
            kernel[np.ix_(rows, cols)] = values[ks].reshape(shape)
            out[ks] = kernel.reshape(-1)
            bias = np.empty(shape[1], dtype=values.dtype)
            bias[cols] = values[bs]
            out[bs] = bias
        return out

    return unpermute(weights), unpermute(grad), probs, losses


def gradient_error(a, b, scale):
    """max |a - b| / max(scale, |b|): the gradient's error against its own size."""
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    return float((np.abs(a64 - b64) / np.maximum(scale, np.abs(b64))).max())


def fmt(values):
    return " ".join(f"{float(v):.9g}" for v in values)


def main():
    torch.set_num_threads(1)
    probes = first_outputs(SEED, GENERATOR_PROBES)
    params, inputs, labels, checksums = draw_everything()
    param_count = sum(k.size + b.size for k, b in params)
    initial = np.concatenate([np.concatenate([k.reshape(-1), b]) for k, b in params])

    weights, grad, probs, losses, smallest_p = train("adam", params, inputs, labels, torch.float32)
    assert weights.dtype == np.float32 and weights.shape == (param_count,)
    assert np.all(np.isfinite(weights)) and np.all(np.isfinite(grad))
    assert smallest_p > KERAS_CLIP, "a probability reached Keras' clip; the losses would differ"
    grad_scale = float(np.abs(grad).max())

    exact_w, exact_g, exact_p, exact_l, _ = train("adam", params, inputs, labels, torch.float64)
    noise_rng = SplitMix64(NOISE_SEED)
    noise = [train_permuted(params, inputs, labels, noise_rng) for _ in range(NOISE_RUNS)]

    def loss_error(other):
        return max(abs(a - b) / abs(b) for a, b in zip(other, losses))

    report = [
        f"weights moved from the start by up to {np.abs(weights - initial).max():.3g}; "
        f"largest |gradient| {grad_scale:.3g}; smallest probability {smallest_p:.3g}",
        f"reference vs float64: outputs {difference(probs, exact_p)[1]:.3g}, gradient "
        f"{gradient_error(grad, exact_g, grad_scale):.3g}, losses {loss_error(exact_l):.3g}, "
        f"weights {difference(weights, exact_w)[1]:.3g}",
        f"{NOISE_RUNS} permuted float32 runs vs the reference: outputs "
        + ", ".join(f"{difference(p, probs)[1]:.3g}" for _, _, p, _ in noise),
        "  gradient " + ", ".join(f"{gradient_error(g, grad, grad_scale):.3g}" for _, g, _, _ in noise),
        "  losses " + ", ".join(f"{loss_error(l):.3g}" for _, _, _, l in noise),
        "  weights " + ", ".join(f"{difference(w, weights)[1]:.3g}" for w, _, _, _ in noise),
    ]
    other_w, _, _, _, _ = train("adam/torch-keras-eps", params, inputs, labels, torch.float32)
    d_abs, d_rel = difference(other_w, weights)
    check = f"adam/torch-keras-eps vs adam: max abs {d_abs:.3g}, max rel {d_rel:.3g}"
    assert d_rel <= 1e-6, check

    a = ADAM_SETTINGS
    lines = [
        "# Graph parity with PyTorch: a residual functional model, forward and 10 Adam steps, computed by torch.",
        "# Do not edit: regenerate with",
        "#   /usr/bin/python3 tests/golden/make_residual_parity.py",
        f"# torch {torch.__version__}, numpy {np.__version__}, python {sys.version.split()[0]}; float32, one thread.",
        "# Model: x = Input(21); h = Dense(13, relu)(x); r = Dense(13, tanh)(h); s = Add()([h, r]);",
        "# c = Concatenate()([s, x]); y = Dense(5, softmax)(c). Categorical cross-entropy, batches of 8,",
        "# one Adam step (Keras' rule) per batch. Initial weights, inputs and labels come from SplitMix64(seed)",
        "# as the script describes; tests/test_graph_parity.cpp draws them again and checks everything below.",
        "#",
        "# dense0 is h's layer, dense1 r's, dense2 the output layer (kernel rows: s's 13 units, then x's 21).",
        "# `gradient NAME ...`: the gradient of the first step's loss (batch 0, initial weights);",
        "# `final NAME ...`: the weights after the 10 steps; kernels [inputs][units] row-major.",
        "# `loss ...`: each step's mean loss before its update (what train_on_batch returns).",
        "# `outputs ROWS COLS`, the last lines: softmax outputs on batch 0 before training.",
        "# All values with 9 significant digits (float32 round-trips).",
        "# Cross-checks when this file was made (errors relative to max(1, |ref|); the gradient's to",
        "# max(largest |gradient|, |ref|); losses relative):",
        f"#   {check}",
    ]
    lines += [f"#   {r}" for r in report]
    lines += [
        f"seed {SEED}",
        f"input_shape {INPUTS}",
        "units " + " ".join(str(u) for u, _, _ in LAYERS),
        "kernel_scale_log2 " + " ".join(str(k) for _, k, _ in LAYERS),
        "bias_scale_log2 " + " ".join(str(b) for _, _, b in LAYERS),
        f"batch_size {BATCH}",
        f"steps {STEPS}",
        f"samples {SAMPLES}",
        f"parameters {param_count}",
        "# The first outputs of SplitMix64(seed).next().",
        "generator " + " ".join(str(p) for p in probes),
        "# sum over i of (i + 1) * n_i mod 2^64, n_i the integers drawn for each tensor in draw order",
        "# (numerators for weights and inputs, classes for labels).",
    ]
    lines += [f"checksum {name} {value}" for name, value in checksums]
    lines.append(f"optimizer adam learning_rate {a['learning_rate']} beta_1 {a['beta_1']} beta_2 {a['beta_2']} "
                 f"epsilon {a['epsilon']}")
    lines.append("loss " + fmt(losses))
    for key, values in [("gradient", grad), ("final", weights)]:
        for name, (ks, _, bs) in zip(NAMES, layer_slices()):
            lines.append(f"{key} {name}.kernel " + fmt(values[ks]))
            lines.append(f"{key} {name}.bias " + fmt(values[bs]))
    lines.append(f"outputs {BATCH} {CLASSES}")
    lines += [fmt(row) for row in probs]

    with open(DATA_PATH, "w", encoding="ascii", newline="\n") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {DATA_PATH}")
    for line in [check] + report:
        print(line)


if __name__ == "__main__":
    main()
