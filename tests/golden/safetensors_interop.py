#!/usr/bin/env python3
"""safetensors interop between forma and PyTorch, both ways, on the seed MLP
with Fashion-MNIST's shapes:

    Input(28, 28, 1) -> Flatten -> Dense(200, relu) -> Dense(150, relu)
                     -> Dense(10, softmax)                        (float32)

The safetensors files are read and written here with numpy alone (the format
is 8 bytes of little-endian header length N, N bytes of JSON, then the
data), so the test does not rest on forma's own reading of the format; torch
only makes the reference model and its predictions. Run from anywhere with
Debian's python3-torch:

  /usr/bin/python3 tests/golden/safetensors_interop.py
      PyTorch -> forma. Makes the model in torch (torch.manual_seed(TORCH_SEED),
      nn.Linear's own initialisation), writes its weights under Keras' names
      and layouts (dense.kernel = first Linear's weight transposed, [784, 200];
      dense.bias [200]; dense_1.*, dense_2.*) to
      tests/data/seed_mlp_torch.safetensors, with the metadata {"format": "pt"}
      and no architecture (as another tool's file would be), and torch's
      predictions for the inputs below to
      tests/data/seed_mlp_torch_predictions.txt. tests/test_io.cpp loads the
      file into forma and reproduces the predictions within 1e-5.

  /usr/bin/python3 tests/golden/safetensors_interop.py --check FILE [--predictions TXT]
      forma -> PyTorch. Reads FILE, written by forma's save_weights (the
      committed one is tests/data/seed_mlp_forma.safetensors, from
      model.init(2718)), and checks: the header's layout (8-byte aligned data,
      offsets covering the data without gaps), the metadata (format "forma",
      format_version "1", the architecture signature), the tensor names,
      dtypes (F32) and shapes; then computes the predictions for the inputs
      below in numpy (float64) and in torch (float32, weights loaded from the
      file) and compares both with forma's own predictions, which TXT holds
      (default: FILE's name with _predictions.txt for .safetensors).
      tests/test_io.cpp checks that forma still writes FILE byte for byte and
      still predicts TXT; it rewrites both with FORMA_WRITE_GOLDEN=1 set.

Inputs: INPUTS images drawn from SplitMix64(INPUT_SEED) (forma::SplitMix64 in
C++), each pixel m * 2^-24 with m = next() >> 40 (exact in float32), in
height-width-channel order, image after image. The script uses no random
state besides torch.manual_seed and runs on one thread; torch's
initialisation for a given seed is stable within a torch version, and the
file is committed, so the test never needs to rerun this.
"""

import argparse
import json
import os
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden_common  # noqa: E402  (the shared generator, beside this script)

TORCH_SEED = 0
INPUT_SEED = 99
INPUTS = 4
INPUT_SHAPE = (28, 28, 1)
UNITS = [200, 150, 10]
ARCHITECTURE = "Input(28,28,1)-Flatten-Dense(200,relu)-Dense(150,relu)-Dense(10,softmax)"
NAMES = ["dense", "dense_1", "dense_2"]
TOLERANCE = 1e-5  # each prediction within TOLERANCE * max(1, |reference|)

DATA_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "data"))
TORCH_FILE = os.path.join(DATA_DIR, "seed_mlp_torch.safetensors")
TORCH_PREDICTIONS = os.path.join(DATA_DIR, "seed_mlp_torch_predictions.txt")



def draw_inputs():
    images, _ = golden_common.draw_inputs(golden_common.SplitMix64(INPUT_SEED), INPUTS, INPUT_SHAPE)
    return images


# --- safetensors with numpy ---------------------------------------------------

DTYPES = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8")}


