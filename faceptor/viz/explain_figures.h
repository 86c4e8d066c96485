// The pictures of `faceptor explain`, drawn from an Explanation (faceptor/explain.h):
//  - the Layer-Attention chart: tasks x encoder layers, each cell the share of one decoder
//    layer's cross-attention mass on that encoder layer's tokens;
//  - one task's chart: decoder layers x encoder layers;
//  - one task's per-query attention maps, blended over the face crop the model saw;
//  - one pass's encoder layers as PCA colour pictures (first three components as RGB).
//
//   Explanation e = explain(model, photo, opts);
//   save_png("layer_attention.png", layer_attention_chart(e, e.decoder_layers - 1));
//   save_png("attention_align_300w.png", query_attention_grid(e, e.tasks[0], e.decoder_layers - 1));
//   save_png("encoder_pca_512.png", encoder_pca_grid(e.passes.back()));
#pragma once

#include "faceptor/explain.h"
#include "faceptor/image.h"

namespace fc::viz {

// Columns: every encoder layer read by any task's pass; a task whose memory lacks a layer shows 0.
Image layer_attention_chart(const faceptor::Explanation& explanation, int decoder_layer);
Image task_layer_chart(const faceptor::TaskExplanation& task);
// One tile per query (tile x tile pixels), captioned with the query's label; the map of each
// tile is scaled to its own [min, max] (the colours compare positions, not queries).
Image query_attention_grid(const faceptor::Explanation& explanation, const faceptor::TaskExplanation& task,
                           int decoder_layer, int tile = 128);
// The picture the model saw, then every encoder layer's PCA picture (token cells kept as blocks).
Image encoder_pca_grid(const faceptor::ExplainPass& pass, int tile = 128);

}  // namespace fc::viz
