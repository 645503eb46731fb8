#!/usr/bin/env python3
"""Optimizer parity with PyTorch: the seed MLP's weights after 10 training steps.

    Input(28, 28, 1) -> Flatten -> Dense(200, relu) -> Dense(150, relu)
                     -> Dense(10, softmax)                        (float32)

trained with categorical cross-entropy on 10 batches of 32, once with each of

    SGD(learning_rate=0.01, momentum=0.9, nesterov=True)
    Adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7)
    RMSprop(learning_rate=0.001, rho=0.9, epsilon=1e-7)

in Keras' semantics (forma's). Run from the repository root with Debian's
python3-torch:

    /usr/bin/python3 tests/golden/make_optimizer_parity.py

It writes tests/data/optimizer_parity.txt (the recipe, generator probes,
checksums and the loss of every step) and tests/data/optimizer_parity_{sgd,
adam,rmsprop}.f32.gz (the final weights), which tests/test_optimizer_parity.cpp
reads.

Generator. No initial weights or inputs are stored: they come from SplitMix64,
a fully specified integer generator that forma has as forma::SplitMix64 and
that the test runs again in C++ (the draws are golden_common.py's here,
tests/golden_support.hpp's there). Every value is exact in float32, so both
sides start from the same bits:

    m = next() >> 40                          (24 bits)
    parameter = (2 m - 2^24) * 2^-24 * scale  (in [-scale, scale))
    pixel     = m * 2^-24                     (in [0, 1))
    label     = next() % 10                   (then one-hot)

One generator, seeded with SEED, draws in this order: for each Dense layer its
kernel in Keras' layout [inputs][units] row-major (scale 2^KERNEL_SCALE_LOG2),
then its bias [units] (scale 2^BIAS_SCALE_LOG2); then all SAMPLES images, each
in height-width-channel order row-major (what Flatten passes on); then the
SAMPLES labels. Step s (from 0) trains on samples 32 s ... 32 s + 31. The
three optimizers start from the same weights and see the same batches.

Loss. The model ends in a softmax; here the loss is computed from the logits
z as mean over the batch of -sum(y * log_softmax(z)) (log_softmax + NLL with
one-hot targets), which is Keras' categorical cross-entropy on softmax(z)
wherever no probability reaches Keras' clip at 1e-7 (none does here: the
script checks).

Optimizers. Gradients always come from torch autograd; the updates:

  SGD, Nesterov: torch.optim.SGD(lr, momentum=mu, nesterov=True). torch 1.13
    (torch/optim/sgd.py, _single_tensor_sgd) keeps b = mu b + g (b = g on the
    first step, the same as starting from b = 0) and steps w -= lr (g + mu b).
    Keras keeps v = mu v - lr g and steps w += mu v - lr g. With a constant
    lr, v = -lr b holds at every step: -lr (mu b + g) = mu (-lr b) - lr g is
    Keras' new v, and -lr (g + mu b_new) = mu v_new - lr g is Keras' step.
    So the two are one rule; the script also runs Keras' form by hand and
    checks that both end at the same weights (within float rounding).

  RMSprop: torch.optim.RMSprop(lr, alpha=rho, eps=1e-7). torch 1.13
    (torch/optim/rmsprop.py, _single_tensor_rmsprop, not centered, no
    momentum): square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha);
    avg = square_avg.sqrt(); avg = avg.add_(eps);
    param.addcdiv_(grad, avg, value=-lr). That is Keras' s = rho s +
    (1 - rho) g^2, w -= lr g / (sqrt(s) + eps), with epsilon outside the
    square root in both. Checked against Keras' form by hand as well.

  Adam: torch.optim.Adam places epsilon differently (torch/optim/adam.py,
    _single_tensor_adam): w -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t)
    + eps), where Keras does w -= lr sqrt(1 - b2^t) / (1 - b1^t) * m /
    (sqrt(v) + eps). Multiplying torch's denominator by sqrt(1 - b2^t) shows
    that torch's rule is Keras' with epsilon eps * sqrt(1 - b2^t): a factor
    that changes every step, so no constant eps makes torch.optim.Adam Keras'
    Adam. The reference is therefore Keras' Adam written here with torch
    tensors (moments and weights in float32, lr_t in double as forma computes
    it). As checks, the script also runs torch.optim.Adam with its eps set to
    1e-7 / sqrt(1 - b2^t) before every step (which must agree with the hand
    step within float rounding) and plain torch.optim.Adam(eps=1e-7) (which
    is a different rule; the script prints how far apart the two end).

Rounding. The test allows each final weight 1e-5 * max(1, |reference|).
To show how much of that float32 rounding alone takes, every run is repeated
in float64 from the same values, and NOISE_RUNS more times in float32 with
the pixels and the hidden units permuted (the same function, other summation
orders: what another correct float32 implementation could give). The data
file records both. Adam and RMSprop amplify rounding: an element whose first
nonzero gradient is tiny (|g| well below epsilon / sqrt(1 - rho)) moves by
about lr / epsilon * g = 1e4 * g with RMSprop's settings, so a 1e-9 rounding
error in such a gradient (a rarely active ReLU unit whose few activations are
tiny) becomes 1e-5 in the weight. For this recipe, 8 permuted runs differed
from the reference by up to 3e-8 (SGD), 4.5e-6 (Adam) and 9.8e-6 (RMSprop):
the RMSprop check sits at float32's own noise. (In float64, forma and torch
agree to 1e-14 after the 10 steps of each optimizer.)

Output: for each optimizer, the 188660 final parameters as little-endian
float32, Dense layer by layer, each layer's kernel [inputs][units] row-major
then its bias, compressed with Python's gzip module with mtime=0 (so reruns
give the same bytes). The script uses no random state of torch or numpy and
runs on one thread, so reruns give the same files.
"""

