// CosFace (large-margin cosine) loss for face recognition, as Faceptor trains its recognition
// task: the class logits are scaled cosines between the embedding and each class's weight row,
// with the margin taken off the true class before a softmax cross-entropy.
//
//   CosFaceLoss loss(93431);                              // classifier (93431, 512)
//   loss.initialize(rng);                                 // or load_state({{"classifier", w}})
//   Tensor l = loss.forward(embeddings, identities);       // (B, 512), (B) -> ()
//   l.backward();                                          // grads to embeddings and classifier
//
// Port of faceptor_project/core/model/loss/recog_loss.py, MarginCosineProductLoss.forward and
// cosine_sim:
//   cos[b, c] = <x_b, w_c> / max(|x_b| |w_c|, 1e-8)      (the clamp is on the product of norms)
//   logits    = s * (cos - m * onehot(label))
//   loss      = mean_b cross_entropy(logits_b, label_b)
// with s = 64, m = 0.4 in every released config. The angle list the official module also records
// (math.acos per sample, for logging) is not part of the loss and is left out. An all-zero
// embedding or class row would get a NaN gradient here (sqrt'(0)) where torch.norm's gives 0;
// embeddings come out of a BatchNorm, so neither occurs in practice.
//
// Letter key: B batch, D embedding dim, C classes.
#pragma once

#include <cstdint>

#include "nn/module.h"

namespace fc {

// x (B, D), w (C, D) -> (B, C): cosine of every (sample, class) pair, recog_loss.py cosine_sim.
Tensor cosine_similarity_matrix(const Tensor& x, const Tensor& w);

// features (B, D), classifier (C, D), labels (B) integral in [0, C) -> ()
Tensor cosface_loss(const Tensor& features, const Tensor& classifier, const Tensor& labels, float scale = 64.f,
                    float margin = 0.4f);

// Holds the class-weight matrix under the official parameter name, so a checkpoint's
// "losses_module.losses.recog_ms1mv3.classifier" (shape (classes, 512)) loads as "classifier".
class CosFaceLoss : public Module {
 public:
  CosFaceLoss(int64_t num_classes, int64_t embedding_dim = 512, float scale = 64.f, float margin = 0.4f);
  // features (B, D), labels (B) -> ()
  Tensor forward(const Tensor& features, const Tensor& labels) const;

  Tensor classifier;  // (C, D): one row per identity, nn.Parameter(torch.Tensor(out, in)) upstream
  float scale, margin;

 protected:
  // U(-1/sqrt(D), 1/sqrt(D)), MarginCosineProductLoss.reset_parameters.
  void reset_parameters(Rng& rng) override;
};

}  // namespace fc
