// Atomic file writes: the bytes go to a temporary file in the destination's directory, which is
// renamed over the destination only once everything is written and flushed. A reader never sees
// a half-written file, and a failed write leaves no file behind (the old one, if any, survives).
//
//   write_file_atomic("out/panel.png", png_bytes);   // throws fc::Error naming the path
#pragma once

#include <cstddef>
#include <span>
#include <string>

namespace fc {

void write_file_atomic(const std::string& path, std::span<const std::byte> bytes);

// The whole file as bytes; throws fc::Error naming the path when it cannot be read.
std::string read_file_bytes(const std::string& path);

}  // namespace fc