def write_safetensors(path, tensors, metadata):
    """tensors: list of (name, numpy array), written in that order."""
    header = {"__metadata__": metadata}
    blobs, offset = [], 0
    for name, array in tensors:
        data = np.ascontiguousarray(array, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # the data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    """Returns (metadata, {name: array}, [names in data order]); raises
    ValueError on anything the format does not allow."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError("shorter than 8 bytes")
    (n,) = struct.unpack("<Q", raw[:8])
    if 8 + n > len(raw):
        raise ValueError(f"header length {n} runs past the end")
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    metadata = header.pop("__metadata__", {})
    if not all(isinstance(v, str) for v in metadata.values()):
        raise ValueError("metadata values must be strings")
    order = sorted(header, key=lambda k: tuple(header[k]["data_offsets"]))
    expected = 0
    tensors = {}
    for name in order:
        entry = header[name]
        begin, end = entry["data_offsets"]
        if begin != expected:
            raise ValueError(f"{name}: data starts at {begin}, expected {expected} (gap or overlap)")
        dtype = DTYPES[entry["dtype"]]
        shape = tuple(entry["shape"])
        if end - begin != int(np.prod(shape)) * dtype.itemsize:
            raise ValueError(f"{name}: {end - begin} bytes for shape {shape}")
        tensors[name] = np.frombuffer(data[begin:end], dtype=dtype).reshape(shape)
        expected = end
    if expected != len(data):
        raise ValueError(f"{len(data) - expected} bytes after the last tensor")
    return metadata, tensors, order, (8 + n) % 8 == 0


# --- the model ----------------------------------------------------------------

def torch_model(kernels_and_biases=None):
    """The seed MLP in torch, float32, on NHWC images; with Keras-layout
    weights when given, else torch's initialisation from TORCH_SEED."""
    torch.manual_seed(TORCH_SEED)
    inputs = int(np.prod(INPUT_SHAPE))
    modules = [torch.nn.Flatten()]
    for i, units in enumerate(UNITS):
        linear = torch.nn.Linear(inputs, units)
        if kernels_and_biases is not None:
            kernel, bias = kernels_and_biases[i]
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(np.array(kernel, dtype=np.float32).T.copy()))
                linear.bias.copy_(torch.from_numpy(np.array(bias, dtype=np.float32)))
        modules += [linear, torch.nn.ReLU() if i + 1 < len(UNITS) else torch.nn.Softmax(dim=1)]
        inputs = units
    return torch.nn.Sequential(*modules).eval()


def numpy_predict(kernels_and_biases, images):
    x = images.reshape(len(images), -1).astype(np.float64)
    for i, (kernel, bias) in enumerate(kernels_and_biases):
        x = x @ kernel.astype(np.float64) + bias.astype(np.float64)
        if i + 1 < len(kernels_and_biases):
            x = np.maximum(x, 0.0)
    x = np.exp(x - x.max(axis=1, keepdims=True))
    return x / x.sum(axis=1, keepdims=True)


def write_predictions(path, outputs, comment):
    lines = [f"# {c}" for c in comment] + [
        f"input_seed {INPUT_SEED}",
        "input_shape " + " ".join(str(d) for d in INPUT_SHAPE),
        f"inputs {INPUTS}",
        f"outputs {outputs.shape[0]} {outputs.shape[1]}",
    ]
    lines += [" ".join(f"{float(v):.9g}" for v in row) for row in outputs]
    with open(path, "w", encoding="ascii", newline="\n") as f:
        f.write("\n".join(lines) + "\n")


def read_predictions(path):
    keys, rows = {}, []
    with open(path, encoding="ascii") as f:
        in_outputs = False
        for line in f:
            words = line.split()
            if not words or words[0].startswith("#"):
                continue
            if in_outputs:
                rows.append([float(w) for w in words])
            elif words[0] == "outputs":
                keys["outputs"] = [int(w) for w in words[1:]]
                in_outputs = True
            else:
                keys[words[0]] = words[1:]
    return keys, np.array(rows, dtype=np.float64)


def relative_error(a, reference):
    return float((np.abs(a - reference) / np.maximum(1.0, np.abs(reference))).max())


# --- the two directions -------------------------------------------------------

