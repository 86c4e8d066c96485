// ZipArchive: the directory of a zip file that is already memory-mapped, with zero-copy access
// to its stored (uncompressed) entries. Enough of the format for PyTorch's torch.save archives
// (written by miniz: stored entries, data padded to 64-byte alignment, zip64 past 4 GB); it reads
// the end-of-central-directory record (zip64 variant included), the central directory with zip64
// extra fields, and each entry's local header to find where its bytes start. Compressed,
// encrypted and multi-disk archives are refused with an error naming the file and the entry.
//
//   auto file = MappedFile::open("checkpoint.pth");
//   ZipArchive zip = ZipArchive::open(file);
//   const ZipEntry* e = zip.find("archive/data.pkl");
//   const std::byte* bytes = zip.data(*e);   // e->size bytes, inside the mapping
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "weights/mapped_file.h"

namespace fc {

struct ZipEntry {
  std::string name;
  uint16_t method = 0;         // 0 = stored; anything else is refused by data()
  uint64_t size = 0;           // uncompressed size
  uint64_t compressed_size = 0;
  uint64_t local_header_offset = 0;
};

class ZipArchive {
 public:
  // Parses the directory; throws fc::Error naming the file ("x.pth: not a zip archive ...").
  static ZipArchive open(std::shared_ptr<const MappedFile> file);

  const std::vector<ZipEntry>& entries() const { return entries_; }
  const ZipEntry* find(const std::string& name) const;  // nullptr when absent
  // The entry's bytes inside the mapping (entry.size of them). Throws for compressed entries and
  // for local headers or data that fall outside the file.
  const std::byte* data(const ZipEntry& entry) const;
  const std::shared_ptr<const MappedFile>& file() const { return file_; }

 private:
  std::shared_ptr<const MappedFile> file_;
  std::vector<ZipEntry> entries_;
  std::map<std::string, size_t> index_;
};

}  // namespace fc
