// Age estimation loss of Faceptor: DLDL-v2 (label distribution learning with an expectation
// regression term). The head predicts 101 logits, one per age 0..100; their sigmoids,
// L1-normalised, are a distribution over ages whose mean is the predicted age.
//
//   Tensor target = age_label_distribution(ages);       // (B) -> (B, 101), done by the dataset upstream
//   AgeLossTerms l = age_dldl_loss(logits, ages);       // (B, 101), (B)
//   l.total.backward();                                  // l.kl, l.l1 for logging
//
// Port with a pointer:
//   - faceptor_project/core/data/dataset/age_dataset.py, normal_sampling and __getitem__: the
//     target for age a is q_k = N(k; a, sigma = 2) for k = 0..100, then F.normalize(p=1), i.e.
//     q_k = exp(-(k - a)^2 / 8) / sum_j exp(-(j - a)^2 / 8) (the 1/(sqrt(2 pi) sigma) cancels).
//   - faceptor_project/core/model/loss/age_loss.py, AgeLoss_DLDLV2.forward:
//       p     = sigmoid(logits) / max(sum_k sigmoid(logits)_k, 1e-12)     (F.normalize p=1)
//       kl    = sum_{b,k} q_bk (log q_bk - log p_bk) / B     (KLDivLoss(reduce=False), sum / B;
//               terms with q = 0 count 0)
//       l1    = mean_b |sum_k k p_bk - a_b|
//       total = kl + l1                                     (weights [1.0, 1.0])
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace fc {

// The official label settings: ages 0..100 and a Gaussian of standard deviation 2 years.
constexpr int64_t kAgeBins = 101;
constexpr double kAgeLabelSigma = 2.0;

// ages (B) -> (B, bins): the Gaussian label distribution above, computed in double. An age far
// outside [0, bins) gives an all-zero row, as F.normalize's 1e-12 floor does upstream.
Tensor age_label_distribution(const Tensor& ages, int64_t bins = kAgeBins, double sigma = kAgeLabelSigma);

struct AgeLossTerms {
  Tensor total;  // () kl + l1
  Tensor kl;     // ()
  Tensor l1;     // ()
};

// logits (B, bins), ages (B) -> the terms above. The target distribution is built from `ages`
// with age_label_distribution; gradients flow to the logits only.
AgeLossTerms age_dldl_loss(const Tensor& logits, const Tensor& ages, double sigma = kAgeLabelSigma);

}  // namespace fc
