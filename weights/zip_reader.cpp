// Zip structures as in PKWARE's APPNOTE.TXT (sections 4.3.7 local header, 4.3.12 central
// directory header, 4.3.14-4.3.16 zip64 and end of central directory records, 4.5.3 zip64
// extended information extra field).
#include "weights/zip_reader.h"

#include <cstring>

#include "core/error.h"

namespace fc {
namespace {

constexpr uint32_t kLocalHeaderSignature = 0x04034b50;
constexpr uint32_t kCentralHeaderSignature = 0x02014b50;
constexpr uint32_t kEndSignature = 0x06054b50;
constexpr uint32_t kZip64EndSignature = 0x06064b50;
constexpr uint32_t kZip64LocatorSignature = 0x07064b50;
constexpr size_t kEndRecordBytes = 22;
constexpr size_t kZip64LocatorBytes = 20;
constexpr size_t kZip64EndBytes = 56;
constexpr size_t kCentralHeaderBytes = 46;
constexpr size_t kLocalHeaderBytes = 30;

// Bounds-checked little-endian reads from the mapping; every offset in a zip is untrusted.
class Reader {
 public:
  Reader(const MappedFile& file) : data_(file.data()), size_(file.size()), name_(file.display_name()) {}
  bool fits(uint64_t offset, uint64_t bytes) const { return offset <= size_ && bytes <= size_ - offset; }
  void require(uint64_t offset, uint64_t bytes, const std::string& what) const {
    FC_CHECK(fits(offset, bytes), name_, ": ", what, " at offset ", offset, " (", bytes,
             " bytes) lies outside the file of ", size_, " bytes (truncated or corrupt zip)");
  }
  template <class T>
  T get(uint64_t offset) const {
    T value;
    std::memcpy(&value, data_ + offset, sizeof(T));
    return value;
  }
  const std::string& name() const { return name_; }
  size_t size() const { return size_; }
  const std::byte* data() const { return data_; }

