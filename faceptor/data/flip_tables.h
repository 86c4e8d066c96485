// What a horizontal flip does to labels: the landmark index permutation of each point scheme
// (after mirroring, the point that was the left eye corner is the right one, so indices swap)
// and the left/right class swap of each parsing scheme.
//
//   std::vector<int> perm = landmark_flip_permutation(68);   // perm[i]: the index point i becomes
//   std::vector<uint8_t> cls = parsing_flip_classes(ParsingScheme::celebamask_hq);
//
// Point schemes are told apart by their count (they are all different):
//   68  300W / iBUG (Multi-PIE markup)   98  WFLW          29  COFW
//   19  AFLW (the 19 points without ears) 106 LaPa (its own order, see flip_tables.cpp)
#pragma once

#include <cstdint>
#include <vector>

namespace fc::faceptor::data {

// perm[i] = j: after a flip, the point stored at index i belongs at index j (an involution).
// Throws for a count with no known scheme.
std::vector<int> landmark_flip_permutation(int num_points);
bool has_landmark_flip_permutation(int num_points);

enum class ParsingScheme { celebamask_hq, lapa };
// table[c]: the class a pixel of class c has after a flip (identity except left/right pairs).
std::vector<uint8_t> parsing_flip_classes(ParsingScheme scheme);

}  // namespace fc::faceptor::data
