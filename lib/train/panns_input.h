// PANNs' input, as its AudioSet models were trained (pytorch/models.py, main.py): 32 kHz audio,
// 1024-point STFT (periodic Hann, centred, reflect padding), hop 320, power spectrum, 64 Slaney
// mel bands from 50 to 14000 Hz, 10*log10 re 1 with amin 1e-10 and no top_db. melspec and
// specresize make it at native resolution (pipelines/training.md, "Audio-pretrained backbones");
// this says how a dataset's recorded preprocessing differs from it.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace genre::train {

// One "element name is X, PANNs' Y" per difference, e.g. "melspec sample-rate is 22050, PANNs'
// 32000"; empty when a dataset's preprocessing (TrainingData::preprocessing) is PANNs' input.
std::vector<std::string> panns_input_differences(const nlohmann::json& preprocessing);

}  // namespace genre::train
