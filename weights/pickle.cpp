// Opcode semantics follow CPython's Lib/pickle.py (`_Unpickler.load_*`) and the opcode table in
// Lib/pickletools.py; only the data-building part is reproduced, never `find_class` or calls.
#include "weights/pickle.h"

#include <bit>
#include <cstring>
#include <unordered_map>

#include "core/error.h"

namespace fc {

const char* pickle_kind_name(PickleKind kind) {
  switch (kind) {
    case PickleKind::none: return "None";
    case PickleKind::boolean: return "bool";
    case PickleKind::integer: return "int";
    case PickleKind::floating: return "float";
    case PickleKind::string: return "str";
    case PickleKind::bytes: return "bytes";
    case PickleKind::list: return "list";
    case PickleKind::tuple: return "tuple";
    case PickleKind::dict: return "dict";
    case PickleKind::global: return "global";
    case PickleKind::reduce: return "reduce";
    case PickleKind::persistent_id: return "persistent_id";
  }
  return "?";
}

const PickleValue* PickleValue::find(const std::string& key) const {
  if (kind != PickleKind::dict) return nullptr;
  for (const auto& [k, v] : entries)
    if (k->kind == PickleKind::string && k->text == key) return v;
  return nullptr;
}

class PickleDecoder {
 public:
  PickleDecoder(const std::byte* data, size_t size, const std::set<std::string>& allowed, const std::string& source)
      : data_(reinterpret_cast<const uint8_t*>(data)), size_(size), allowed_(allowed), source_(source) {}

