#!/usr/bin/env python3
"""The seed's MLP trained in PyTorch on Fashion-MNIST, as examples/seed_mlp
trains it in forma: Flatten, Dense 200 ReLU, Dense 150 ReLU, Dense 10
softmax; Glorot-uniform kernels and zero biases (Keras' defaults); Adam with
learning rate 0.0005 (epsilon 1e-7, Keras' default); batch 32; 10 epochs;
shuffled each epoch; inputs scaled to [0, 1]; categorical cross-entropy.

Run with Debian's python3-torch (scripts/install-deps.sh --peers):
    /usr/bin/python3 bench/pytorch_seed_mlp.py [--epochs 10] [--threads 1]
It prints the test accuracy and the training time, for the README's table.
"""
import argparse
import gzip
import pathlib
import struct
import time

import numpy as np
import torch


def load_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    d = pathlib.Path(args.data)
    x_train = torch.from_numpy(load_idx(d / "train-images-idx3-ubyte.gz").astype(np.float32) / 255.0)
    y_train = torch.from_numpy(load_idx(d / "train-labels-idx1-ubyte.gz").astype(np.int64))
    x_test = torch.from_numpy(load_idx(d / "t10k-images-idx3-ubyte.gz").astype(np.float32) / 255.0)
    y_test = torch.from_numpy(load_idx(d / "t10k-labels-idx1-ubyte.gz").astype(np.int64))

    model = torch.nn.Sequential(
        torch.nn.Flatten(),
        torch.nn.Linear(784, 200), torch.nn.ReLU(),
        torch.nn.Linear(200, 150), torch.nn.ReLU(),
        torch.nn.Linear(150, 10))  # softmax is inside the loss (log-softmax)
    for layer in model:
        if isinstance(layer, torch.nn.Linear):
            torch.nn.init.xavier_uniform_(layer.weight)
            torch.nn.init.zeros_(layer.bias)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.0005, eps=1e-7)
    loss_fn = torch.nn.CrossEntropyLoss()

    n = x_train.shape[0]
    start = time.perf_counter()
    for epoch in range(args.epochs):
        order = torch.randperm(n)
        total = 0.0
        for i in range(0, n, 32):
            idx = order[i:i + 32]
            optimizer.zero_grad()
            loss = loss_fn(model(x_train[idx]), y_train[idx])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
        print(f"epoch {epoch + 1}/{args.epochs} loss {total / n:.4f}", flush=True)
    seconds = time.perf_counter() - start

    with torch.no_grad():
        accuracy = (model(x_test).argmax(dim=1) == y_test).float().mean().item()
    print(f"pytorch {torch.__version__}, {args.threads} thread(s): test accuracy {accuracy:.4f}, "
          f"training {seconds:.1f} s ({n * args.epochs / seconds:.0f} samples/s)")


if __name__ == "__main__":
    main()