import gzip
import math
import os
import sys
import zlib

import numpy as np
import torch
import torch.nn.functional as F

# golden_common.py lies beside this script, wherever it is run from.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_common import (  # noqa: E402
    SplitMix64, checksum, draw_dense_layers, draw_inputs, first_outputs, keras_linear)

SEED = 1729
INPUT_SHAPE = (28, 28, 1)
CLASSES = 10
# (units, log2 of the kernel's scale, log2 of the bias's scale) per Dense layer.
LAYERS = [(200, -4, -6), (150, -3, -6), (10, -3, -6)]
BATCH = 32
STEPS = 10
SAMPLES = BATCH * STEPS
GENERATOR_PROBES = 3
NOISE_RUNS = 4       # float32 runs with permuted pixels and hidden units
NOISE_SEED = 12345   # of their permutations (SplitMix64, Fisher-Yates)

# Keras' settings, as in tests/test_optimizer_parity.cpp.
SGD_SETTINGS = dict(learning_rate=0.01, momentum=0.9, nesterov=True)
ADAM_SETTINGS = dict(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7)
RMSPROP_SETTINGS = dict(learning_rate=0.001, rho=0.9, epsilon=1e-7)
OPTIMIZERS = ["sgd", "adam", "rmsprop"]

KERAS_CLIP = 1e-7  # Keras clips probabilities to [1e-7, 1 - 1e-7]

DATA_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "data"))
TXT_NAME = "optimizer_parity.txt"


def weights_name(optimizer):
    return f"optimizer_parity_{optimizer}.f32.gz"


def draw_everything():
    rng = SplitMix64(SEED)
    params, checksums = draw_dense_layers(rng, int(np.prod(INPUT_SHAPE)), LAYERS)
    images, inputs_checksum = draw_inputs(rng, SAMPLES, INPUT_SHAPE)
    checksums.append(("inputs", inputs_checksum))
    labels = [rng.next() % CLASSES for _ in range(SAMPLES)]
    checksums.append(("labels", checksum(labels)))
    return params, images, np.array(labels, dtype=np.int64), checksums


def build(params, dtype):
    """The seed MLP as torch modules."""
    modules = [torch.nn.Flatten()]
    for index, (kernel, bias) in enumerate(params):
        modules.append(keras_linear(kernel, bias, dtype))
        if index + 1 < len(params):
            modules.append(torch.nn.ReLU())
    # The logits; the softmax is inside the loss (log_softmax).
    return torch.nn.Sequential(*modules)


def linears(model):
    return [m for m in model if isinstance(m, torch.nn.Linear)]


def flat_weights(model):
    """Layer by layer: kernel [inputs][units] row-major (weight transposed), then bias."""
    parts = []
    for linear in linears(model):
        parts.append(linear.weight.detach().t().contiguous().reshape(-1))
        parts.append(linear.bias.detach().reshape(-1))
    return torch.cat(parts).numpy()


