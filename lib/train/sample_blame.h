// When the training loss turns NaN or Inf, the data may be the cause (a sample made from
// broken audio holds NaN or Inf pixels), not the learning rate: this finds the samples of
// the batch whose images are not finite and names them as dataset-info and the shards do.
#pragma once

#include <string>

#include "loader/batch_loader.h"
#include "shard/dataset_reader.h"
#include "train/training_data.h"

namespace genre::train {

// "" when every image of `batch` is finite; else one phrase naming the (first three)
// samples with non-finite pixels: "sample KEY (split train, shard NAME)", and, when the
// batch was mixed up, that mixup blends a sample's pixels into its partner's.
// `samples` is the loader's sample list (Batch::positions index it).
std::string non_finite_samples(const loader::Batch& batch, const SampleList& samples,
                               const shard::DatasetReader& reader);

}  // namespace genre::train