 private:
  const std::byte* data_;
  size_t size_;
  std::string name_;
};

// Finds the end-of-central-directory record: scans back from the end over the at most 64 KiB
// archive comment. Returns its offset.
uint64_t find_end_record(const Reader& r) {
  FC_CHECK(r.size() >= kEndRecordBytes, r.name(), ": file is ", r.size(),
           " bytes, too short to be a zip archive (a torch.save checkpoint is a zip)");
  uint64_t lowest = r.size() > kEndRecordBytes + 0xffff ? r.size() - kEndRecordBytes - 0xffff : 0;
  for (uint64_t at = r.size() - kEndRecordBytes;; --at) {
    if (r.get<uint32_t>(at) == kEndSignature && at + kEndRecordBytes + r.get<uint16_t>(at + 20) == r.size())
      return at;
    if (at == lowest) break;
  }
  throw Error(str_cat(r.name(), ": not a zip archive (no end-of-central-directory record); legacy "
                                "pre-1.6 torch.save files and truncated files are not supported"));
}

// Replaces the 0xFFFFFFFF / 0xFFFF placeholders of a central header by the zip64 extra field's
// 64-bit values, which appear in this fixed order and only for the placeholders present.
void apply_zip64_extra(const Reader& r, uint64_t extra, uint16_t extra_bytes, ZipEntry& entry, bool disk_is_max) {
  uint64_t end = extra + extra_bytes;
  for (uint64_t at = extra; at + 4 <= end;) {
    uint16_t id = r.get<uint16_t>(at);
    uint16_t length = r.get<uint16_t>(at + 2);
    FC_CHECK(at + 4 + length <= end, r.name(), ": zip entry '", entry.name, "' has a malformed extra field");
    if (id == 0x0001) {
      uint64_t field = at + 4, field_end = at + 4 + length;
      auto take = [&](uint64_t& value) {
        FC_CHECK(field + 8 <= field_end, r.name(), ": zip entry '", entry.name, "' has a short zip64 extra field");
        value = r.get<uint64_t>(field);
        field += 8;
      };
      if (entry.size == 0xffffffffu) take(entry.size);
      if (entry.compressed_size == 0xffffffffu) take(entry.compressed_size);
      if (entry.local_header_offset == 0xffffffffu) take(entry.local_header_offset);
      FC_CHECK(!disk_is_max, r.name(), ": multi-disk zip archives are not supported");
      return;
    }
    at += 4 + length;
  }
}

}  // namespace

ZipArchive ZipArchive::open(std::shared_ptr<const MappedFile> file) {
  ZipArchive zip;
  zip.file_ = std::move(file);
  Reader r(*zip.file_);
  uint64_t end = find_end_record(r);
  uint64_t entry_count = r.get<uint16_t>(end + 10);
  uint64_t directory_bytes = r.get<uint32_t>(end + 12);
  uint64_t directory_offset = r.get<uint32_t>(end + 16);
  FC_CHECK(r.get<uint16_t>(end + 4) == 0 || r.get<uint16_t>(end + 4) == 0xffff, r.name(),
           ": multi-disk zip archives are not supported");

  if (end >= kZip64LocatorBytes && r.get<uint32_t>(end - kZip64LocatorBytes) == kZip64LocatorSignature) {
    uint64_t zip64_end = r.get<uint64_t>(end - kZip64LocatorBytes + 8);
    r.require(zip64_end, kZip64EndBytes, "zip64 end-of-central-directory record");
    FC_CHECK(r.get<uint32_t>(zip64_end) == kZip64EndSignature, r.name(),
             ": zip64 locator points at a record with the wrong signature");
    entry_count = r.get<uint64_t>(zip64_end + 32);
    directory_bytes = r.get<uint64_t>(zip64_end + 40);
    directory_offset = r.get<uint64_t>(zip64_end + 48);
  }
  r.require(directory_offset, directory_bytes, "central directory");
  // Each header is at least 46 bytes, so a hostile count cannot make us reserve unbounded memory.
  FC_CHECK(entry_count <= directory_bytes / kCentralHeaderBytes, r.name(), ": zip directory claims ", entry_count,
           " entries in ", directory_bytes, " bytes");

  uint64_t at = directory_offset, directory_end = directory_offset + directory_bytes;
  zip.entries_.reserve(entry_count);
  for (uint64_t i = 0; i < entry_count; ++i) {
    FC_CHECK(at + kCentralHeaderBytes <= directory_end && r.get<uint32_t>(at) == kCentralHeaderSignature, r.name(),
             ": zip central directory entry ", i, " is corrupt");
    ZipEntry entry;
    uint16_t flags = r.get<uint16_t>(at + 8);
    entry.method = r.get<uint16_t>(at + 10);
    entry.compressed_size = r.get<uint32_t>(at + 20);
    entry.size = r.get<uint32_t>(at + 24);
    uint16_t name_bytes = r.get<uint16_t>(at + 28), extra_bytes = r.get<uint16_t>(at + 30);
    uint16_t comment_bytes = r.get<uint16_t>(at + 32);
    bool disk_is_max = r.get<uint16_t>(at + 34) == 0xffff;
    entry.local_header_offset = r.get<uint32_t>(at + 42);
    uint64_t next = at + kCentralHeaderBytes + name_bytes + extra_bytes + comment_bytes;
    FC_CHECK(next <= directory_end, r.name(), ": zip central directory entry ", i, " overruns the directory");
    entry.name.assign(reinterpret_cast<const char*>(r.data() + at + kCentralHeaderBytes), name_bytes);
    FC_CHECK((flags & 1) == 0, r.name(), ": zip entry '", entry.name, "' is encrypted");
    apply_zip64_extra(r, at + kCentralHeaderBytes + name_bytes, extra_bytes, entry, disk_is_max);
    FC_CHECK(zip.index_.emplace(entry.name, zip.entries_.size()).second, r.name(), ": zip entry '", entry.name,
             "' appears twice");
    zip.entries_.push_back(std::move(entry));
    at = next;
  }
  return zip;
}

const ZipEntry* ZipArchive::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &entries_[it->second];
}

const std::byte* ZipArchive::data(const ZipEntry& entry) const {
  Reader r(*file_);
  FC_CHECK(entry.method == 0, r.name(), ": zip entry '", entry.name, "' is compressed (method ", entry.method,
           entry.method == 8 ? ", deflate" : "",
           "); only stored entries can be memory-mapped (torch.save writes them uncompressed; "
           "re-save the checkpoint with torch.save instead of re-zipping it)");
  FC_CHECK(entry.compressed_size == entry.size, r.name(), ": stored zip entry '", entry.name,
           "' has compressed size ", entry.compressed_size, " != size ", entry.size);
  r.require(entry.local_header_offset, kLocalHeaderBytes, "local header of '" + entry.name + "'");
  FC_CHECK(r.get<uint32_t>(entry.local_header_offset) == kLocalHeaderSignature, r.name(), ": zip entry '",
           entry.name, "' has a corrupt local header");
  // The local header's own name and extra lengths decide where data starts: torch pads the local
  // extra field (not the central one) so that tensor data lands 64-byte aligned.
  uint64_t start = entry.local_header_offset + kLocalHeaderBytes + r.get<uint16_t>(entry.local_header_offset + 26) +
                   r.get<uint16_t>(entry.local_header_offset + 28);
  r.require(start, entry.size, "data of zip entry '" + entry.name + "'");
  return r.data() + start;
}

}  // namespace fc