class KerasSGD:
    """Keras' SGD with momentum: v = mu v - lr g; Nesterov: w += mu v - lr g."""

    def __init__(self, params, learning_rate, momentum, nesterov):
        self.params, self.lr, self.mu, self.nesterov = list(params), learning_rate, momentum, nesterov
        self.v = [torch.zeros_like(p) for p in self.params]

    @torch.no_grad()
    def step(self):
        for p, v in zip(self.params, self.v):
            v.copy_(self.mu * v - self.lr * p.grad)
            p.add_(self.mu * v - self.lr * p.grad if self.nesterov else v)


class KerasRMSprop:
    """Keras' RMSprop: s = rho s + (1 - rho) g^2; w -= lr g / (sqrt(s) + eps)."""

    def __init__(self, params, learning_rate, rho, epsilon):
        self.params, self.lr, self.rho, self.eps = list(params), learning_rate, rho, epsilon
        self.s = [torch.zeros_like(p) for p in self.params]

    @torch.no_grad()
    def step(self):
        for p, s in zip(self.params, self.s):
            g = p.grad
            s.copy_(self.rho * s + (1 - self.rho) * g * g)
            p.sub_(self.lr * g / (s.sqrt() + self.eps))


class KerasAdam:
    """Keras' Adam: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
    w -= lr_t m / (sqrt(v) + eps), lr_t = lr sqrt(1 - b2^t) / (1 - b1^t) in double."""

    def __init__(self, params, learning_rate, beta_1, beta_2, epsilon):
        self.params = list(params)
        self.lr, self.b1, self.b2, self.eps = learning_rate, beta_1, beta_2, epsilon
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]
        self.t = 0

    @torch.no_grad()
    def step(self):
        self.t += 1
        lr_t = self.lr * math.sqrt(1.0 - self.b2 ** self.t) / (1.0 - self.b1 ** self.t)
        for p, m, v in zip(self.params, self.m, self.v):
            g = p.grad
            m.copy_(self.b1 * m + (1 - self.b1) * g)
            v.copy_(self.b2 * v + (1 - self.b2) * g * g)
            p.sub_(lr_t * m / (v.sqrt() + self.eps))


class TorchAdamKerasEpsilon:
    """torch.optim.Adam with eps set to eps / sqrt(1 - b2^t) before step t: Keras' rule."""

    def __init__(self, params, learning_rate, beta_1, beta_2, epsilon):
        self.b2, self.eps, self.t = beta_2, epsilon, 0
        self.inner = torch.optim.Adam(params, lr=learning_rate, betas=(beta_1, beta_2), eps=epsilon,
                                      foreach=False)

    def step(self):
        self.t += 1
        self.inner.param_groups[0]["eps"] = self.eps / math.sqrt(1.0 - self.b2 ** self.t)
        self.inner.step()


def make_optimizer(kind, params):
    s, a, r = SGD_SETTINGS, ADAM_SETTINGS, RMSPROP_SETTINGS
    if kind == "sgd":  # the reference: torch's own SGD
        return torch.optim.SGD(params, lr=s["learning_rate"], momentum=s["momentum"], nesterov=s["nesterov"],
                               foreach=False)
    if kind == "sgd/keras":
        return KerasSGD(params, **s)
    if kind == "rmsprop":  # the reference: torch's own RMSprop
        return torch.optim.RMSprop(params, lr=r["learning_rate"], alpha=r["rho"], eps=r["epsilon"],
                                   foreach=False)
    if kind == "rmsprop/keras":
        return KerasRMSprop(params, **r)
    if kind == "adam":  # the reference: Keras' Adam by hand
        return KerasAdam(params, **a)
    if kind == "adam/torch-keras-eps":
        return TorchAdamKerasEpsilon(params, **a)
    if kind == "adam/torch-plain":
        return torch.optim.Adam(params, lr=a["learning_rate"], betas=(a["beta_1"], a["beta_2"]),
                                eps=a["epsilon"], foreach=False)
    raise ValueError(kind)


