// nn/module.h: parameter and buffer registration under PyTorch state-dict names, and loading.
#include <doctest/doctest.h>

#include <memory>

#include "core/error.h"
#include "nn/module.h"

using namespace fc;

namespace {

struct Leaf : Module {
  Tensor weight, bias, running_mean;
  explicit Leaf(int64_t c) {
    register_parameter("weight", &weight, Tensor::ones({c}));
    register_parameter("bias", &bias, Tensor::zeros({c}));
    register_buffer("running_mean", &running_mean, Tensor::zeros({c}));
  }
};

struct Tree : Module {
  Leaf norm{3};
  std::vector<std::unique_ptr<Leaf>> blocks;
  Tree() {
    register_module("norm", &norm);
    for (int i = 0; i < 2; ++i) {
      blocks.push_back(std::make_unique<Leaf>(2));
      register_module("blocks." + std::to_string(i), blocks.back().get());
    }
  }
};

}  // namespace

TEST_CASE("module: dotted names in registration order, counts, train/eval") {
  Tree t;
  std::vector<std::string> names;
  for (auto& [name, p] : t.named_parameters()) names.push_back(name);
  CHECK(names == std::vector<std::string>{"norm.weight", "norm.bias", "blocks.0.weight", "blocks.0.bias",
                                          "blocks.1.weight", "blocks.1.bias"});
  CHECK(t.named_buffers().size() == 3);
  CHECK(t.parameter_count() == 3 + 3 + 2 * 2 * 2);
  CHECK(t.blocks[1]->weight.requires_grad());
  CHECK_FALSE(t.norm.running_mean.requires_grad());
  t.eval();
  CHECK_FALSE(t.blocks[0]->is_training());
  t.train();
  CHECK(t.norm.is_training());
}

TEST_CASE("module: load_state reports missing, unexpected and misshaped tensors by name") {
  Tree t;
  std::map<std::string, Tensor> src;
  for (auto& [name, p] : t.named_parameters()) src[name] = Tensor::full(p->shape(), 5.f);
  for (auto& [name, b] : t.named_buffers()) src[name] = Tensor::full(b->shape(), 7.f);
  LoadReport ok = t.load_state(src);
  CHECK(ok.ok());
  CHECK(t.blocks[1]->bias.at({1}) == 5.f);
  CHECK(t.norm.running_mean.at({2}) == 7.f);
  CHECK(t.blocks[1]->bias.requires_grad());

  src.erase("norm.bias");
  src["extra.weight"] = Tensor::zeros({1});
  src["blocks.0.weight"] = Tensor::zeros({3});
  LoadReport bad = t.load_state(src);
  CHECK(bad.missing == std::vector<std::string>{"norm.bias"});
  CHECK(bad.unexpected == std::vector<std::string>{"extra.weight"});
  REQUIRE(bad.misshaped.size() == 1);
  CHECK(bad.misshaped[0] == "blocks.0.weight: source (3) vs model (2)");
  CHECK(t.blocks[0]->weight.at({0}) == 5.f);  // nothing changed on a shape error
}
