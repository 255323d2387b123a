// Files of a run directory that are rewritten as training goes: text written
// beside and renamed (a reader, or a kill, never leaves half a file), and the
// per-epoch metrics as CSV and JSON lines.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace genre::train {

// Throws std::runtime_error naming the path when it cannot be written.
void write_text_atomically(const std::string& path, const std::string& text);

// `history`: one object per epoch (epoch, stage, train_loss, val_loss,
// val_top1, train_samples_per_s, lr, seconds) -> dir/metrics.csv and dir/metrics.jsonl.
void write_metrics(const std::string& dir, const nlohmann::json& history);

}  // namespace genre::train
