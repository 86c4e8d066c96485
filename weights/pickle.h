// A Python pickle decoder that never executes anything: it turns the opcode stream into a tree
// of plain values. GLOBAL names are checked against a caller-given whitelist and stay inert
// names; REDUCE ("call f with args") and BINPERSID (persistent ids) become nodes the caller
// interprets. Covers the opcodes torch.save emits (protocol 2) plus the protocol 4 ones
// (FRAME, MEMOIZE, STACK_GLOBAL, SHORT_BINUNICODE, ...) that newer writers use.
//
//   PickleDocument doc = pickle_decode(bytes, size, {"collections.OrderedDict"}, "checkpoint.pth");
//   const PickleValue& root = doc.root();
//   if (root.kind == PickleKind::dict) const PickleValue* v = root.find("epoch");
//
// Nodes live in the document's arena and point at each other with raw pointers: the memo lets a
// pickle share (or, maliciously, cycle) values, so walkers of the tree must bound their depth.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace fc {

enum class PickleKind : uint8_t {
  none, boolean, integer, floating, string, bytes, list, tuple, dict,
  global,         // text = "module.name", whitelisted
  reduce,         // items = {callable, args tuple}: the call the pickle asks for, not performed
  persistent_id,  // items = {pid}: a reference the unpickler's persistent_load resolves
};
const char* pickle_kind_name(PickleKind kind);

struct PickleValue {
  PickleKind kind = PickleKind::none;
  bool boolean = false;
  int64_t integer = 0;
  double floating = 0;
  std::string text;                                         // string, bytes, global name
  std::vector<PickleValue*> items;                          // list, tuple, reduce, persistent_id
  std::vector<std::pair<PickleValue*, PickleValue*>> entries;  // dict, in insertion order
  PickleValue* state = nullptr;                             // BUILD's argument (e.g. OrderedDict._metadata)

  // Dict lookup by string key; nullptr when absent or not a dict.
  const PickleValue* find(const std::string& key) const;
  bool is_global(const std::string& name) const { return kind == PickleKind::global && text == name; }
};

class PickleDocument {
 public:
  const PickleValue& root() const { return *root_; }

 private:
  friend class PickleDecoder;
  std::vector<std::unique_ptr<PickleValue>> arena_;
  PickleValue* root_ = nullptr;
};

// Decodes one pickle. `allowed_globals` holds "module.name" strings; any other GLOBAL is refused
// ("<source>: pickle references non-whitelisted global 'os.system'; refusing to load").
// "collections.OrderedDict" called with no arguments yields a plain dict. Errors name `source`.
PickleDocument pickle_decode(const std::byte* data, size_t size, const std::set<std::string>& allowed_globals,
                             const std::string& source);

}  // namespace fc
