#include "nn/losses/age_dldl.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.h"
#include "ops/elementwise.h"
#include "ops/loss.h"
#include "ops/reduce.h"
#include "ops/unary.h"

namespace fc {

Tensor age_label_distribution(const Tensor& ages, int64_t bins, double sigma) {
  FC_CHECK(ages.ndim() == 1, "age_label_distribution: ages ", ages.shape(), ": expected (B)");
  FC_CHECK(bins > 0 && sigma > 0, "age_label_distribution: bins ", bins, ", sigma ", sigma, ": must be positive");
  const std::vector<float> values = ages.to_vector();
  Tensor out = Tensor::empty({ages.size(0), bins});
  float* data = out.mutable_data();
  std::vector<double> density(bins);
  for (size_t b = 0; b < values.size(); ++b) {
    double total = 0;
    for (int64_t k = 0; k < bins; ++k) {
      const double d = static_cast<double>(k) - values[b];
      density[k] = std::exp(-d * d / (2 * sigma * sigma));
      total += density[k];
    }
    const double divisor = std::max(total, 1e-12);
    for (int64_t k = 0; k < bins; ++k) data[b * bins + k] = static_cast<float>(density[k] / divisor);
  }
  return out;
}

AgeLossTerms age_dldl_loss(const Tensor& logits, const Tensor& ages, double sigma) {
  FC_CHECK(logits.ndim() == 2 && ages.ndim() == 1 && ages.size(0) == logits.size(0), "age_dldl_loss: logits ",
           logits.shape(), ", ages ", ages.shape(), ": expected (B, bins) and (B)");
  const int64_t bins = logits.size(1);
  Tensor target = age_label_distribution(ages, bins, sigma);
  Tensor activated = sigmoid(logits);
  Tensor p = activated / clamp(sum(activated, {1}, true), 1e-12f, std::nullopt);  // (B, bins)
  Tensor expected_age = sum(p * Tensor::arange(bins), {1});                      // (B)
  AgeLossTerms out;
  out.kl = kl_div(log(p), target, Reduction::batchmean);
  out.l1 = l1_loss(expected_age, ages.detach());
  out.total = out.kl + out.l1;
  return out;
}

}  // namespace fc
