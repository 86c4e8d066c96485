// The whole model at full Faceptor-Base size against our PyTorch reference: reads what
// `tests/reference/make_model_fixtures.py --full DIR` wrote (a ViT-B size random checkpoint
// saved with the official names, the inputs and the float64 reference outputs), converts the
// checkpoint with our converter, runs both input sizes and compares every output tensor with
// max |diff| <= 1e-4 * max |ref| (the tiny-model tests' tolerance, now at real depth and width).
// `make check-full` runs the script and then this; it takes a few minutes and is not part of
// `make test`.
//
//   build/check_full DIR [stage1|stage2|all_levels]     # exit status 1 when a tensor is off
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "faceptor/convert.h"
#include "faceptor/model.h"
#include "faceptor/outputs.h"
#include "tests/support/fixture.h"

using namespace fc;
using namespace fc::faceptor;

namespace {

constexpr double kRel = 1e-4;

struct Compared {
  std::string name;
  double max_diff = 0, max_ref = 0;
  double rel() const { return max_ref > 0 ? max_diff / max_ref : max_diff; }
  bool ok() const { return max_diff <= kRel * max_ref; }
};

Compared compare(const std::string& name, const Tensor& got, const Tensor& want) {
  Compared c{name};
  if (got.shape() != want.shape()) {
    std::ostringstream message;
    message << got.shape() << ", reference " << want.shape();
    std::printf("  %-40s shape %s\n", name.c_str(), message.str().c_str());
    c.max_diff = INFINITY;
    return c;
  }
  std::vector<float> a = got.to_vector(), b = want.to_vector();
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = std::fabs(static_cast<double>(a[i]) - b[i]);
    c.max_diff = std::isnan(d) ? INFINITY : std::max(c.max_diff, d);
    c.max_ref = std::max(c.max_ref, std::fabs(static_cast<double>(b[i])));
  }
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR [stage1|stage2|all_levels]\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1], variant = argc > 2 ? argv[2] : "stage1";
  const auto start = std::chrono::steady_clock::now();
  test::Fixture inputs(dir + "/inputs.fxt"), ref(dir + "/outputs.fxt");

  ConvertOptions opts;  // heads and levels: the converter's defaults for the released models
  ConvertedModel cm = convert_state(dir + "/faceptor_" + variant + ".pth.tar", opts);
  std::printf("converted %s: %zu tensors (%s), %zu dropped\n", variant.c_str(), cm.tensors.size(),
              cm.source_kind.c_str(), cm.dropped.size());
  FaceptorModel model(cm.config);
  LoadReport report = model.load_state(std::map<std::string, Tensor>(cm.tensors.begin(), cm.tensors.end()));
  if (!report.ok()) {
    std::printf("load_state failed:\n%s\n", report.summary().c_str());
    return 1;
  }
  model.eval();
  NoGradGuard no_grad;

  std::vector<Compared> results;
  for (int size : {112, 512}) {
    const std::string s = std::to_string(size);
    PassResult pass = model.run(inputs.get("input/" + s), {}, {.keep_attention = true});
    for (size_t layer = 0; layer < pass.encoder.tokens.size(); ++layer) {
      const std::string key = "encoder/" + s + "/" + std::to_string(layer);
      if (ref.has(key)) results.push_back(compare(key, pass.encoder.feature_map(static_cast<int>(layer)), ref.get(key)));
    }
    if (model.decoder && ref.has("pos/" + s))
      results.push_back(compare("pos/" + s, model.decoder->anchor_position(pass.encoder.grid), ref.get("pos/" + s)));
    for (const auto& [task, r] : pass.tasks) {
      auto check = [&](const std::string& key, const Tensor& got) {
        if (ref.has(task + "/" + key)) results.push_back(compare(task + "/" + key, got, ref.get(task + "/" + key)));
      };
      const std::string kind = task.substr(0, task.find('_'));
      if (kind == "recog") {
        check("embedding", r.raw);
        continue;
      }
      check("decoder_output", r.decoder_output);
      check("head", r.raw);
      if (!r.cross_attention.empty()) check("cross_attn_last", r.cross_attention.back());
      if (kind == "age") {
        AgeEstimate age = age_from_logits(r.raw);
        check("probs", age.distribution);
        check("age", age.age);
      } else if (kind == "biattr") {
        check("probs", attribute_probabilities(r.raw));
      } else if (kind == "affect") {
        check("probs", expression_probabilities(r.raw));
      } else if (kind == "align") {
        check("landmarks", landmarks_from_heatmaps(r.raw));
      }
    }
  }

  int failed = 0;
  std::printf("%-40s %12s %12s %10s\n", "tensor", "max|diff|", "max|ref|", "rel");
  for (const Compared& c : results) {
    std::printf("%-40s %12.3e %12.3e %10.2e%s\n", c.name.c_str(), c.max_diff, c.max_ref, c.rel(),
                c.ok() ? "" : "  FAIL");
    failed += !c.ok();
  }
  size_t want = 0;
  for (const std::string& n : ref.names()) want += n.rfind("config/", 0) != 0;
  const auto worst = std::max_element(results.begin(), results.end(),
                                      [](const Compared& a, const Compared& b) { return a.rel() < b.rel(); });
  std::printf("%zu of %zu reference tensors compared; worst %s at %.2e (tolerance %.0e); %d failed; %.0f s\n",
              results.size(), want, worst == results.end() ? "-" : worst->name.c_str(),
              worst == results.end() ? 0.0 : worst->rel(), kRel, failed,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return failed == 0 && results.size() == want ? 0 : 1;
}
