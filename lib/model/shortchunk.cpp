// shortchunk: a CNN made for log-mel spectrograms at their native resolution (n_mels x the
// frames of a few seconds, no resizing to a square), after the short-chunk CNN that the
// music-tagging literature found strongest on small data (Won et al. 2020, "Evaluation of CNN-based
// automatic music tagging models"): five blocks of 3x3 convolution (padded) -> batch norm -> ReLU
// -> 2x2 max pooling, channels doubling from base_channels (capped at 16x), then the last block's
// columns (channels x remaining bands) pooled over time by max and by mean, dropout, linear.
//
// The input is standardised per mel band inside the model: (x - band_mean) / band_std, buffers
// [C, H, 1] that genre-train sets from the training split. They live in the bundle, so
// genreclassify, genre-classify and Python's torch.jit.load apply exactly what training did.
#include <ATen/ATen.h>

#include <stdexcept>

#include "model/architectures.h"
#include "model/head_methods.h"
#include "model/layers.h"

namespace genre::model::detail {

namespace {

constexpr int kBlocks = 5;
constexpr int64_t kSmallestSide = int64_t(1) << kBlocks;  // each block halves both axes

int64_t block_channels(const ModelSpec& spec, int block) {
  return spec.base_channels << std::min(block, 4);
}

}  // namespace

int64_t add_shortchunk_trunk(ScriptBuilder& b, torch::jit::Module& net, const ModelSpec& spec) {
  if (spec.height < kSmallestSide || spec.width < kSmallestSide)
    throw std::invalid_argument("shortchunk needs an input of at least " + std::to_string(kSmallestSide) + "x" +
                                std::to_string(kSmallestSide) + " (mel bands x frames), got " +
                                std::to_string(spec.height) + "x" + std::to_string(spec.width));
  net.register_buffer("band_mean", at::zeros({spec.channels, spec.height, 1}));
  net.register_buffer("band_std", at::ones({spec.channels, spec.height, 1}));
  std::string blocks;
  int64_t in = spec.channels, bands = spec.height;
  for (int i = 0; i < kBlocks; ++i) {
    const int64_t out = block_channels(spec, i);
    const std::string conv = "conv" + std::to_string(i), bn = "bn" + std::to_string(i);
    net.register_module(conv, conv2d(b, {in, out, 3, 1, 1, false}));
    net.register_module(bn, batch_norm2d(b, out));
    blocks += "    x = torch.max_pool2d(torch.relu(self." + bn + ".forward(self." + conv +
              ".forward(x))), [2, 2], [2, 2], [0, 0], [1, 1], False)\n";
    in = out;
    bands /= 2;
  }
  define(net, prepare_input_method(spec.name, spec.channels, spec.height, spec.width, false));
  define(net, R"(
def features(self, x: Tensor) -> Tensor:
    x = (self.prepare_input(x) - self.band_mean) / self.band_std
{blocks}    x = torch.flatten(x, 1, 2)
    return torch.cat([torch.amax(x, [2]), torch.mean(x, [2])], 1)
)",
         {{"blocks", blocks}});
  return 2 * in * bands;  // max and mean of each column (channels x remaining bands)
}

BuiltModel build_shortchunk(const ModelSpec& spec) {
  ScriptBuilder b;
  torch::jit::Module net = b.module("ShortChunkCNN");
  const int64_t width = add_shortchunk_trunk(b, net, spec);
  net.register_module("fc", linear(b, width, spec.heads.at(0)));
  define_head_methods(net, {"fc"}, spec.head_dropout);
  return {net, head_prefixes_of(spec)};
}

}  // namespace genre::model::detail
