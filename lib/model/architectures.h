// One builder per architecture, behind build_model(). Each checks what only it knows (the
// smallest input it takes) and throws std::invalid_argument; the spec's common fields are
// checked by build_model() first.
#pragma once

#include <string>
#include <vector>

#include "model/model_factory.h"
#include "model/script_builder.h"

namespace genre::model::detail {

BuiltModel build_cnn(const ModelSpec& spec);
BuiltModel build_resnet(const ModelSpec& spec);     // spec.name: resnet18/34/50/101
BuiltModel build_multihead(const ModelSpec& spec);  // spec.trunk: resnet18/34/50/101 or shortchunk
BuiltModel build_vit(const ModelSpec& spec);        // spec.name: vit_b16, vit_ti16
BuiltModel build_gru(const ModelSpec& spec);
BuiltModel build_shortchunk(const ModelSpec& spec);
BuiltModel build_panns_cnn14(const ModelSpec& spec);
BuiltModel build_panns_mobilenetv2(const ModelSpec& spec);

bool is_resnet(const std::string& name);

// The trunks: each registers its modules (and buffers) on `net` and defines prepare_input and
// features(x) -> [N, width]; returns the width. Shared by the single-head models and multihead.
int64_t add_resnet_trunk(ScriptBuilder& b, torch::jit::Module& net, const ModelSpec& spec,
                         const std::string& depth_name);
int64_t add_shortchunk_trunk(ScriptBuilder& b, torch::jit::Module& net, const ModelSpec& spec);
bool is_vit(const std::string& name);
bool is_panns(const std::string& name);  // panns_cnn14, panns_mobilenetv2
// BuiltModel::head_prefixes of a model, also what load_init treats as its head (multihead with
// --heads mlp: the shared MLP too).
std::vector<std::string> head_prefixes_of(const ModelSpec& spec);

}  // namespace genre::model::detail
