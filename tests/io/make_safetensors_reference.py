"""Writes tests/io/reference.safetensors from real PyTorch tensors, for test_safetensors.cpp.

torch 1.13 ships no safetensors package, so the file is laid out by hand exactly as the spec and
safetensors' own writer do it: u64 little-endian header length, compact JSON header with
"__metadata__" first, padded with spaces to a multiple of 8, then the tensors' bytes back to back.
Run with Debian's torch:  /usr/bin/python3 tests/io/make_safetensors_reference.py
The C++ test hard-codes these values, so they are all exact in their dtype.
"""

import json
import pathlib
import struct

import torch

TENSORS = {
    # A state_dict's worth of names and dtypes, including BatchNorm's 0-d int64 counter.
    "conv.weight": torch.arange(24, dtype=torch.float32).reshape(2, 3, 2, 2) * 0.25 - 3.0,
    "conv.bias": torch.arange(2, dtype=torch.float32) - 1.5,
    "bn.running_var": torch.arange(3, dtype=torch.float64) / 8 + 1,
    "bn.num_batches_tracked": torch.tensor(7, dtype=torch.int64),
    # Values beyond 32 bits and negative, to catch a reader that truncates or byte-swaps.
    "embed.index": torch.arange(-3, 3, dtype=torch.int64).reshape(3, 2) * 1_000_000_000_000,
}
DTYPE_NAMES = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64"}


def main():
    # Wider elements first, then by name, as safetensors' writer orders them, so every tensor
    # starts aligned to its element size.
    order = sorted(TENSORS, key=lambda name: (-TENSORS[name].element_size(), name))
    header = {"__metadata__": {"format": "pt"}}
    blobs = []
    offset = 0
    for name in order:
        tensor = TENSORS[name].contiguous()
        array = tensor.numpy()
        data = array.astype(array.dtype.newbyteorder("<")).tobytes()
        header[name] = {
            "dtype": DTYPE_NAMES[tensor.dtype],
            "shape": list(tensor.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    out = pathlib.Path(__file__).with_name("reference.safetensors")
    out.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))
    print(f"wrote {out} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
