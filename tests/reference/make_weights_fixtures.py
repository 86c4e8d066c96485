"""Writes the weights-layer fixtures under tests/fixtures/weights/ (run with Debian's python3):

  state_dict.pth         torch.save of an OrderedDict state dict (protocol 2, torch's own writer)
  nested_state_dict.pth  {"state_dict": sd, "epoch": 7, "lr": 0.1, "note": "..."}
  nested_model.pth       {"model": sd, "iteration": 1234567890123}
  protocol4.pth          torch.save(sd, pickle_protocol=4): FRAME, MEMOIZE, SHORT_BINUNICODE, ...
  zip64_unaligned.pth    state_dict.pth's entries re-packed by hand as zip64 (placeholders in the
                         central directory, zip64 end records) with every data start 4-byte
                         misaligned, so float32 storages take the copy path
  forbidden_global.pth   a zip whose data.pkl asks for os.system (crafted bytes; never unpickled)
  cyclic.pth             a zip whose data.pkl is a list that contains itself (memo + APPEND)
  doubling.pth           a zip whose data.pkl nests 40 tuples each holding the previous one twice
                         (via the memo): 2^40 values once expanded
  compressed.pth         state_dict.pth's entries deflated (torch.save never compresses)
  short_storage.pth      state_dict.pth with storage data/0 cut to 4 bytes (less than it declares)
  overrun_view.pth       state_dict.pth with data/0 declared as 4 elements: conv.weight overruns it
  python_written.safetensors  F32, F16, BF16, F64, I64 tensors and __metadata__, written by hand
                         with json + struct (no safetensors package), header padded to 8 bytes
  unaligned.safetensors  the same F32 tensor with the data buffer starting 2 bytes off alignment
  expected.fxt           float32 values of every tensor above, by name (ints as floats)

Usage: /usr/bin/python3 tests/reference/make_weights_fixtures.py
"""
import collections
import io
import json
import os
import struct
import sys
import zipfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixture_format import FixtureWriter  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "weights")


def state_dict():
    g = torch.Generator().manual_seed(0)
    big = torch.randn(20, generator=g)
    base = torch.randn(3, 4, generator=g)
    sd = collections.OrderedDict()
    sd["conv.weight"] = torch.randn(2, 3, 2, 2, generator=g)
    sd["fc.weight"] = base
    sd["fc.weight_t"] = base.t()      # non-contiguous view sharing fc.weight's storage
    sd["fc.bias"] = big[5:9]          # storage offset 5 into a 20-element storage
    sd["strided"] = big[::3]          # stride 3 into the same storage
    sd["half"] = torch.randn(5, generator=g).half()
    sd["bf16"] = torch.randn(3, generator=g).bfloat16()
    sd["double"] = torch.randn(2, 2, generator=g, dtype=torch.float64)
    sd["bn.running_mean"] = torch.randn(3, generator=g)
    sd["bn.num_batches_tracked"] = torch.tensor(42)  # int64 scalar, as BatchNorm saves it
    sd["param"] = torch.nn.Parameter(torch.randn(2, generator=g))  # via _rebuild_parameter
    sd["scalar"] = torch.tensor(3.5)
    sd["empty"] = torch.zeros(0, 3)
    return sd


def zip_entries(path):
    with zipfile.ZipFile(path) as z:
        return [(i.filename, z.read(i.filename)) for i in z.infolist()]


def write_zip64_unaligned(path, entries):
    """A minimal zip writer that always uses zip64 records, the way PyTorch's miniz writer does
    for archives over 4 GB: central headers carry 0xFFFFFFFF placeholders resolved by zip64 extra
    fields, and a zip64 end record + locator precede the classic end record. Each local header
    gets an extra field sized so the entry's data starts at an offset = 1 (mod 4)."""
    out = io.BytesIO()
    central = []
    for name, data in entries:
        offset = out.tell()
        encoded = name.encode()
        pad = (1 - (offset + 30 + len(encoded) + 4)) % 4  # 4 = extra field header
        extra = struct.pack("<HH", 0xCAFE, pad) + b"\0" * pad
        crc = zipfile.crc32(data) & 0xFFFFFFFF
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, 0, crc, len(data), len(data),
                              len(encoded), len(extra)))
        out.write(encoded + extra)
        assert out.tell() % 4 == 1
        out.write(data)
        central.append((encoded, crc, len(data), offset))
    directory_offset = out.tell()
    for encoded, crc, size, offset in central:
        extra = struct.pack("<HHQQQ", 0x0001, 24, size, size, offset)
        out.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 0, 0, 0, crc, 0xFFFFFFFF,
                              0xFFFFFFFF, len(encoded), len(extra), 0, 0, 0, 0, 0xFFFFFFFF))
        out.write(encoded + extra)
    directory_size = out.tell() - directory_offset
    zip64_end = out.tell()
    count = len(central)
    out.write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, count, count, directory_size,
                          directory_offset))
    out.write(struct.pack("<IIQI", 0x07064B50, 0, zip64_end, 1))
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0))
    with open(path, "wb") as f:
        f.write(out.getvalue())
    with zipfile.ZipFile(path) as z:  # Python's reader must agree with the layout
        assert z.testzip() is None and [n for n, _ in entries] == z.namelist()


