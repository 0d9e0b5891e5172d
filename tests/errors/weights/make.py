#!/usr/bin/python3
"""tests/errors/weights/make.py — writes the small safetensors files that the
weights_*.cnn cases of tests/errors/ load with `# args: --weights weights/NAME.safetensors`
(tests/golden/run.sh links this directory into the directory the case runs in).

    /usr/bin/python3 tests/errors/weights/make.py      # rewrites every file here

Only struct and json: the files are built byte by byte so that each one is
broken in exactly one way. The output is deterministic; the files are committed.

Every case uses this network (tests/errors/weights_*.cnn):

    input x[3, 8, 8];
    conv2d c(out=2, kernel=3);      # c.weight [2,3,3,3], c.bias [2]
    batchnorm bn;                   # bn.weight, bn.bias, bn.running_mean, bn.running_var [2]
    relu;
    flatten;                        # [72]
    dense fc(out=4);                # fc.weight [4,72], fc.bias [4]
"""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

# name -> shape of every parameter of the network above, in layer order
PARAMS = [
    ("c.weight", [2, 3, 3, 3]),
    ("c.bias", [2]),
    ("bn.weight", [2]),
    ("bn.bias", [2]),
    ("bn.running_mean", [2]),
    ("bn.running_var", [2]),
    ("fc.weight", [4, 72]),
    ("fc.bias", [4]),
]

SIZES = {"F32": 4, "F16": 2, "BF16": 2, "F64": 8, "I64": 8, "I32": 4}


def count(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def values(dtype, n, start):
    """n little-endian numbers of dtype: small, valid (variances positive)."""
    vals = [0.25 + 0.01 * ((start + i) % 50) for i in range(n)]
    if dtype == "F32":
        return struct.pack("<%df" % n, *vals)
    if dtype == "F64":
        return struct.pack("<%dd" % n, *vals)
    if dtype == "F16":
        return struct.pack("<%de" % n, *vals)
    if dtype == "BF16":
        return b"".join(struct.pack("<f", v)[2:] for v in vals)
    if dtype == "I64":
        return struct.pack("<%dq" % n, *range(start, start + n))
    if dtype == "I32":
        return struct.pack("<%di" % n, *range(start, start + n))
    raise ValueError(dtype)


def tensors(params=PARAMS, dtype="F32"):
    """[(name, dtype, shape)] for the parameters, all of one dtype."""
    return [(name, dtype, shape) for name, shape in params]


def pack(entries, metadata=None):
    """A well-formed file from [(name, dtype, shape)]: the header and data."""
    header, data = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for k, (name, dtype, shape) in enumerate(entries):
        raw = values(dtype, count(shape), 7 * k)
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    return header, data


def file_bytes(header, data, hlen=None):
    """8-byte length, JSON header (a dict or raw bytes), data."""
    h = header if isinstance(header, bytes) else json.dumps(header, separators=(",", ":")).encode()
    return struct.pack("<Q", len(h) if hlen is None else hlen) + h + data


def write(name, content):
    with open(os.path.join(HERE, name + ".safetensors"), "wb") as f:
        f.write(content)


def main():
    good_h, good_d = pack(tensors(), metadata={"format": "pt"})
    good = file_bytes(good_h, good_d)

    # --- files that load (exit 0)
    write("good", good)
    # F16/BF16/F64 are converted
    mixed = tensors()
    mixed[0] = ("c.weight", "F16", [2, 3, 3, 3])
    mixed[6] = ("fc.weight", "BF16", [4, 72])
    mixed[7] = ("fc.bias", "F64", [4])
    write("dtypes", file_bytes(*pack(mixed)))
    # PyTorch's BatchNorm counter: I64, ignored without a word
    write("num_batches_tracked", file_bytes(*pack(
        tensors()[:6] + [("bn.num_batches_tracked", "I64", [])] + tensors()[6:])))
    # a tensor no layer uses: a warning
    write("unused", file_bytes(*pack(tensors() + [("fc2.weight", "F32", [4, 4]),
                                                   ("c.extra", "F32", [2])])))

    # --- broken files
    write("empty", b"")
    write("truncated", good[:5])                       # not even the 8-byte length
    write("header_too_long", file_bytes(good_h, good_d, hlen=len(good) + 100))
    write("bad_json", file_bytes(b'{"c.weight": {"dtype": "F32", "shape": [2,3,3,3],,}}', b""))
    write("not_object", file_bytes(b'[1, 2, 3]', b""))
    h, d = pack(tensors())
    h["c.bias"]["dtype"] = "F128"
    write("unknown_dtype", file_bytes(h, d))
    h, d = pack(tensors())
    b, e = h["fc.bias"]["data_offsets"]
    h["fc.bias"]["data_offsets"] = [b + 1000, e + 1000]
    write("offsets_out_of_range", file_bytes(h, d))
    # an interrupted download: the data section ends early
    write("truncated_data", good[:len(good) - 40])
    h, d = pack(tensors())
    b, e = h["bn.running_var"]["data_offsets"]
    h["bn.running_mean"]["data_offsets"] = [b - 4, e - 4]   # straddles running_var
    write("overlap", file_bytes(h, d))
    h, d = pack(tensors())
    b, e = h["bn.bias"]["data_offsets"]
    h["bn.bias"]["shape"] = [3]                            # 12 bytes, 8 given
    write("byte_count", file_bytes(h, d))
    # the same name twice (a dict cannot say it: the header is spliced by hand)
    h, d = pack(tensors())
    text = json.dumps(h, separators=(",", ":"))
    dup = '"c.bias":' + json.dumps(h["c.bias"], separators=(",", ":"))
    write("duplicate", file_bytes(text.replace("{", "{" + dup + ",", 1).encode(), d))

    # --- well-formed files that do not fit the network
    wrong = tensors()
    wrong[0] = ("c.weight", "F32", [2, 3, 5, 5])           # kernel 5 instead of 3
    wrong[6] = ("fc.weight", "F32", [72, 4])               # transposed
    write("wrong_shape", file_bytes(*pack(wrong)))
    missing = [t for t in tensors() if t[0] not in ("c.bias", "bn.running_var", "fc.weight")]
    write("missing", file_bytes(*pack(missing)))
    ints = tensors()
    ints[1] = ("c.bias", "I32", [2])
    write("int_param", file_bytes(*pack(ints)))
    # a transposed convolution's weight in a convolution's layout, [out, C, k, k]
    # for [C, out, k, k] (tests/errors/convt_weight_shape.cnn)
    write("convt_wrong_shape", file_bytes(*pack([("up.weight", "F32", [4, 2, 2, 2]), ("up.bias", "F32", [4])])))


if __name__ == "__main__":
    main()
