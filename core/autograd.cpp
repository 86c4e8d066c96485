#include "core/autograd.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "core/error.h"
#include "core/strided.h"

namespace fc {
namespace {

thread_local bool t_grad_enabled = true;

// True when `t` is the only handle on its whole (owned, writable) storage and records no graph: the
// engine holding it as the gradient in flight may then hand the buffer on or write into it.
bool sole_owner(const Tensor& t) {
  const std::shared_ptr<Storage>& s = t.storage();
  return t.impl_ptr().use_count() == 1 && s.use_count() == 1 && !s->read_only() && t.offset() == 0 &&
         t.is_contiguous() && s->size_bytes() == size_t(t.numel()) * sizeof(float) && !t.grad_fn();
}

// a + b into a fresh buffer: one pass, where clone-then-add would write the result twice.
Tensor sum_of(const Tensor& a, const Tensor& b) {
  if (!a.is_contiguous() || !b.is_contiguous()) {
    Tensor out = a.clone();
    add_into(out, b);
    return out;
  }
  Tensor out = Tensor::empty(a.shape());
  float* o = out.mutable_data();
  const float* x = a.data();
  const float* y = b.data();
  const int64_t n = out.numel();
#pragma omp parallel for schedule(static) if (n >= (int64_t(1) << 18))
  for (int64_t i = 0; i < n; ++i) o[i] = x[i] + y[i];
  return out;
}

// The sink of a leaf's gradient: adds what reaches it into the leaf's grad().
class AccumulateGrad : public Node {
 public:
  explicit AccumulateGrad(std::shared_ptr<TensorImpl> leaf) : leaf_(std::move(leaf)) {}
  const char* name() const override { return "AccumulateGrad"; }
  std::vector<Tensor> backward(const Tensor& grad) override {
    if (!leaf_->grad.defined()) {
      // The incoming buffer becomes grad() when nothing else can see it (as PyTorch's
      // AccumulateGrad steals it); otherwise a private copy, since it may be shared with other
      // gradients in flight (add passes its grad to both inputs).
      leaf_->grad = sole_owner(grad) ? grad.detach() : grad.detach().clone();
    } else {
      add_into(leaf_->grad, grad);
    }
    return {};
  }
  const TensorImpl* accumulated_leaf() const override { return leaf_.get(); }

 private:
  std::shared_ptr<TensorImpl> leaf_;
};

std::shared_ptr<Node> gradient_edge(const Tensor& t) {
  TensorImpl* impl = t.impl();
  if (impl->grad_fn) return impl->grad_fn;
  if (!impl->requires_grad) return nullptr;
  std::shared_ptr<Node> acc = impl->grad_accumulator.lock();
  if (!acc) {
    acc = std::make_shared<AccumulateGrad>(t.impl_ptr());
    impl->grad_accumulator = acc;
  }
  return acc;
}

template <class Inputs>
bool any_requires_grad(const Inputs& inputs) {
  if (!t_grad_enabled) return false;
  for (const Tensor& t : inputs)
    if (t.defined() && (t.requires_grad() || t.grad_fn())) return true;
  return false;
}

template <class Inputs>
void connect_edges(Tensor& out, std::shared_ptr<Node> node, const Inputs& inputs) {
  node->next.clear();
  for (const Tensor& t : inputs) {
    Node::Edge edge;
    if (t.defined()) {
      edge.node = gradient_edge(t);
      edge.shape = t.shape();
    }
    node->next.push_back(std::move(edge));
  }
  out.impl()->grad_fn = std::move(node);
  out.impl()->requires_grad = true;
}

}  // namespace

bool grad_enabled() { return t_grad_enabled; }
NoGradGuard::NoGradGuard() : previous_(t_grad_enabled) { t_grad_enabled = false; }
NoGradGuard::~NoGradGuard() { t_grad_enabled = previous_; }

bool needs_grad(std::initializer_list<Tensor> inputs) { return any_requires_grad(inputs); }
bool needs_grad(const std::vector<Tensor>& inputs) { return any_requires_grad(inputs); }

void connect(Tensor& out, std::shared_ptr<Node> node, std::initializer_list<Tensor> inputs) {
  connect_edges(out, std::move(node), inputs);
}
void connect(Tensor& out, std::shared_ptr<Node> node, const std::vector<Tensor>& inputs) {
  connect_edges(out, std::move(node), inputs);
}

void run_backward(const Tensor& root, const Tensor& grad_output, const LeafGradReady& on_leaf_ready) {
  FC_CHECK(root.defined() && grad_output.defined(), "backward: undefined tensor");
  FC_CHECK(grad_output.shape() == root.shape(), "backward: gradient of shape ", grad_output.shape(),
           " for a tensor of shape ", root.shape());
  FC_CHECK(root.requires_grad(), "backward: ", root.describe(),
           " does not require grad (no input of the computation requires grad)");
  NoGradGuard no_grad;  // backward formulas build no graph of their own
  std::shared_ptr<Node> root_node = gradient_edge(root);

  // Count, for every reachable node, how many edges point at it; a node runs once all of its
  // consumers have delivered their gradient (Kahn's algorithm = reverse topological order).
  std::unordered_map<Node*, int> pending;
  std::vector<Node*> stack{root_node.get()};
  pending[root_node.get()] = 0;
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    for (auto& e : n->next) {
      if (!e.node) continue;
      auto [it, fresh] = pending.try_emplace(e.node.get(), 0);
      ++it->second;
      if (fresh) stack.push_back(e.node.get());
    }
  }

