// The AdamW update of a run of parameter elements: one fused pass (param, exp_avg, exp_avg_sq read
// and written once, grad read once) in AVX2, and the scalar reference it is tested against.
// Operation by operation what torch.optim.AdamW's single-tensor path (1.13) runs in float32:
//   p.mul_(1 - lr*wd); m.mul_(b1).add_(g, alpha=1-b1); v.mul_(b2).addcmul_(g, g, value=1-b2);
//   denom = (v.sqrt() / bias_correction2_sqrt).add_(eps); p.addcdiv_(m, denom, value=-step_size)
//
//   AdamWScalars s = ...;                     // formed once per parameter and step (nn/optimizer.cpp)
//   adamw_update(p, g, m, v, n, s);           // p, m, v (n) updated in place; g (n) read
#pragma once

#include <cstdint>

namespace fc {

struct AdamWScalars {
  float decay;                  // 1 - lr * weight_decay
  float beta1, one_minus_beta1;
  float beta2, one_minus_beta2;
  float bias_correction2_sqrt;  // sqrt(1 - beta2^step)
  float neg_step_size;          // -lr / (1 - beta1^step)
  float eps;
};

// p, g, m, v (n): every element independent, so any split of a tensor gives the same result.
void adamw_update(float* p, const float* g, float* m, float* v, int64_t n, const AdamWScalars& s);
void adamw_update_reference(float* p, const float* g, float* m, float* v, int64_t n, const AdamWScalars& s);

}  // namespace fc
