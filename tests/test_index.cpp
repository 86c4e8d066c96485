#include <doctest/doctest.h>

#include "core/error.h"
#include "ops/elementwise.h"
#include "ops/index.h"
#include "tests/support/check.h"

using namespace fc;
using namespace fc::test;

namespace {

Tensor reversed_concat(const std::vector<Tensor>& pieces, int dim) {
  return concat(std::vector<Tensor>(pieces.rbegin(), pieces.rend()), dim);
}

}  // namespace

FC_OP_CASE(concat_dim0, {.op = "concat", .group = "index", .name = "concat_dim0",
                         .fn = [](const Inputs& x) { return concat({x[0], x[1]}, 0); }});
FC_OP_CASE(concat_neg, {.op = "concat", .group = "index", .name = "concat_neg",
                        .fn = [](const Inputs& x) { return concat({x[0], x[1], x[2]}, -2); }});
FC_OP_CASE(concat_last, {.op = "concat", .group = "index", .name = "concat_last",
                         .fn = [](const Inputs& x) { return concat({x[0], x[1]}, -1); }});

FC_OP_CASE(split_size_reversed, {.op = "split", .group = "index", .name = "split_size_reversed",
                                 .fn = [](const Inputs& x) { return reversed_concat(split(x[0], 3, 0), 0); }});
FC_OP_CASE(split_sizes_neg, {.op = "split", .group = "index", .name = "split_sizes_neg", .fn = [](const Inputs& x) {
                               std::vector<Tensor> p = split(x[0], std::vector<int64_t>{1, 2, 3}, -1);
                               return concat({p[0], p[1] * 2.f, p[2] * 3.f}, -1);
                             }});
FC_OP_CASE(split_add, {.op = "split", .group = "index", .name = "split_add", .fn = [](const Inputs& x) {
                         std::vector<Tensor> p = split(x[0], 2, 0);
                         return p[0] + p[1];
                       }});

FC_OP_CASE(index_select_dim0_repeat, {.op = "index_select", .group = "index", .name = "index_select_dim0_repeat",
                                      .fn = [](const Inputs& x) { return index_select(x[0], 0, x[1]); }});
FC_OP_CASE(index_select_neg, {.op = "index_select", .group = "index", .name = "index_select_neg",
                              .fn = [](const Inputs& x) { return index_select(x[0], -2, x[1]); }});
FC_OP_CASE(index_select_last, {.op = "index_select", .group = "index", .name = "index_select_last",
                               .fn = [](const Inputs& x) { return index_select(x[0], 2, x[1]); }});

FC_OP_CASE(gather_dim1, {.op = "gather", .group = "index", .name = "gather_dim1",
                         .fn = [](const Inputs& x) { return gather(x[0], 1, x[1]); }});
FC_OP_CASE(gather_dim0_smaller, {.op = "gather", .group = "index", .name = "gather_dim0_smaller",
                                 .fn = [](const Inputs& x) { return gather(x[0], 0, x[1]); }});
FC_OP_CASE(gather_neg_3d, {.op = "gather", .group = "index", .name = "gather_neg_3d",
                           .fn = [](const Inputs& x) { return gather(x[0], -1, x[1]); }});

FC_OP_CASE(embedding_2d_repeat, {.op = "embedding", .group = "index", .name = "embedding_2d_repeat",
                                 .fn = [](const Inputs& x) { return embedding(x[0], x[1]); }});
FC_OP_CASE(embedding_1d, {.op = "embedding", .group = "index", .name = "embedding_1d",
                          .fn = [](const Inputs& x) { return embedding(x[0], x[1]); }});

TEST_CASE("index: split returns views that share the input's storage") {
  Tensor x = Tensor::arange(10).reshape({5, 2});
  std::vector<Tensor> p = split(x, 2, 0);
  REQUIRE(p.size() == 3);
  CHECK(p[2].shape() == Shape{1, 2});
  CHECK(p[1].shares_storage_with(x));
  CHECK(p[1].to_vector() == std::vector<float>{4, 5, 6, 7});
}

TEST_CASE("index: concat of strided views matches the contiguous result") {
  Tensor x = Tensor::arange(6).reshape({2, 3});
  Tensor y = concat({x.transpose(0, 1), x.transpose(0, 1)}, 1);  // (3, 4)
  CHECK(y.to_vector() == std::vector<float>{0, 3, 0, 3, 1, 4, 1, 4, 2, 5, 2, 5});
}

TEST_CASE("index: bad indices and shapes name the op and the shapes") {
  Tensor x = Tensor::zeros({4, 3});
  CHECK_THROWS_WITH_AS(index_select(x, 0, Tensor::from_vector({1, 4}, {2})),
                       "index_select: input (4,3), dim 0, index (2): value 4 at flat position 1 is out of range [0, 4)",
                       Error);
  CHECK_THROWS_WITH_AS(index_select(x, 1, Tensor::from_vector({-1}, {1})),
                       "index_select: input (4,3), dim 1, index (1): value -1 at flat position 0 is out of range [0, 3)",
                       Error);
  CHECK_THROWS_WITH_AS(embedding(x, Tensor::from_vector({0.5f}, {1})),
                       "embedding: weight (4,3), indices (1): value 0.5 at flat position 0 is not an integer "
                       "(indices and labels are float32 tensors holding integral values)",
                       Error);
  CHECK_THROWS_WITH_AS(gather(x, 1, Tensor::zeros({4})),
                       "gather: input (4,3), dim 1, index (4): index must have the input's rank (at least 1)", Error);
  CHECK_THROWS_WITH_AS(gather(x, 1, Tensor::zeros({5, 1})),
                       "gather: input (4,3), dim 1, index (5,1): index size 5 exceeds input size 4 in dim 0", Error);
  CHECK_THROWS_WITH_AS(concat({x, Tensor::zeros({3, 3})}, 1), "concat: shapes (4,3), (3,3) differ outside dim 1",
                       Error);
  CHECK_THROWS_WITH_AS(concat({x}, 2), "concat: dim 2 out of range for shape (4,3)", Error);
  CHECK_THROWS_WITH_AS(split(x, std::vector<int64_t>{1, 2}, 0),
                       "split: sizes add up to 3 but dim 0 of input (4,3) has size 4", Error);
}