def make_torch_file():
    torch.set_num_threads(1)
    model = torch_model()
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    tensors = []
    for name, linear in zip(NAMES, linears):
        tensors.append((name + ".kernel", linear.weight.detach().numpy().T))
        tensors.append((name + ".bias", linear.bias.detach().numpy()))
    write_safetensors(TORCH_FILE, tensors, {"format": "pt"})

    images = draw_inputs()
    with torch.no_grad():
        outputs = model(torch.from_numpy(images)).numpy()
    write_predictions(TORCH_PREDICTIONS, outputs, [
        "PyTorch's predictions of the seed MLP whose weights are seed_mlp_torch.safetensors. Do not edit:",
        "regenerate both with /usr/bin/python3 tests/golden/safetensors_interop.py",
        f"torch {torch.__version__}, numpy {np.__version__}; float32, one thread; torch.manual_seed({TORCH_SEED}).",
        "Inputs: SplitMix64(input_seed), pixel = (next() >> 40) * 2^-24, (h, w, c) order, image after image.",
    ])

    # Read back with the reader --check uses: the file is what it should be.
    metadata, read, order, aligned = read_safetensors(TORCH_FILE)
    assert aligned and metadata == {"format": "pt"}
    assert order == [n for n, _ in tensors], order
    layers = [(read[n + ".kernel"], read[n + ".bias"]) for n in NAMES]
    again = numpy_predict(layers, images)
    print(f"wrote {TORCH_FILE} ({os.path.getsize(TORCH_FILE)} bytes)")
    print(f"wrote {TORCH_PREDICTIONS}")
    for name in order:
        print(f"  {name:16} {str(read[name].dtype):8} {list(read[name].shape)}")
    print(f"torch float32 vs numpy float64 on the file's weights: max rel diff {relative_error(outputs, again):.3g}")


def check_forma_file(path, predictions_path):
    torch.set_num_threads(1)
    failures = []

    def check(condition, what):
        print(("ok      " if condition else "FAILED  ") + what)
        if not condition:
            failures.append(what)

    metadata, tensors, order, aligned = read_safetensors(path)
    print(f"read {path}: {os.path.getsize(path)} bytes, {len(tensors)} tensors")
    check(aligned, "the data section starts 8-byte aligned")
    check(metadata.get("format") == "forma", f"metadata format is 'forma' ({metadata.get('format')!r})")
    check(metadata.get("format_version") == "1", f"metadata format_version is '1' ({metadata.get('format_version')!r})")
    check(metadata.get("architecture") == ARCHITECTURE, f"metadata architecture is {metadata.get('architecture')!r}")
    expected_names = [n + s for n in NAMES for s in (".kernel", ".bias")]
    check(order == expected_names, f"tensor names in data order: {order}")
    inputs = int(np.prod(INPUT_SHAPE))
    for name, units in zip(NAMES, UNITS):
        for suffix, shape in ((".kernel", (inputs, units)), (".bias", (units,))):
            t = tensors.get(name + suffix)
            check(t is not None and t.dtype == np.dtype("<f4") and t.shape == shape,
                  f"{name + suffix}: F32 {list(shape)}" + ("" if t is None else f" (got {t.dtype} {list(t.shape)})"))
        inputs = units
    if failures:
        return failures

    keys, forma_outputs = read_predictions(predictions_path)
    check(keys.get("input_seed") == [str(INPUT_SEED)] and keys.get("inputs") == [str(INPUTS)]
          and keys.get("outputs") == [INPUTS, UNITS[-1]] and forma_outputs.shape == (INPUTS, UNITS[-1]),
          f"{predictions_path} is for this script's inputs")
    if failures:
        return failures

    layers = [(tensors[n + ".kernel"], tensors[n + ".bias"]) for n in NAMES]
    images = draw_inputs()
    in_numpy = numpy_predict(layers, images)
    with torch.no_grad():
        in_torch = torch_model(layers)(torch.from_numpy(images)).numpy().astype(np.float64)
    e_numpy, e_torch = relative_error(forma_outputs, in_numpy), relative_error(forma_outputs, in_torch)
    check(e_numpy <= TOLERANCE, f"forma's predictions vs numpy float64 from the file: max rel diff {e_numpy:.3g}")
    check(e_torch <= TOLERANCE, f"forma's predictions vs torch float32 from the file: max rel diff {e_torch:.3g}")
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", metavar="FILE", help="verify a safetensors file written by forma")
    parser.add_argument("--predictions", metavar="TXT", help="forma's predictions for --check")
    args = parser.parse_args()
    if not args.check:
        make_torch_file()
        return 0
    predictions = args.predictions or (args.check[:-len(".safetensors")] if args.check.endswith(".safetensors")
                                       else args.check) + "_predictions.txt"
    failures = check_forma_file(args.check, predictions)
    print("all checks passed" if not failures else f"{len(failures)} check(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
