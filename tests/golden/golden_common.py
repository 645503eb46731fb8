"""What the golden-data generators share: SplitMix64 and the float32-exact draws.

make_seed_mlp_forward.py and make_optimizer_parity.py import it (each puts its
own folder on sys.path first); tests/golden_support.hpp draws the same values
in C++ with forma::SplitMix64:

    m = next() >> 40                          (24 bits)
    parameter = (2 m - 2^24) * 2^-24 * scale  (scale a power of two)
    input     = m * 2^-24                     (in [0, 1))

Every value is exact in float32, so both sides start from the same bits. One
generator draws, for each Dense layer, its kernel in Keras' layout
[inputs][units], row-major, then its bias [units]; then the inputs, each in
height-width-channel order, row-major (what Flatten passes on).
"""

import numpy as np
import torch

MASK64 = (1 << 64) - 1


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


def first_outputs(seed, count):
    """The first count outputs of SplitMix64(seed).next()."""
    rng = SplitMix64(seed)
    return [rng.next() for _ in range(count)]


def draw_numerators(rng, count, signed):
    """The integers n with value = n * 2^-24 (* scale): exact in float32."""
    if signed:
        return [2 * (rng.next() >> 40) - (1 << 24) for _ in range(count)]
    return [rng.next() >> 40 for _ in range(count)]


def checksum(numbers):
    """sum over i of (i + 1) * n_i, mod 2^64: position-sensitive, exact."""
    total = 0
    for i, n in enumerate(numbers):
        total = (total + (i + 1) * n) & MASK64
    return total


def to_float32(numerators, scale):
    values = np.array(numerators, dtype=np.float64) * (2.0 ** -24) * scale
    values32 = values.astype(np.float32)
    assert np.array_equal(values32.astype(np.float64), values), "a value is not exact in float32"
    return values32


def draw_dense_layers(rng, fan_in, layers):
    """Each Dense layer's kernel [fan_in][units] (scale 2^kernel_log2), then its bias [units]
    (scale 2^bias_log2), for (units, kernel_log2, bias_log2) in layers.

    Returns (params, checksums): params a (kernel, bias) float32 pair per layer, checksums
    (name, value) pairs "denseI.kernel" and "denseI.bias" per layer, in draw order."""
    params = []     # (kernel [inputs][units], bias [units]) per layer, float32
    checksums = []  # (name, value)
    for index, (units, kernel_log2, bias_log2) in enumerate(layers):
        kn = draw_numerators(rng, fan_in * units, signed=True)
        bn = draw_numerators(rng, units, signed=True)
        checksums.append((f"dense{index}.kernel", checksum(kn)))
        checksums.append((f"dense{index}.bias", checksum(bn)))
        params.append((to_float32(kn, 2.0 ** kernel_log2).reshape(fan_in, units),
                       to_float32(bn, 2.0 ** bias_log2)))
        fan_in = units
    return params, checksums


def draw_inputs(rng, count, shape):
    """count inputs of the given shape, float32 in [0, 1); returns (inputs, checksum)."""
    xn = draw_numerators(rng, count * int(np.prod(shape)), signed=False)
    return to_float32(xn, 1.0).reshape(count, *shape), checksum(xn)


def keras_linear(kernel, bias, dtype):
    """A torch.nn.Linear with this Keras kernel [inputs][units] and bias; nn.Linear keeps its
    weight as [units][inputs], the kernel transposed."""
    layer = torch.nn.Linear(kernel.shape[0], kernel.shape[1], dtype=dtype)
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(kernel.T.copy()))
        layer.bias.copy_(torch.from_numpy(bias))
    return layer
