#include "tests/support/tiny_model.h"

#include <map>

#include "core/error.h"
#include "faceptor/convert.h"
#include "tests/support/fixture.h"

namespace fc::test {

namespace {

std::vector<int> ints(const Tensor& t) {
  std::vector<int> out;
  for (float v : t.to_vector()) out.push_back(static_cast<int>(v));
  return out;
}

}  // namespace

std::unique_ptr<faceptor::FaceptorModel> tiny_model(const std::string& variant) {
  using namespace fc::faceptor;
  const Fixture fx(fixture_path("model/" + variant + ".fxt"));
  ConvertOptions opts;
  opts.encoder_heads = 3;  // not recoverable from shapes: the script's values
  opts.decoder_heads = 2;
  opts.levels = ints(fx.get("config/levels"));
  if (fx.has("config/new_levels")) opts.new_levels = ints(fx.get("config/new_levels"));
  ConvertedModel cm = convert_state(fixture_path("model/" + variant + ".pth.tar"), opts);
  for (TaskSpec& t : cm.config.tasks)
    if (t.input_size == 512) t.input_size = 64;
  auto model = std::make_unique<FaceptorModel>(cm.config);
  const LoadReport report = model->load_state(std::map<std::string, Tensor>(cm.tensors.begin(), cm.tensors.end()));
  FC_CHECK(report.ok(), "tiny_model(", variant, "): ", report.summary());
  model->eval();
  return model;
}

}  // namespace fc::test
