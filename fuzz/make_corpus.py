#!/usr/bin/env python3
"""Writes the seed corpora of the loader fuzz targets: fuzz/corpus/<target>/.

A few tiny files per target, valid and invalid, each reaching a different
branch of the loader, so the fuzzer starts past the magic numbers. The output
is deterministic (gzip without a timestamp); rerun after changing it:

    python3 fuzz/make_corpus.py

Every file in a target's corpus directory is rewritten; files this script no
longer makes are removed.
"""
import gzip
import pathlib
import struct

HERE = pathlib.Path(__file__).resolve().parent
LIMIT = 10 * 1024  # seeds stay tiny


def gz(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9, mtime=0)


def idx(dims, data: bytes, type_code=0x08) -> bytes:
    return bytes([0, 0, type_code, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + data


def ramp(n: int) -> bytes:
    return bytes(i * 7 % 256 for i in range(n))


def idx_seeds():
    images = idx([2, 3, 4], ramp(24))
    return {
        "labels_1d": idx([5], bytes([0, 1, 2, 9, 3])),
        "images_3d": images,
        "images_4d": idx([2, 2, 2, 3], ramp(24)),
        "zero_count": idx([0, 28, 28], b""),
        "images_3d.gz": gz(images),
        "two_members.gz": gz(images[:10]) + gz(images[10:]),
        "cut.gz": gz(images)[:-6],
        "short_header": b"\x00\x00\x08",
        "wrong_magic": b"\x1f\x00\x08\x01\x00\x00\x00\x01\x00",
        "float_type": idx([2], struct.pack(">ff", 0.5, 1.5), type_code=0x0D),
        "rank_0": bytes([0, 0, 8, 0]),
        "dims_cut": bytes([0, 0, 8, 3, 0, 0, 0, 2, 0, 0]),
        "data_short": idx([4, 4], ramp(10)),
        "data_long": idx([2, 2], ramp(5)),
        "huge_dims": idx([0xFFFFFFFF] * 3, ramp(4)),
        "rank_255": idx([1] * 255, b"\x2a"),
    }


def cifar_record(label: int, seed: int) -> bytes:
    return bytes([label]) + bytes((seed + i * 13) % 256 for i in range(3 * 1024))


def cifar_seeds():
    two = cifar_record(3, 1) + cifar_record(9, 2)
    names = "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n"
    return {
        "one_record": cifar_record(0, 0),
        "two_records": two,
        "two_records.gz": gz(two),
        "cut.gz": gz(two)[: len(gz(two)) // 2],
        "label_10": cifar_record(10, 3),
        "partial_record": cifar_record(1, 4)[:100],
        "one_byte": b"\x05",
        "meta": names.encode(),
        "meta_crlf_blank": names.replace("\n", " \r\n\n").encode(),
        "meta_nine": "\n".join(names.split()[:9]).encode(),
    }


def write(target: str, seeds: dict) -> None:
    out = HERE / "corpus" / target
    out.mkdir(parents=True, exist_ok=True)
    for old in out.iterdir():
        if old.name not in seeds:
            old.unlink()
    for name, data in seeds.items():
        assert len(data) < LIMIT, f"{target}/{name} is {len(data)} bytes"
        (out / name).write_bytes(data)
    print(f"{out.relative_to(HERE.parent)}: {len(seeds)} files, {sum(map(len, seeds.values()))} bytes")


if __name__ == "__main__":
    write("fuzz_idx", idx_seeds())
    write("fuzz_cifar10", cifar_seeds())
