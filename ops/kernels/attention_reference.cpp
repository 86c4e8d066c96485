// The naive attention kernels: one full score row at a time, accumulated in double. They define
// what the fused kernels must compute (including the fully-masked-row convention) and back the
// op when AttentionOptions::force_reference is set.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "ops/kernels/attention_kernel.h"

namespace fc {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// p (K) = softmax(scale * q_i k^T + mask_i) in double; returns the log-sum-exp (+inf when every
// score is -inf, p then all 0).
double probability_row(const AttentionArgs& a, int64_t b, int64_t h, int64_t i, std::vector<double>& p) {
  const int64_t D = a.head_dim;
  const float* qi = a.q.rows(b, h) + i * a.q.stride_l;
  const float* keys = a.k.rows(b, h);
  double row_max = -kInf;
  for (int64_t j = 0; j < a.keys; ++j) {
    const float* kj = keys + j * a.k.stride_l;
    double dot = 0;
    for (int64_t d = 0; d < D; ++d) dot += static_cast<double>(qi[d]) * kj[d];
    double s = a.scale * dot;
    if (a.mask.data) s += a.mask.row(b, h, i)[j * a.mask.stride_k];
    p[j] = s;
    row_max = std::max(row_max, s);
  }
  if (row_max == -kInf) {
    std::fill(p.begin(), p.end(), 0.0);
    return kInf;
  }
  double sum = 0;
  for (int64_t j = 0; j < a.keys; ++j) sum += p[j] = std::exp(p[j] - row_max);
  for (int64_t j = 0; j < a.keys; ++j) p[j] /= sum;
  return row_max + std::log(sum);
}

}  // namespace

void attention_forward_reference(const AttentionArgs& a, Heads out, float* lse, float* probs) {
  const int64_t D = a.head_dim;
  std::vector<double> p(a.keys), o(D);
  if (probs) std::fill_n(probs, a.batch * a.queries * a.keys, 0.f);
  for (int64_t b = 0; b < a.batch; ++b) {
    for (int64_t h = 0; h < a.heads; ++h) {
      for (int64_t i = 0; i < a.queries; ++i) {
        lse[(b * a.heads + h) * a.queries + i] = static_cast<float>(probability_row(a, b, h, i, p));
        std::fill(o.begin(), o.end(), 0.0);
        for (int64_t j = 0; j < a.keys; ++j) {
          const float* vj = a.v.rows(b, h) + j * a.v.stride_l;
          for (int64_t d = 0; d < D; ++d) o[d] += p[j] * vj[d];
        }
        float* oi = out.rows(b, h) + i * out.stride_l;
        for (int64_t d = 0; d < D; ++d) oi[d] = static_cast<float>(o[d]);
        if (probs) {
          float* row = probs + (b * a.queries + i) * a.keys;
          for (int64_t j = 0; j < a.keys; ++j) row[j] += static_cast<float>(p[j] / a.heads);
        }
      }
    }
  }
}

// With P the probabilities, dP = dO V^T, dS = P * (dP - rowsum(P * dP)):
// dV = P^T dO, dQ = scale * dS K, dK = scale * dS^T Q. The reference recomputes P itself and
// ignores out and lse, so it also checks what the fused forward saved.
void attention_backward_reference(const AttentionArgs& a, ConstHeads out, ConstHeads grad_out, const float* lse,
                                  Heads dq, Heads dk, Heads dv) {
  const int64_t D = a.head_dim, Q = a.queries, K = a.keys;
  std::vector<double> p(K), dp(K), gq(Q * D), gk(K * D), gv(K * D);
  for (int64_t b = 0; b < a.batch; ++b) {
    for (int64_t h = 0; h < a.heads; ++h) {
      std::fill(gq.begin(), gq.end(), 0.0);
      std::fill(gk.begin(), gk.end(), 0.0);
      std::fill(gv.begin(), gv.end(), 0.0);
      for (int64_t i = 0; i < Q; ++i) {
        probability_row(a, b, h, i, p);
        const float* qi = a.q.rows(b, h) + i * a.q.stride_l;
        const float* gi = grad_out.rows(b, h) + i * grad_out.stride_l;
        double delta = 0;
        for (int64_t j = 0; j < K; ++j) {
          const float* vj = a.v.rows(b, h) + j * a.v.stride_l;
          double dot = 0;
          for (int64_t d = 0; d < D; ++d) dot += static_cast<double>(gi[d]) * vj[d];
          dp[j] = dot;
          delta += p[j] * dot;
        }
        for (int64_t j = 0; j < K; ++j) {
          const float* kj = a.k.rows(b, h) + j * a.k.stride_l;
          const double ds = a.scale * p[j] * (dp[j] - delta);
          for (int64_t d = 0; d < D; ++d) {
            gv[j * D + d] += p[j] * gi[d];
            gq[i * D + d] += ds * kj[d];
            gk[j * D + d] += ds * qi[d];
          }
        }
      }
      for (int64_t i = 0; i < Q; ++i)
        for (int64_t d = 0; d < D; ++d) dq.rows(b, h)[i * dq.stride_l + d] = static_cast<float>(gq[i * D + d]);
      for (int64_t j = 0; j < K; ++j) {
        for (int64_t d = 0; d < D; ++d) {
          dk.rows(b, h)[j * dk.stride_l + d] = static_cast<float>(gk[j * D + d]);
          dv.rows(b, h)[j * dv.stride_l + d] = static_cast<float>(gv[j * D + d]);
        }
      }
    }
  }
}

}  // namespace fc
