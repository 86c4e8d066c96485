#include "nn/grad_utils.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "core/autograd.h"
#include "core/buffer_pool.h"
#include "core/error.h"
#include "nn/param_chunks.h"

namespace fc {

namespace {

std::vector<Tensor*> all_parameters(const std::vector<ParamGroup>& groups) {
  std::vector<Tensor*> out;
  for (const auto& g : groups)
    for (const auto& [name, slot] : g.parameters) out.push_back(slot);
  return out;
}

// Squared L2 norm of d[0, n), accumulated in double (four lanes of four doubles, summed in a
// fixed order): exact to float precision whatever the order, so the total does not depend on how
// the parameters are split into chunks or threads.
double squared_norm(const float* d, int64_t n) {
  __m256d acc[4] = {_mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd()};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    for (int k = 0; k < 4; ++k) {
      const __m256d x = _mm256_cvtps_pd(_mm_loadu_ps(d + i + 4 * k));
      acc[k] = _mm256_fmadd_pd(x, x, acc[k]);
    }
  }
  const __m256d sum4 = _mm256_add_pd(_mm256_add_pd(acc[0], acc[1]), _mm256_add_pd(acc[2], acc[3]));
  alignas(32) double lanes[4];
  _mm256_store_pd(lanes, sum4);
  double sum = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
  for (; i < n; ++i) sum += double(d[i]) * double(d[i]);
  return sum;
}

void scale(float* d, int64_t n, float coef) {
  const __m256 c = _mm256_set1_ps(coef);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(d + i, _mm256_mul_ps(_mm256_loadu_ps(d + i), c));
  for (; i < n; ++i) d[i] *= coef;
}

}  // namespace

float grad_norm(const std::vector<Tensor*>& parameters) {
  NoGradGuard no_grad;
  std::vector<Tensor> grads;
  std::vector<int64_t> sizes;
  for (const Tensor* p : parameters) {
    if (!p->grad().defined()) continue;
    grads.push_back(p->grad().contiguous());
    sizes.push_back(grads.back().numel());
  }
  const std::vector<ParamChunk> chunks = split_into_chunks(sizes);
  std::vector<double> partial(chunks.size());
#pragma omp parallel for schedule(dynamic, 1) if (chunks.size() > 1)
  for (size_t c = 0; c < chunks.size(); ++c)
    partial[c] = squared_norm(grads[chunks[c].item].data() + chunks[c].begin, chunks[c].end - chunks[c].begin);
  double sum = 0;
  for (double s : partial) sum += s;
  return float(std::sqrt(sum));
}

float clip_grad_norm(const std::vector<Tensor*>& parameters, double max_norm) {
  NoGradGuard no_grad;
  const float total = grad_norm(parameters);
  // PyTorch: clip_coef = max_norm / (total_norm + 1e-6) on a float32 tensor, clamped to 1.
  const float coef = std::fmin(float(max_norm) / (total + 1e-6f), 1.0f);
  std::vector<float*> data;
  std::vector<int64_t> sizes;
  for (Tensor* p : parameters) {
    if (!p->grad().defined()) continue;
    Tensor g = p->grad();
    if (!g.is_contiguous() || g.storage()->read_only()) {
      g = g.clone();
      p->set_grad(g);
    }
    data.push_back(g.mutable_data());
    sizes.push_back(g.numel());
  }
  const std::vector<ParamChunk> chunks = split_into_chunks(sizes);
#pragma omp parallel for schedule(dynamic, 1) if (chunks.size() > 1)
  for (size_t c = 0; c < chunks.size(); ++c)
    scale(data[chunks[c].item] + chunks[c].begin, chunks[c].end - chunks[c].begin, coef);
  return total;
}

float clip_grad_norm(const std::vector<ParamGroup>& groups, double max_norm) {
  return clip_grad_norm(all_parameters(groups), max_norm);
}

void check_finite_gradients(const Module::NamedTensors& parameters) {
  NoGradGuard no_grad;
  for (const auto& [name, slot] : parameters) {
    if (!slot->grad().defined()) continue;
    const Tensor g = slot->grad().contiguous();
    const float* d = g.data();
    for (int64_t i = 0; i < g.numel(); ++i)
      FC_CHECK(std::isfinite(d[i]), "check_finite_gradients: ", name, " ", g.shape(), ": gradient[", i, "] is ", d[i]);
  }
}

void check_finite_gradients(const std::vector<ParamGroup>& groups) {
  for (const auto& g : groups) check_finite_gradients(g.parameters);
}

void zero_grad(const std::vector<ParamGroup>& groups) {
  for (Tensor* p : all_parameters(groups)) p->zero_grad();
}

void park_gradients_between_steps(const std::vector<ParamGroup>& groups) {
  constexpr size_t kDefaultLimit = size_t{256} << 20;
  size_t bytes = 0;
  for (const Tensor* p : all_parameters(groups))
    if (p->requires_grad()) bytes += size_t(p->numel()) * sizeof(float);
  BufferPool& pool = BufferPool::process();
  pool.set_cache_limit(std::max(pool.cache_limit(), kDefaultLimit + bytes));
}

GradientAccumulator::GradientAccumulator(int micro_batches, Mode mode) : micro_batches_(micro_batches), mode_(mode) {
  FC_CHECK(micro_batches >= 1, "GradientAccumulator: ", micro_batches, " micro-batches; need at least 1");
}

bool GradientAccumulator::micro_batch_done() {
  if (++pending_ < micro_batches_) return false;
  pending_ = 0;
  return true;
}

}  // namespace fc
