// Reverse-mode autograd: the graph node type, the gradient-mode switch, and the engine.
//
// Every differentiable op defines a Node subclass right below its forward, holding exactly what
// its backward needs as named fields (saved tensors are detached, so a node never keeps its own
// output's graph alive). The op connects it like this:
//
//   Tensor out = mul_kernel(a, b);
//   if (needs_grad({a, b})) {
//     auto node = std::make_shared<MulBackward>();
//     node->a = a.detach(); node->b = b.detach();
//     connect(out, node, {a, b});
//   }
//
// backward() runs nodes in reverse topological order; gradients reaching a node from several
// consumers are summed, and leaves accumulate with += into grad() (zeroing is explicit).
#pragma once

#include <functional>
#include <initializer_list>
#include <memory>
#include <vector>

#include "core/tensor.h"

namespace fc {

class Node {
 public:
  virtual ~Node() = default;
  virtual const char* name() const = 0;
  // grad: dLoss/dOutput, shaped like the output. Returns dLoss/dInput for each input passed to
  // connect(), in order; an undefined Tensor where that input needs none.
  virtual std::vector<Tensor> backward(const Tensor& grad) = 0;

  struct Edge {
    std::shared_ptr<Node> node;  // null when the input needs no gradient
    Shape shape;                 // the input's shape, checked against what backward returns
  };
  std::vector<Edge> next;

  // The leaf whose grad() this node accumulates into (AccumulateGrad), else null.
  virtual const TensorImpl* accumulated_leaf() const { return nullptr; }
};

// Gradient recording is on by default; NoGradGuard switches it off for its scope on this thread
// (thread-local like PyTorch's, so worker threads of a data loader are unaffected).
bool grad_enabled();
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

// True when recording is on and any defined input requires a gradient.
bool needs_grad(std::initializer_list<Tensor> inputs);
bool needs_grad(const std::vector<Tensor>& inputs);
// Makes `node` the grad_fn of `out` with one edge per input (undefined inputs get no edge).
void connect(Tensor& out, std::shared_ptr<Node> node, std::initializer_list<Tensor> inputs);
void connect(Tensor& out, std::shared_ptr<Node> node, const std::vector<Tensor>& inputs);

// Called once per backward pass for each leaf, right after its grad() received the last
// contribution of that pass: data-parallel training starts reducing a gradient while the rest of
// the backward is still running (dist/gradient_buckets.h).
using LeafGradReady = std::function<void(const TensorImpl* leaf)>;

// The engine behind Tensor::backward; `on_leaf_ready` (optional) as above.
void run_backward(const Tensor& root, const Tensor& grad_output, const LeafGradReady& on_leaf_ready = nullptr);

// Sums `grad` over broadcast dims so it has `shape` (the backward of broadcasting/expand).
Tensor sum_to_shape(const Tensor& grad, const Shape& shape);
// dst += src elementwise (same shape; dst contiguous and writable). Used for accumulation.
void add_into(Tensor& dst, const Tensor& src);
// Strided copy between same-shaped tensors (dst writable).
void copy_into(Tensor& dst, const Tensor& src);

}  // namespace fc
