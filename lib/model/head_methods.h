// The methods every model shares on top of its features(x): forward (last head) and
// forward_heads (every head), each head after a dropout of its own; and multihead's two other
// head designs.
#pragma once

#include <string>
#include <vector>

#include "model/script_builder.h"

namespace genre::model::detail {

// Defines forward and forward_heads on m, which already has `features(self, x: Tensor) ->
// Tensor` and linear heads at `head_paths` (dotted submodule paths, in heads order).
//   linear:     head i sees dropout(features)
//   mlp:        every head sees h = dropout(relu(shared(features))), m's Linear `shared`
//   sequential: head 0 sees dropout(features), head i > 0 sees [dropout(features),
//               softmax(head i-1)] concatenated (its Linear is wider by head i-1's classes)
void define_head_methods(torch::jit::Module& m, const std::vector<std::string>& head_paths, double dropout_p,
                         const std::string& kind = "linear");

}  // namespace genre::model::detail
