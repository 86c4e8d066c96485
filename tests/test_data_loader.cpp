// faceptor/data loader and sampler: results independent of the worker count, exact resume,
// worker errors reaching the consumer with the sample named, disjoint shards, batch layout.
#include <doctest/doctest.h>

#include <atomic>
#include <set>

#include "core/error.h"
#include "faceptor/data/loader.h"
#include "faceptor/data/readers_labels.h"
#include "faceptor/data/transforms.h"
#include "tests/support/fixture.h"

using namespace fc;
using namespace fc::faceptor::data;

namespace {

// Synthetic in-memory dataset: sample i is a 4x4 image whose value encodes i plus a draw from
// the sample's Rng (so the augmentation stream shows in the output); index `bad` throws.
class CountingDataset : public Dataset {
 public:
  CountingDataset(size_t n, size_t bad = SIZE_MAX) : n_(n), bad_(bad) {}
  size_t size() const override { return n_; }
  Sample get(size_t index, Rng& rng) const override {
    FC_CHECK(index != bad_, "cannot decode image: truncated");
    Sample s;
    s.name = describe(index);
    s.image = Tensor::full({3, 4, 4}, static_cast<float>(index) + rng.uniform());
    s.identity = static_cast<int>(index);
    s.attributes = {1, 0, kAttributeUnknown};
    return s;
  }
  std::string describe(size_t index) const override { return "img_" + std::to_string(index) + ".jpg"; }

 private:
  size_t n_, bad_;
};

std::vector<std::vector<float>> take(DataLoader& loader, int batches) {
  std::vector<std::vector<float>> out;
  for (int i = 0; i < batches; ++i) out.push_back(loader.next().images.to_vector());
  return out;
}

}  // namespace

TEST_CASE("data loader: batches do not depend on the number of workers") {
  CountingDataset data(7);
  LoaderOptions opt;
  opt.batch_size = 3;
  opt.seed = 42;
  opt.workers = 1;
  DataLoader one(data, opt);
  opt.workers = 3;
  DataLoader three(data, opt);
  opt.workers = 0;
  DataLoader inline_loader(data, opt);
  auto a = take(one, 6), b = take(three, 6), c = take(inline_loader, 6);
  CHECK(a == b);
  CHECK(a == c);
}

TEST_CASE("data loader: every epoch is a permutation, epochs differ") {
  InfiniteSampler sampler(10, 5);
  std::vector<size_t> e0, e1;
  for (uint64_t k = 0; k < 10; ++k) e0.push_back(sampler.at(k).index);
  for (uint64_t k = 10; k < 20; ++k) e1.push_back(sampler.at(k).index);
  CHECK(std::set<size_t>(e0.begin(), e0.end()).size() == 10);
  CHECK(std::set<size_t>(e1.begin(), e1.end()).size() == 10);
  CHECK(e0 != e1);
  CHECK(sampler.at(13).epoch == 1);
}

TEST_CASE("data loader: saved position resumes exactly") {
  CountingDataset data(5);
  LoaderOptions opt;
  opt.batch_size = 2;
  opt.seed = 9;
  opt.workers = 2;
  DataLoader full(data, opt);
  auto expected = take(full, 7);
  std::string saved;
  {
    DataLoader first(data, opt);
    take(first, 3);
    saved = first.state().to_json();
  }
  SamplerState state = SamplerState::from_json(saved);
  CHECK(state.position == 6);
  DataLoader resumed(data, resume_options(opt, state, data.size()));
  auto rest = take(resumed, 4);
  CHECK(rest == std::vector<std::vector<float>>(expected.begin() + 3, expected.end()));
  LoaderOptions other = opt;
  other.seed = 10;
  CHECK_THROWS_WITH_AS(resume_options(other, state, data.size()), doctest::Contains("saved state is for seed 9"), Error);
  CHECK_THROWS_AS(SamplerState::from_json("{\"seed\": 1}"), Error);
}

TEST_CASE("data loader: a worker's exception reaches the consumer naming the sample") {
  CountingDataset data(4, /*bad=*/2);
  LoaderOptions opt;
  opt.task = "biattr_test";
  opt.batch_size = 4;  // the first batch holds every index, including the bad one
  opt.workers = 2;
  DataLoader loader(data, opt);
  CHECK_THROWS_WITH_AS(loader.next(), doctest::Contains("DataLoader(biattr_test): sample img_2.jpg (dataset index 2"),
                       Error);
  CHECK_THROWS_WITH_AS(loader.next(), doctest::Contains("cannot decode image: truncated"), Error);
}

TEST_CASE("data loader: ranks draw disjoint shards of each epoch") {
  const size_t n = 12;
  const int world = 3;
  std::set<size_t> all;
  for (int rank = 0; rank < world; ++rank) {
    InfiniteSampler s(n, 77, rank, world);
    for (uint64_t k = 0; k < n / world; ++k) CHECK(all.insert(s.at(k).index).second);
  }
  CHECK(all.size() == n);
  CHECK_THROWS_WITH_AS(InfiniteSampler(n, 1, 3, 3), doctest::Contains("rank 3 outside world size 3"), Error);
}

TEST_CASE("data loader: batch layout and normalisation on a real reader") {
  CelebaAttributes celeba(test::fixture_path("datasets/celeba"), "all");
  TransformedDataset train(celeba, attribute_train_transform(16));
  LoaderOptions opt;
  opt.batch_size = 2;
  opt.workers = 1;
  DataLoader loader(train, opt);
  Batch b = loader.next();
  CHECK(b.images.shape() == Shape{2, 3, 16, 16});
  CHECK(b.attributes.shape() == Shape{2, 40});
  CHECK(!b.identity.defined());
  for (float v : b.images.to_vector()) CHECK((v >= -1.f && v <= 1.f));
  CountingDataset data(3);
  Sample s0, s1;
  Rng rng(0);
  s0 = data.get(0, rng);
  s1 = data.get(1, rng);
  s1.attributes.clear();
  CHECK_THROWS_WITH_AS(make_batch({s0, s1}, InputNormalization::half),
                       doctest::Contains("img_0.jpg has attributes but img_1.jpg lacks it"), Error);
  Batch farl = make_batch({s0}, InputNormalization::farl);
  CHECK(farl.identity.to_vector() == std::vector<float>{0.f});
}