  // Gradient waiting at each node; `owned` marks buffers this engine allocated, which may be
  // summed into in place. A buffer a node returned may be shared (add passes its grad through to
  // both inputs), so the first fan-in clones it.
  struct Pending {
    Tensor grad;
    bool owned = false;
  };
  std::unordered_map<Node*, Pending> grads;
  grads[root_node.get()] = {grad_output.detach(), false};
  std::vector<Node*> ready{root_node.get()};
  while (!ready.empty()) {
    Node* n = ready.back();
    ready.pop_back();
    Tensor grad;
    if (auto it = grads.find(n); it != grads.end()) {
      grad = std::move(it->second.grad);
      grads.erase(it);
    }
    std::vector<Tensor> input_grads;
    if (grad.defined()) {  // a node whose consumers all returned nothing has nothing to pass on
      input_grads = n->backward(grad);
      FC_CHECK(input_grads.size() == n->next.size() || n->next.empty(), "backward of ", n->name(), " returned ",
               input_grads.size(), " gradients for ", n->next.size(), " inputs");
      // Kahn's order runs each node once, after every contribution was summed: the leaf is final.
      if (on_leaf_ready)
        if (const TensorImpl* leaf = n->accumulated_leaf()) on_leaf_ready(leaf);
    }
    for (size_t i = 0; i < n->next.size(); ++i) {
      const Node::Edge& e = n->next[i];
      if (!e.node) continue;
      if (i < input_grads.size() && input_grads[i].defined()) {
        Tensor& g = input_grads[i];
        FC_CHECK(g.shape() == e.shape, "backward of ", n->name(), " returned a gradient of shape ", g.shape(),
                 " for input ", i, " of shape ", e.shape);
        auto [it, fresh] = grads.try_emplace(e.node.get(), Pending{g, false});
        if (!fresh) {
          // Float addition commutes exactly, so the sum is the same whichever buffer receives it.
          Pending& p = it->second;
          if (!p.owned && sole_owner(p.grad)) p.owned = true;
          if (p.owned) {
            add_into(p.grad, g);
          } else {
            p.grad = sum_of(p.grad, g);
            p.owned = true;
          }
        }
      }
      if (--pending[e.node.get()] == 0) ready.push_back(e.node.get());
    }
  }
}

Tensor sum_to_shape(const Tensor& grad, const Shape& shape) {
  if (grad.shape() == shape) return grad;
  const Shape& gs = grad.shape();
  FC_CHECK(gs.ndim() >= shape.ndim(), "sum_to_shape: cannot reduce ", gs, " to ", shape);
  // Strides of the result, aligned to grad's dims; 0 where the dim is summed away.
  Shape out_strides_aligned;
  Shape out_strides = contiguous_strides(shape);
  int lead = gs.ndim() - shape.ndim();
  for (int i = 0; i < gs.ndim(); ++i) {
    int j = i - lead;
    if (j < 0) {
      out_strides_aligned.push_back(0);
    } else {
      FC_CHECK(shape[j] == gs[i] || shape[j] == 1, "sum_to_shape: cannot reduce ", gs, " to ", shape);
      out_strides_aligned.push_back(shape[j] == gs[i] ? out_strides[j] : 0);
    }
  }
  Tensor out = Tensor::zeros(shape);
  float* o = out.mutable_data();
  const float* g = grad.data();
  for_each_offset2(gs, out_strides_aligned, grad.strides(), [&](int64_t oi, int64_t gi) { o[oi] += g[gi]; });
  return out;
}

void add_into(Tensor& dst, const Tensor& src) {
  FC_CHECK(dst.shape() == src.shape(), "add_into: ", dst.shape(), " += ", src.shape());
  FC_CHECK(dst.is_contiguous(), "add_into: destination must be contiguous");
  float* d = dst.mutable_data();
  const float* s = src.data();
  if (src.is_contiguous()) {
    const int64_t n = dst.numel();
#pragma omp parallel for schedule(static) if (n >= (int64_t(1) << 18))
    for (int64_t i = 0; i < n; ++i) d[i] += s[i];
  } else {
    for_each_offset2(dst.shape(), dst.strides(), src.strides(), [&](int64_t di, int64_t si) { d[di] += s[si]; });
  }
}

void copy_into(Tensor& dst, const Tensor& src) {
  FC_CHECK(dst.shape() == src.shape(), "copy: destination ", dst.shape(), " and source ", src.shape(), " differ");
  float* d = dst.mutable_data();
  const float* s = src.data();
  if (dst.is_contiguous() && src.is_contiguous()) {
    std::memmove(d, s, static_cast<size_t>(dst.numel()) * sizeof(float));
    return;
  }
  for_each_offset2(dst.shape(), dst.strides(), src.strides(), [&](int64_t di, int64_t si) { d[di] = s[si]; });
}

}  // namespace fc
