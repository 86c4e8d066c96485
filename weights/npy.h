// NumPy .npy files: read any C-ordered little-endian array of the common numeric types into a
// float32 Tensor, and write float32 Tensors that `numpy.load` reads back.
//
//   Tensor x = npy_load("probe/logits.npy");           // '<f4' is read as is
//   NpyArray a = npy_read("labels.npy");                // '<i8' -> float32, a.note says so
//   npy_save("out/logits.npy", x);                      // atomic: temp file + rename
//
// Read: format versions 1.0, 2.0 (and 3.0, which only changes the header's text encoding).
// dtypes: '<f4' (as is), '<f8', '<f2', '<i8', '<i4', '<i2', '|i1', '|u1', '<u2', '<u4', '|b1'
// (converted to float32; NpyArray::note says what may have been lost). Big-endian data and
// fortran_order True are refused with an error naming the file. Write: version 1.0, '<f4',
// C order, header padded to a multiple of 64 bytes like NumPy's own writer.
#pragma once

#include <string>
#include <string_view>

#include "core/tensor.h"

namespace fc {

struct NpyArray {
  Tensor tensor;           // float32, contiguous, the array's shape (0-d arrays give a 0-dim tensor)
  std::string file_dtype;  // the header's descr, e.g. "<f4"
  std::string note;        // empty when the data is float32 already; else what the conversion means
};

NpyArray npy_read(const std::string& path);
Tensor npy_load(const std::string& path);  // npy_read(path).tensor
// Parses an in-memory .npy image; `what` names it in error messages (a file name, a zip entry).
NpyArray npy_parse(std::string_view bytes, const std::string& what);

// Any float32 tensor (strided views are written in logical row-major order).
void npy_save(const std::string& path, const Tensor& tensor);
// The bytes npy_save writes.
std::string npy_serialize(const Tensor& tensor);

}  // namespace fc
