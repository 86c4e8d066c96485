"""Writes the small .npy files that tests/test_npy.cpp reads, with NumPy's own writer.

Run: /usr/bin/python3 tests/reference/make_npy_fixtures.py   (writes tests/fixtures/npy/*.npy)
Each good file holds values the C++ test recomputes from the same formula (see test_npy.cpp).
"""
import os

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "fixtures", "npy")


def ramp(shape, dtype):
    n = int(np.prod(shape)) if shape else 1
    return (np.arange(n) - n // 3).astype(dtype).reshape(shape)


def main():
    os.makedirs(OUT, exist_ok=True)
    save = lambda name, a: np.save(os.path.join(OUT, name), a)
    # float32 ramps scaled so they are not integers; formula: (i - n//3) * 0.25
    save("f4_2x3x4.npy", (ramp((2, 3, 4), np.float32) * np.float32(0.25)))
    save("f4_scalar.npy", np.array(3.5, dtype=np.float32))
    save("f4_empty.npy", np.zeros((0, 5), dtype=np.float32))
    save("f4_vector.npy", ramp((7,), np.float32))
    save("f8_3x2.npy", ramp((3, 2), np.float64) / 3.0)
    save("i8_5.npy", ramp((5,), np.int64))
    save("i4_2x2.npy", ramp((2, 2), np.int32))
    save("u1_4x3.npy", (np.arange(12) * 21).astype(np.uint8).reshape(4, 3))
    save("b1_4.npy", np.array([True, False, False, True]))
    save("f2_3.npy", np.array([1.5, -2.25, 65504.0], dtype=np.float16))
    # format 2.0 (a header over 64 KiB is what makes NumPy pick it; force it for a small array)
    with open(os.path.join(OUT, "f4_v2.npy"), "wb") as f:
        np.lib.format.write_array(f, ramp((2, 2), np.float32), version=(2, 0))
    # refused inputs
    save("f4_fortran.npy", np.asfortranarray(ramp((2, 3), np.float32)))
    save("f4_bigendian.npy", ramp((3,), ">f4"))
    save("c8_2.npy", np.array([1 + 2j, 3 - 1j], dtype=np.complex64))


if __name__ == "__main__":
    main()
