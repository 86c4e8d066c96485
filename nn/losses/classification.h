// The three classification losses of Faceptor's training: attributes (independent binary labels
// with unknowns), expression (one class per image) and face parsing (one class per pixel).
//
//   Tensor a = attribute_loss(attr_logits, attr_labels);     // (B, 40), (B, 40) in {0, 1, -1}
//   Tensor e = expression_loss(expr_logits, expr_labels);    // (B, 7), (B)
//   Tensor p = parsing_loss(parse_logits, label_map);        // (B, 19, 128, 128), (B, 512, 512)
//
// Port with a pointer (faceptor_project/core/model/loss/):
//   biattr_loss.py CEL_Sigmoid.forward, with the config's sample_weight=None, size_average=True:
//     loss = sum_{b,k} [t_bk != -1] * bce_with_logits(x_bk, t_bk) / B
//     (-1 marks an unknown label and is masked out; the sum is divided by the batch size, not by
//     the number of known labels.)
//   affect_loss.py MyCrossEntropyLoss.forward: nn.CrossEntropyLoss() -- mean over the batch, no
//     class weights, no label smoothing.
//   parsing_loss.py ParsingLoss.forward on the output of heads/task_specific_heads.py ParsingOutput:
//     the head's logits are resized bilinearly (align_corners=False) to the label map's size
//     (512 x 512) first, then
//     loss = F.cross_entropy(..., reduction='none').mean() over every pixel. PyTorch's default
//     ignore_index -100 still applies, but because the mean is taken over all pixels an ignored
//     pixel adds 0 to the sum and 1 to the count (unlike reduction='mean').
#pragma once

#include "core/tensor.h"

namespace fc {

// logits (B, K), labels (B, K) with values 0, 1 or -1 (unknown) -> ()
Tensor attribute_loss(const Tensor& logits, const Tensor& labels);

// logits (B, K), labels (B) integral in [0, K) -> ()
Tensor expression_loss(const Tensor& logits, const Tensor& labels);

// logits (B, K, h, w), labels (B, H, W) integral in [0, K) or -100 -> (). When (h, w) differs
// from (H, W) the logits are first resized bilinearly (align_corners=false) to (H, W).
Tensor parsing_loss(const Tensor& logits, const Tensor& labels);

}  // namespace fc
