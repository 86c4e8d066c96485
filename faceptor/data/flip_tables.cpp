#include "faceptor/data/flip_tables.h"

#include "core/error.h"
#include "faceptor/tasks.h"

namespace fc::faceptor::data {
namespace {

// A permutation built from the symmetry of a markup: each helper states one kind of part.
class MirrorTable {
 public:
  explicit MirrorTable(int n) : perm_(n) {
    for (int i = 0; i < n; ++i) perm_[i] = i;
  }
  void pair(int a, int b) {
    perm_[a] = b;
    perm_[b] = a;
  }
  // An open curve drawn from one side of the face to the other (jaw, nose base): reversed.
  void reverse(int first, int last) {
    for (int a = first, b = last; a < b; ++a, --b) pair(a, b);
  }
  // Two parts of `count` points (left and right eye, ...) whose k-th points mirror as given by
  // `map(k)`, an index into the other part.
  template <class F>
  void mirror_parts(int left_first, int right_first, int count, F map) {
    for (int k = 0; k < count; ++k) pair(left_first + k, right_first + map(k));
  }
  // A closed ring of `count` points that starts at one corner on the symmetry-relevant axis
  // and runs clockwise (mouth outline): point k mirrors to (corner_opposite - k) mod count.
  void ring(int first, int count, int corner_opposite) {
    for (int k = 0; k < count; ++k) {
      int m = ((corner_opposite - k) % count + count) % count;
      if (k < m) pair(first + k, first + m);
    }
  }
  std::vector<int> take() { return std::move(perm_); }

