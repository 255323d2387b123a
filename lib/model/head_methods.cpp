#include "model/head_methods.h"

#include <stdexcept>

namespace genre::model::detail {

void define_head_methods(torch::jit::Module& m, const std::vector<std::string>& head_paths, double dropout_p,
                         const std::string& kind) {
  const std::string dropped = dropout("f", dropout_p);
  auto head = [&](size_t i, const std::string& input) { return child(head_paths[i]) + ".forward(" + input + ")"; };
  if (kind == "linear" || kind == "mlp") {
    // mlp: one shared hidden layer, its dropout the only one before the heads.
    const std::string input = kind == "mlp" ? "h" : dropped;
    const std::string hidden = kind == "mlp" ? "    h = " + dropout("torch.relu(self.shared.forward(f))", dropout_p) + "\n" : "";
    std::string all_heads;
    for (size_t i = 0; i < head_paths.size(); ++i) all_heads += (i ? ", " : "") + head(i, input);
    define(m, R"(
def forward(self, x: Tensor) -> Tensor:
    f = self.features(x)
{hidden}    return {last}

def forward_heads(self, x: Tensor) -> List[Tensor]:
    f = self.features(x)
{hidden}    return [{all_heads}]
)",
           {{"hidden", hidden}, {"last", head(head_paths.size() - 1, input)}, {"all_heads", all_heads}});
    return;
  }
  if (kind != "sequential") throw std::invalid_argument("unknown head kind '" + kind + "' (linear, mlp, sequential)");
  // Each level sees the previous level's probabilities (gradients flow through them: the levels
  // are trained jointly), so a child genre needs its parent's evidence.
  std::string body = "    y0 = " + head(0, dropped) + "\n", all_heads = "y0";
  for (size_t i = 1; i < head_paths.size(); ++i) {
    const std::string y = "y" + std::to_string(i), prev = "y" + std::to_string(i - 1);
    body += "    " + y + " = " + head(i, "torch.cat([" + dropped + ", torch.softmax(" + prev + ", 1)], 1)") + "\n";
    all_heads += ", " + y;
  }
  define(m, R"(
def forward_heads(self, x: Tensor) -> List[Tensor]:
    f = self.features(x)
{body}    return [{all_heads}]

def forward(self, x: Tensor) -> Tensor:
    return self.forward_heads(x)[-1]
)",
         {{"body", body}, {"all_heads", all_heads}});
}

}  // namespace genre::model::detail