def train(kind, params, images, labels, dtype):
    """STEPS steps; returns (final flat weights, loss of each step, smallest probability seen)."""
    model = build(params, dtype)
    optimizer = make_optimizer(kind, model.parameters())
    x_all = torch.from_numpy(images).to(dtype)
    y_all = F.one_hot(torch.from_numpy(labels), CLASSES).to(dtype)
    losses, smallest_p = [], 1.0
    for step in range(STEPS):
        x = x_all[step * BATCH:(step + 1) * BATCH]
        y = y_all[step * BATCH:(step + 1) * BATCH]
        for p in model.parameters():
            p.grad = None
        z = model(x)
        loss = -(y * F.log_softmax(z, dim=1)).sum(dim=1).mean()
        # The same as torch's cross_entropy on class indices.
        ce = F.cross_entropy(z, torch.from_numpy(labels[step * BATCH:(step + 1) * BATCH]))
        assert abs(float(ce) - float(loss)) <= 1e-6 * abs(float(loss)), (float(ce), float(loss))
        loss.backward()
        optimizer.step()
        losses.append(float(loss))
        smallest_p = min(smallest_p, float(F.softmax(z.detach(), dim=1).min()))
    return flat_weights(model), losses, smallest_p


def permutation(rng, n):
    """Fisher-Yates with SplitMix64."""
    p = list(range(n))
    for i in range(n - 1, 0, -1):
        j = rng.next() % (i + 1)
        p[i], p[j] = p[j], p[i]
    return np.array(p)


def train_permuted(kind, params, images, labels, rng):
    """The same training with the pixels and each hidden layer's units permuted: the same
    function with other float32 summation orders. Returns the final weights in the usual order."""
    perms = [permutation(rng, images[0].size)] + [permutation(rng, u) for u, _, _ in LAYERS[:-1]]
    perms.append(np.arange(LAYERS[-1][0]))  # the classes stay
    permuted = [(k[perms[i]][:, perms[i + 1]].copy(), b[perms[i + 1]].copy()) for i, (k, b) in enumerate(params)]
    flat_images = images.reshape(len(images), -1)[:, perms[0]].copy()
    weights, _, _ = train(kind, permuted, flat_images, labels, torch.float32)
    out, offset = [], 0
    for i, (k, b) in enumerate(params):
        kernel = np.empty_like(k)
        kernel[np.ix_(perms[i], perms[i + 1])] = weights[offset:offset + k.size].reshape(k.shape)
        offset += k.size
        bias = np.empty_like(b)
        bias[perms[i + 1]] = weights[offset:offset + b.size]
        offset += b.size
        out += [kernel.reshape(-1), bias]
    return np.concatenate(out)


def difference(a, b):
    """max |a - b| and max |a - b| / max(1, |b|)."""
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    d = np.abs(a64 - b64)
    return float(d.max()), float((d / np.maximum(1.0, np.abs(b64))).max())