 private:
  std::vector<int> perm_;
};

// 300W / iBUG 68 (0-based): jaw 0-16 from the image's left to right; brows 17-21 and 22-26,
// both drawn left to right (so 17 <-> 26); nose bridge 27-30 on the midline; nose
// base 31-35 left to right; eyes 36-41 and 42-47, each ring starting at the image-left corner
// clockwise (36 outer corner of the left eye <-> 45 outer corner of the right eye, 39 <-> 42
// inner corners); outer lip 48-59 clockwise from the left corner (48 <-> 54, 51 and 57 on the
// midline); inner lip 60-67 clockwise from the left corner (60 <-> 64, 62 and 66 midline).
std::vector<int> ibug68() {
  MirrorTable t(68);
  t.reverse(0, 16);
  t.reverse(17, 26);
  t.reverse(31, 35);
  // Each eye ring starts at its image-left corner: 36 (outer) and 42 (inner); the mirror of
  // the left ring's point k is the right ring's point (3 - k) mod 6.
  t.mirror_parts(36, 42, 6, [](int k) { return ((3 - k) % 6 + 6) % 6; });
  t.ring(48, 12, 6);
  t.ring(60, 8, 4);
  return t.take();
}

// WFLW 98: contour 0-32 left to right; left brow 33-41 (upper 33-37 from the outer end,
// lower 38-41 back from the inner end), right brow 42-50 (upper 42-46 from the inner end,
// lower 47-50); nose bridge 51-54; nose base 55-59 left to right; eyes 60-67 and 68-75, rings
// from the image-left corner clockwise; outer mouth 76-87 and inner mouth 88-95 rings from the
// left corner; pupils 96, 97.
std::vector<int> wflw98() {
  MirrorTable t(98);
  t.reverse(0, 32);
  t.mirror_parts(33, 42, 5, [](int k) { return 4 - k; });  // upper brow arcs: 33 <-> 46
  t.mirror_parts(38, 47, 4, [](int k) { return 3 - k; });  // lower brow arcs: 38 <-> 50
  t.reverse(55, 59);
  t.mirror_parts(60, 68, 8, [](int k) { return ((4 - k) % 8 + 8) % 8; });  // 60 <-> 72, 64 <-> 68
  t.ring(76, 12, 6);
  t.ring(88, 8, 4);
  t.pair(96, 97);
  return t.take();
}

// COFW 29 (the LFPW-29 markup): pairs are (left, right) parts of the same name: 0/1 brow outer
// corners, 2/3 brow inner corners, 4/6 brow tops, 5/7 brow bottoms, 8/9 eye outer corners,
// 10/11 eye inner corners, 12/14 eye tops, 13/15 eye bottoms, 16/17 pupils, 18/19 nostrils,
// 22/23 mouth corners; on the midline: 20 nose tip, 21 nose base, 24-27 lip midpoints, 28 chin.
std::vector<int> cofw29() {
  MirrorTable t(29);
  for (auto [a, b] : {std::pair{0, 1}, {2, 3}, {4, 6}, {5, 7}, {8, 9}, {10, 11}, {12, 14}, {13, 15}, {16, 17},
                      {18, 19}, {22, 23}})
    t.pair(a, b);
  return t.take();
}

// AFLW 19: brows 0-2 and 3-5 (left brow left/centre/right, right brow left/centre/right), eyes
// 6-8 and 9-11 the same way, nose 12-14 (left, tip, right), mouth 15-17 (left, centre, right),
// 18 chin. Each left-to-right triple mirrors onto the reversed other triple.
std::vector<int> aflw19() {
  MirrorTable t(19);
  t.reverse(0, 5);
  t.reverse(6, 11);
  t.reverse(12, 14);
  t.reverse(15, 17);
  return t.take();
}

// LaPa 106, laid out as the official LaPaDataset.draw_landmarks draws it (and as FaRL's
// alignment indexes it: 104/105 eye centres, 54 nose tip, 84/90 mouth corners): contour 0-32;
// brows 33-41 and 42-50 (WFLW's brow layout); nose bridge 51-54; nose base 55-65 left to right;
// eye rings 66-73 and 75-82 (WFLW's eye layout) with pupils 74 and 83; outer mouth ring 84-95
// (corners 84, 90), inner mouth ring 96-103; eye centres 104, 105.
std::vector<int> lapa106() {
  MirrorTable t(106);
  t.reverse(0, 32);
  t.mirror_parts(33, 42, 5, [](int k) { return 4 - k; });
  t.mirror_parts(38, 47, 4, [](int k) { return 3 - k; });
  t.reverse(55, 65);
  t.mirror_parts(66, 75, 8, [](int k) { return ((4 - k) % 8 + 8) % 8; });
  t.pair(74, 83);
  t.ring(84, 12, 6);
  t.ring(96, 8, 4);
  t.pair(104, 105);
  return t.take();
}

}  // namespace

bool has_landmark_flip_permutation(int num_points) {
  return num_points == 68 || num_points == 98 || num_points == 29 || num_points == 19 || num_points == 106;
}

std::vector<int> landmark_flip_permutation(int num_points) {
  switch (num_points) {
    case 68: return ibug68();
    case 98: return wflw98();
    case 29: return cofw29();
    case 19: return aflw19();
    case 106: return lapa106();
  }
  FC_CHECK(false, "landmark_flip_permutation: no flip permutation for ", num_points,
           " points (known: 68 300W, 98 WFLW, 29 COFW, 19 AFLW, 106 LaPa)");
  return {};
}

std::vector<uint8_t> parsing_flip_classes(ParsingScheme scheme) {
  const std::vector<std::string>& names =
      scheme == ParsingScheme::celebamask_hq ? celebamask_hq_class_names() : lapa_class_names();
  std::vector<uint8_t> table(names.size());
  for (size_t c = 0; c < names.size(); ++c) table[c] = static_cast<uint8_t>(c);
  auto index = [&](const char* name) {
    for (size_t c = 0; c < names.size(); ++c)
      if (names[c] == name) return c;
    FC_CHECK(false, "parsing_flip_classes: class ", name, " missing");
    return size_t{0};
  };
  auto swap = [&](const char* a, const char* b) {
    size_t i = index(a), j = index(b);
    table[i] = static_cast<uint8_t>(j);
    table[j] = static_cast<uint8_t>(i);
  };
  if (scheme == ParsingScheme::celebamask_hq) {
    swap("l_brow", "r_brow");
    swap("l_eye", "r_eye");
    swap("l_ear", "r_ear");
  } else {
    swap("left_eyebrow", "right_eyebrow");
    swap("left_eye", "right_eye");
  }
  return table;
}

}  // namespace fc::faceptor::data
