// The per-epoch metrics of a run directory as CSV and JSON lines, rewritten as
// training goes with lib/base's atomic write (a reader, or a kill, never sees
// half a file).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace genre::train {

// `history`: one object per epoch (epoch, stage, train_loss, val_loss,
// val_top1, train_samples_per_s, lr, seconds) -> dir/metrics.csv and dir/metrics.jsonl.
// Throws FileError (a std::runtime_error) naming the file that cannot be written.
void write_metrics(const std::string& dir, const nlohmann::json& history);

}  // namespace genre::train