def main():
    torch.set_num_threads(1)
    probes = first_outputs(SEED, GENERATOR_PROBES)
    params, images, labels, checksums = draw_everything()
    param_count = sum(k.size + b.size for k, b in params)
    initial = np.concatenate([np.concatenate([k.reshape(-1), b]) for k, b in params])

    results = {}
    report = []
    for kind in OPTIMIZERS:
        weights, losses, smallest_p = train(kind, params, images, labels, torch.float32)
        assert weights.dtype == np.float32 and weights.shape == (param_count,)
        assert np.all(np.isfinite(weights))
        assert smallest_p > KERAS_CLIP, f"{kind}: a probability reached Keras' clip; the losses would differ"
        results[kind] = (weights, losses)
        exact, exact_losses, _ = train(kind, params, images, labels, torch.float64)
        noise_rng = SplitMix64(NOISE_SEED)
        noise = [difference(train_permuted(kind, params, images, labels, noise_rng), weights)[1]
                 for _ in range(NOISE_RUNS)]
        report.append(f"{kind}: weights moved from the start by up to {np.abs(weights - initial).max():.3g}; "
                      f"smallest probability {smallest_p:.3g}")
        report.append(f"{kind}: reference vs float64: max error {difference(weights, exact)[1]:.3g} "
                      f"(weights, to max(1,|w|)), "
                      f"{max(abs(a - b) / abs(b) for a, b in zip(losses, exact_losses)):.3g} (losses, relative)")
        report.append(f"{kind}: {NOISE_RUNS} permuted float32 runs vs the reference: max error "
                      + ", ".join(f"{n:.3g}" for n in noise))

    # The cross-checks described in the docstring.
    checks = []
    for reference, other, must_agree in [("sgd", "sgd/keras", True), ("rmsprop", "rmsprop/keras", True),
                                         ("adam", "adam/torch-keras-eps", True),
                                         ("adam", "adam/torch-plain", False)]:
        weights, losses, _ = train(other, params, images, labels, torch.float32)
        d_abs, d_rel = difference(weights, results[reference][0])
        checks.append(f"{other} vs {reference}: max abs {d_abs:.3g}, max rel {d_rel:.3g}")
        if must_agree:
            assert d_rel <= 1e-6, checks[-1]
        else:
            assert d_rel > 1e-6, checks[-1] + " (expected a visible difference)"

    s, a, r = SGD_SETTINGS, ADAM_SETTINGS, RMSPROP_SETTINGS
    units = [u for u, _, _ in LAYERS]
    lines = [
        "# Optimizer parity with PyTorch: the seed MLP's weights after 10 training steps, computed by torch.",
        "# Do not edit: regenerate (this file and the three .f32.gz files) with",
        "#   /usr/bin/python3 tests/golden/make_optimizer_parity.py",
        f"# torch {torch.__version__}, numpy {np.__version__}, python {sys.version.split()[0]}, "
        f"zlib {zlib.ZLIB_VERSION}; float32, one thread.",
        "# Model: Input(28, 28, 1) -> Flatten -> Dense(200, relu) -> Dense(150, relu) -> Dense(10, softmax),",
        "# categorical cross-entropy, batches of 32, one step per batch, from the same start for each optimizer.",
        "# Initial weights, images and labels come from SplitMix64(seed) as the script describes;",
        "# tests/test_optimizer_parity.cpp draws them again with forma::SplitMix64 and checks everything below.",
        "#",
        "# Each weights file: `parameters` values, little-endian float32, gzip-compressed; Dense layer by layer,",
        "# the kernel [inputs][units] row-major, then the bias [units]. `weights NAME FILE COUNT CRC32` gives the",
        "# file, its count of floats and the zlib crc32 of the uncompressed bytes.",
        "# `loss NAME ...` is the batch's mean loss at each step, before that step's update (what",
        "# train_on_batch returns), 9 significant digits.",
        "#",
        "# Adam is Keras' rule written by hand with torch tensors (torch.optim.Adam places epsilon differently);",
        "# SGD (Nesterov) and RMSprop are torch.optim's own, which are Keras' rules (see the script).",
        "# Cross-checks when this file was made:",
    ]
    lines += [f"#   {c}" for c in checks]
    lines += [f"#   {c}" for c in report]
    lines += [
        f"seed {SEED}",
        "input_shape " + " ".join(str(d) for d in INPUT_SHAPE),
        "units " + " ".join(str(u) for u in units),
        "kernel_scale_log2 " + " ".join(str(k) for _, k, _ in LAYERS),
        "bias_scale_log2 " + " ".join(str(b) for _, _, b in LAYERS),
        f"batch_size {BATCH}",
        f"steps {STEPS}",
        f"samples {SAMPLES}",
        f"parameters {param_count}",
        "# The first outputs of SplitMix64(seed).next().",
        "generator " + " ".join(str(p) for p in probes),
        "# sum over i of (i + 1) * n_i mod 2^64, n_i the integers drawn for each tensor in draw order",
        "# (numerators for weights and pixels, classes for labels).",
    ]
    lines += [f"checksum {name} {value}" for name, value in checksums]
    lines += [
        f"optimizer sgd learning_rate {s['learning_rate']} momentum {s['momentum']} nesterov "
        f"{int(s['nesterov'])}",
        f"optimizer adam learning_rate {a['learning_rate']} beta_1 {a['beta_1']} beta_2 {a['beta_2']} "
        f"epsilon {a['epsilon']}",
        f"optimizer rmsprop learning_rate {r['learning_rate']} rho {r['rho']} epsilon {r['epsilon']}",
    ]

    os.makedirs(DATA_DIR, exist_ok=True)
    sizes = []
    for kind in OPTIMIZERS:
        weights, losses = results[kind]
        raw = weights.astype("<f4").tobytes()
        packed = gzip.compress(raw, compresslevel=9, mtime=0)
        path = os.path.join(DATA_DIR, weights_name(kind))
        with open(path, "wb") as f:
            f.write(packed)
        sizes.append(f"{path}: {len(packed)} bytes ({len(raw)} uncompressed)")
        lines.append(f"weights {kind} {weights_name(kind)} {weights.size} {zlib.crc32(raw)}")
        lines.append(f"loss {kind} " + " ".join(f"{v:.9g}" for v in losses))

    txt = os.path.join(DATA_DIR, TXT_NAME)
    with open(txt, "w", encoding="ascii", newline="\n") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {txt}")
    for line in sizes + checks + report:
        print(line)


if __name__ == "__main__":
    main()