  PickleDocument run() {
    for (;;) {
      size_t at = pos_;
      uint8_t op = take<uint8_t>();
      if (op == '.') break;
      step(op, at);
    }
    FC_CHECK(stack_.size() == 1 && marks_.empty(), source_, ": pickle ends with ", stack_.size(),
             " values on the stack (malformed)");
    doc_.root_ = stack_.back();
    return std::move(doc_);
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { throw Error(str_cat(source_, ": pickle: ", what)); }

  void need(size_t bytes) const {
    if (bytes > size_ - pos_) fail(str_cat("truncated at byte ", pos_, " (needs ", bytes, " more)"));
  }
  template <class T>
  T take() {
    need(sizeof(T));
    T value;
    std::memcpy(&value, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return value;
  }
  std::string take_bytes(uint64_t n) {
    need(n);
    std::string out(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return out;
  }
  std::string take_line() {
    const void* nl = std::memchr(data_ + pos_, '\n', size_ - pos_);
    if (!nl) fail("unterminated GLOBAL name");
    size_t n = static_cast<const uint8_t*>(nl) - (data_ + pos_);
    std::string out = take_bytes(n);
    ++pos_;
    return out;
  }

  PickleValue* make(PickleKind kind) {
    doc_.arena_.push_back(std::make_unique<PickleValue>());
    doc_.arena_.back()->kind = kind;
    return doc_.arena_.back().get();
  }
  PickleValue* make_int(int64_t v) {
    PickleValue* p = make(PickleKind::integer);
    p->integer = v;
    return p;
  }
  PickleValue* make_text(PickleKind kind, std::string s) {
    PickleValue* p = make(kind);
    p->text = std::move(s);
    return p;
  }
  PickleValue* make_global(const std::string& module, const std::string& name) {
    std::string full = module + "." + name;
    if (!allowed_.count(full))
      throw Error(str_cat(source_, ": pickle references non-whitelisted global '", full, "'; refusing to load"));
    return make_text(PickleKind::global, full);
  }

  PickleValue* pop() {
    if (stack_.empty() || (!marks_.empty() && stack_.size() == marks_.back())) fail("stack underflow");
    PickleValue* v = stack_.back();
    stack_.pop_back();
    return v;
  }
  PickleValue* top() {
    if (stack_.empty() || (!marks_.empty() && stack_.size() == marks_.back())) fail("stack underflow");
    return stack_.back();
  }
  // Everything above the most recent MARK, which is removed.
  std::vector<PickleValue*> pop_to_mark() {
    if (marks_.empty()) fail("MARK expected");
    size_t start = marks_.back();
    marks_.pop_back();
    std::vector<PickleValue*> out(stack_.begin() + static_cast<std::ptrdiff_t>(start), stack_.end());
    stack_.resize(start);
    return out;
  }
  PickleValue* make_tuple(std::vector<PickleValue*> items) {
    PickleValue* t = make(PickleKind::tuple);
    t->items = std::move(items);
    return t;
  }

  void memo_put(uint64_t index) { memo_[index] = top(); }
  PickleValue* memo_get(uint64_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) fail(str_cat("memo index ", index, " was never stored"));
    return it->second;
  }

  void set_items(PickleValue* dict, const std::vector<PickleValue*>& kv) {
    if (dict->kind != PickleKind::dict) fail(str_cat("SETITEM(S) on a ", pickle_kind_name(dict->kind)));
    if (kv.size() % 2) fail("SETITEMS with an odd number of values");
    for (size_t i = 0; i < kv.size(); i += 2) dict->entries.emplace_back(kv[i], kv[i + 1]);
  }
  void append_items(PickleValue* list, const std::vector<PickleValue*>& values) {
    if (list->kind != PickleKind::list) fail(str_cat("APPEND(S) on a ", pickle_kind_name(list->kind)));
    list->items.insert(list->items.end(), values.begin(), values.end());
  }

  // Little-endian two's complement, as LONG1/LONG4 store it; only values that fit int64.
  PickleValue* take_long(uint64_t n) {
    if (n > 8) fail(str_cat("integer of ", n, " bytes does not fit int64"));
    need(n);
    uint64_t bits = 0;
    for (uint64_t i = 0; i < n; ++i) bits |= static_cast<uint64_t>(data_[pos_ + i]) << (8 * i);
    if (n > 0 && n < 8 && (data_[pos_ + n - 1] & 0x80)) bits |= ~uint64_t{0} << (8 * n);  // sign-extend
    pos_ += n;
    return make_int(static_cast<int64_t>(bits));
  }

  void step(uint8_t op, size_t at) {
    switch (op) {
      case 0x80: {  // PROTO
        uint8_t version = take<uint8_t>();
        if (version > 5) fail(str_cat("protocol ", int(version), " is newer than 5"));
        break;
      }
      case 0x95: take<uint64_t>(); break;  // FRAME: a read-ahead hint, no data of its own
      case '(': marks_.push_back(stack_.size()); break;
      case '0': pop(); break;  // POP
      case '1': pop_to_mark(); break;  // POP_MARK
      case '2': stack_.push_back(top()); break;  // DUP
      case 'N': stack_.push_back(make(PickleKind::none)); break;
      case 0x88:
      case 0x89: {  // NEWTRUE, NEWFALSE
        PickleValue* b = make(PickleKind::boolean);
        b->boolean = op == 0x88;
        stack_.push_back(b);
        break;
      }
      case 'K': stack_.push_back(make_int(take<uint8_t>())); break;   // BININT1
      case 'M': stack_.push_back(make_int(take<uint16_t>())); break;  // BININT2
      case 'J': stack_.push_back(make_int(take<int32_t>())); break;   // BININT
      case 0x8a: stack_.push_back(take_long(take<uint8_t>())); break;   // LONG1
      case 0x8b: stack_.push_back(take_long(take<uint32_t>())); break;  // LONG4
      case 'G': {  // BINFLOAT: big-endian IEEE double
        PickleValue* f = make(PickleKind::floating);
        f->floating = std::bit_cast<double>(__builtin_bswap64(take<uint64_t>()));
        stack_.push_back(f);
        break;
      }
      case 0x8c: stack_.push_back(make_text(PickleKind::string, take_bytes(take<uint8_t>()))); break;   // SHORT_BINUNICODE
      case 'X': stack_.push_back(make_text(PickleKind::string, take_bytes(take<uint32_t>()))); break;    // BINUNICODE
      case 0x8d: stack_.push_back(make_text(PickleKind::string, take_bytes(take<uint64_t>()))); break;   // BINUNICODE8
      case 'C': stack_.push_back(make_text(PickleKind::bytes, take_bytes(take<uint8_t>()))); break;      // SHORT_BINBYTES
      case 'B': stack_.push_back(make_text(PickleKind::bytes, take_bytes(take<uint32_t>()))); break;     // BINBYTES
      case 0x8e: stack_.push_back(make_text(PickleKind::bytes, take_bytes(take<uint64_t>()))); break;    // BINBYTES8
      case '}': stack_.push_back(make(PickleKind::dict)); break;
      case ']': stack_.push_back(make(PickleKind::list)); break;
      case ')': stack_.push_back(make_tuple({})); break;
      case 't': stack_.push_back(make_tuple(pop_to_mark())); break;
      case 0x85:  // TUPLE1, TUPLE2, TUPLE3
      case 0x86:
      case 0x87: {
        size_t n = op - 0x84u;
        std::vector<PickleValue*> items(n);
        for (size_t i = n; i-- > 0;) items[i] = pop();
        stack_.push_back(make_tuple(std::move(items)));
        break;
      }
      case 'q': memo_put(take<uint8_t>()); break;   // BINPUT
      case 'r': memo_put(take<uint32_t>()); break;  // LONG_BINPUT
      case 0x94: memo_put(memo_.size()); break;     // MEMOIZE
      case 'h': stack_.push_back(memo_get(take<uint8_t>())); break;   // BINGET
      case 'j': stack_.push_back(memo_get(take<uint32_t>())); break;  // LONG_BINGET
      case 'c': {  // GLOBAL "module\nname\n"
        std::string module = take_line();
        std::string name = take_line();
        stack_.push_back(make_global(module, name));
        break;
      }
      case 0x93: {  // STACK_GLOBAL
        PickleValue* name = pop();
        PickleValue* module = pop();
        if (name->kind != PickleKind::string || module->kind != PickleKind::string)
          fail("STACK_GLOBAL needs two strings");
        stack_.push_back(make_global(module->text, name->text));
        break;
      }
      case 's': {  // SETITEM
        PickleValue* value = pop();
        PickleValue* key = pop();
        set_items(top(), {key, value});
        break;
      }
      case 'u': {  // SETITEMS
        std::vector<PickleValue*> kv = pop_to_mark();
        set_items(top(), kv);
        break;
      }
      case 'a': {  // APPEND
        PickleValue* value = pop();
        append_items(top(), {value});
        break;
      }
      case 'e': {  // APPENDS
        std::vector<PickleValue*> values = pop_to_mark();
        append_items(top(), values);
        break;
      }
      case 'R': {  // REDUCE: recorded, never called
        PickleValue* args = pop();
        PickleValue* callable = pop();
        if (callable->kind != PickleKind::global || args->kind != PickleKind::tuple)
          fail("REDUCE needs a global and an argument tuple");
        if (callable->is_global("collections.OrderedDict") && args->items.empty()) {
          stack_.push_back(make(PickleKind::dict));
        } else {
          PickleValue* r = make(PickleKind::reduce);
          r->items = {callable, args};
          stack_.push_back(r);
        }
        break;
      }
      case 'b': {  // BUILD
        PickleValue* state = pop();
        top()->state = state;
        break;
      }
      case 'Q': {  // BINPERSID
        PickleValue* p = make(PickleKind::persistent_id);
        p->items = {pop()};
        stack_.push_back(p);
        break;
      }
      default:
        fail(str_cat("unsupported opcode 0x", std::hex, int(op), std::dec, " at byte ", at,
                     " (this reader handles what torch.save writes)"));
    }
  }

  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  const std::set<std::string>& allowed_;
  const std::string& source_;
  std::vector<PickleValue*> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, PickleValue*> memo_;
  PickleDocument doc_;
};

PickleDocument pickle_decode(const std::byte* data, size_t size, const std::set<std::string>& allowed_globals,
                             const std::string& source) {
  return PickleDecoder(data, size, allowed_globals, source).run();
}

}  // namespace fc
