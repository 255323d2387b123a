#include "train/training_data.h"

#include <filesystem>
#include <stdexcept>

#include "digest/digest.h"
#include "dsp/melspec_parameters.h"
#include "fma/genres.h"
#include "image/specresize_parameters.h"
#include "infer/preprocessing_check.h"
#include "shard/shard_error.h"
#include "train/clip_length.h"

namespace genre::train {

namespace {

// The dataset's window hop in seconds from the recorded specresize and melspec parameters.
double window_hop_seconds(const nlohmann::json& preprocessing) {
  const nlohmann::json mel = preprocessing.value(infer::kMelspecParams, nlohmann::json::object());
  const nlohmann::json spec = preprocessing.value(infer::kSpecresizeParams, nlohmann::json::object());
  const double window = spec.value(image::specresize_param::kWindowFrames, 0.0);
  const double hop = spec.value(image::specresize_param::kHopFrames, 0.0);
  const double rate = mel.value(dsp::melspec_param::kSampleRate, 0.0);
  const double hop_length = mel.value(dsp::melspec_param::kHopLength, 0.0);
  if (window <= 0 || rate <= 0 || hop_length <= 0) return 0;
  return (hop > 0 ? hop : window) * hop_length / rate;
}

}  // namespace

taxonomy::GenreTree genre_tree_of(const shard::ClassLists& classes) {
  std::vector<int> fma_ids, fine_to_macro;
  for (const shard::ClassEntry& c : classes.fine) {
    fma_ids.push_back(c.fma_genre_id);
    fine_to_macro.push_back(c.macro);
  }
  std::vector<std::pair<int, int>> fma_parent;
  const fma::GenreTable fma_genres = fma::GenreTable::builtin();
  for (const auto& [id, g] : fma_genres.all()) fma_parent.emplace_back(id, g.parent);
  return taxonomy::GenreTree(fine_to_macro, taxonomy::fine_parents_from_fma(fma_ids, fine_to_macro, fma_parent),
                             static_cast<int>(classes.macro.size()));
}

TrainingData open_training_data(const std::string& dir, const std::vector<std::string>& required_splits,
                                bool verify_checksums) {
  const std::string manifest_path = shard::Manifest::path_in(dir);
  if (!std::filesystem::is_regular_file(manifest_path))
    throw std::runtime_error(manifest_path + ": no dataset here (manifest.json missing; make one with fma-convert)");
  TrainingData data;
  data.dir = dir;
  try {
    data.reader = std::make_unique<shard::DatasetReader>(dir, shard::ReaderOptions{verify_checksums});
  } catch (const shard::ShardError& e) {
    throw std::runtime_error(e.what());
  }
  const shard::Manifest& m = data.reader->manifest();
  if (!m.has_classes) throw std::runtime_error(manifest_path + ": the dataset has no class lists (no taxonomy)");
  data.classes = m.classes;
  if (data.classes.fine.size() < 2)
    throw std::runtime_error(manifest_path + ": the dataset has " + std::to_string(data.classes.fine.size()) +
                             " genre; a classifier needs two or more");
  try {
    data.tree = genre_tree_of(data.classes);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(manifest_path + ": " + e.what());
  }
  if (m.sample_shape.size() != 3)
    throw std::runtime_error(manifest_path + ": samples must be [C, H, W] images (specresize output), not a tensor of " +
                             std::to_string(m.sample_shape.size()) + " dimensions");
  data.input_shape.assign(m.sample_shape.begin(), m.sample_shape.end());
  if (m.preprocessing.size() > 1)
    throw std::runtime_error(manifest_path + ": the samples were made with " + std::to_string(m.preprocessing.size()) +
                             " different preprocessing settings; one model needs one");
  data.preprocessing = m.preprocessing.empty() ? nlohmann::json::object() : m.preprocessing.front();
  record_trained_clip_length(data.preprocessing, *data.reader);  // whole clips: the time scale trained on
  data.window_hop_seconds = window_hop_seconds(data.preprocessing);
  for (const std::string& split : required_splits)
    if (data.reader->size(split) == 0)
      throw std::runtime_error(manifest_path + ": the dataset has no '" + split + "' split");
  try {
    data.table = std::make_unique<loader::SampleTable>(*data.reader);
  } catch (const shard::ShardError& e) {
    throw std::runtime_error(e.what());
  }
  data.manifest_sha256 = digest::file_hex(digest::Algorithm::Sha256, manifest_path);
  return data;
}

SampleSplits dataset_splits(const TrainingData& data) {
  SampleSplits s;
  auto list = [&](const std::string& name, SampleList& out) {
    for (const loader::SampleInfo& info : data.table->split(name)) out.push_back(&info);
  };
  list("train", s.train);
  list("val", s.val);
  list("test", s.test);
  return s;
}

}  // namespace genre::train