def write_zip(path, entries, compression):
    with zipfile.ZipFile(path, "w") as z:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))  # reproducible bytes
            info.compress_type = compression
            z.writestr(info, data)


def forbidden_pickle():
    # PROTO 2, GLOBAL 'os system', BINUNICODE 'echo', TUPLE1, REDUCE, STOP: what a malicious
    # checkpoint would contain. Written as bytes and never passed to pickle.load.
    return b"\x80\x02cos\nsystem\nq\x00X\x04\x00\x00\x00echoq\x01\x85q\x02Rq\x03."


def doubling_pickle():
    # PROTO 2, None memoized as 0, then t_i = (t_{i-1}, t_{i-1}) memoized as i: 2^40 leaves in ~330 bytes.
    # Each value is memoized then POPped ("0"), so only the last one stays on the stack.
    data = b"\x80\x02Nq\x000"
    for i in range(1, 41):
        data += b"h" + bytes([i - 1]) + b"h" + bytes([i - 1]) + b"\x86q" + bytes([i]) + b"0"
    return data + b"h\x28."


def overrun_pickle(data):
    # Storage '0' (conv.weight, 24 floats) is referenced as ('storage', FloatStorage, '0', 'cpu', 24);
    # declaring it as 4 elements leaves the (2,3,2,2) view pointing past the storage's end.
    old = b"X\x01\x00\x00\x000q\x06X\x03\x00\x00\x00cpuq\x07K\x18"
    assert data.count(old) == 1, "torch.save's pickle layout changed; update overrun_pickle"
    return data.replace(old, old[:-1] + b"\x04")


def write_safetensors(path, tensors, metadata, misalign=0):
    """The safetensors layout by hand: u64 header length, JSON header, data buffer. The header is
    padded with spaces to a multiple of 8 (as the reference writer does), then `misalign` more."""
    header = {"__metadata__": metadata}
    buffers, offset = [], 0
    for name, (dtype, t) in tensors.items():
        raw = t.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        buffers.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8 + misalign)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in buffers:
            f.write(raw)


def main():
    os.makedirs(OUT, exist_ok=True)
    sd = state_dict()
    expected = FixtureWriter()
    for name, t in sd.items():
        expected.add(f"sd/{name}", t.detach().to(torch.float32))

    def path(name):
        return os.path.join(OUT, name)

    torch.save(sd, path("state_dict.pth"))
    torch.save({"state_dict": sd, "epoch": 7, "lr": 0.1, "note": "nested"}, path("nested_state_dict.pth"))
    torch.save({"model": sd, "iteration": 1234567890123}, path("nested_model.pth"))
    torch.save(sd, path("protocol4.pth"), pickle_protocol=4)
    entries = zip_entries(path("state_dict.pth"))
    write_zip64_unaligned(path("zip64_unaligned.pth"), entries)
    write_zip(path("compressed.pth"), entries, zipfile.ZIP_DEFLATED)
    write_zip(path("short_storage.pth"), [(n, d[:4] if n.endswith("/data/0") else d) for n, d in entries],
              zipfile.ZIP_STORED)
    write_zip(path("overrun_view.pth"), [(n, overrun_pickle(d) if n.endswith("/data.pkl") else d) for n, d in entries],
              zipfile.ZIP_STORED)
    write_zip(path("cyclic.pth"), [("archive/data.pkl", b"\x80\x02]q\x00h\x00a."), ("archive/version", b"3\n")],
              zipfile.ZIP_STORED)
    write_zip(path("doubling.pth"), [("archive/data.pkl", doubling_pickle()), ("archive/version", b"3\n")],
              zipfile.ZIP_STORED)
    write_zip(path("forbidden_global.pth"), [("archive/data.pkl", forbidden_pickle()), ("archive/version", b"3\n")],
              zipfile.ZIP_STORED)

    g = torch.Generator().manual_seed(1)
    st = collections.OrderedDict()
    st["weight"] = ("F32", torch.randn(3, 5, generator=g))
    st["half"] = ("F16", torch.randn(4, generator=g).half())
    st["bf16"] = ("BF16", torch.randn(2, 3, generator=g).bfloat16())
    st["double"] = ("F64", torch.randn(3, generator=g, dtype=torch.float64))
    st["steps"] = ("I64", torch.tensor([7, -3, 1 << 40]))
    st["scalar"] = ("F32", torch.tensor(-2.25))
    st["empty"] = ("F32", torch.zeros(2, 0))
    metadata = {"format": "pt", "config": json.dumps({"embed_dim": 8, "depth": 2})}
    write_safetensors(path("python_written.safetensors"), st, metadata)
    write_safetensors(path("unaligned.safetensors"), {"weight": st["weight"]}, {}, misalign=2)
    for name, (dtype, t) in st.items():
        if dtype != "I64":
            expected.add(f"st/{name}", t.to(torch.float32))
    expected.write(path("expected.fxt"))
    for f in sorted(os.listdir(OUT)):
        print(f"{f}: {os.path.getsize(path(f))} bytes")


if __name__ == "__main__":
    main()
