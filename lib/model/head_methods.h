// The methods every model shares on top of its features(x): forward (last head) and
// forward_heads (every head), each head after a dropout of its own.
#pragma once

#include <string>
#include <vector>

#include "model/script_builder.h"

namespace genre::model::detail {

// Defines forward and forward_heads on m, which already has `features(self, x: Tensor) ->
// Tensor` and linear heads at `head_paths` (dotted submodule paths, in heads order).
void define_head_methods(torch::jit::Module& m, const std::vector<std::string>& head_paths, double dropout_p);

}  // namespace genre::model::detail
