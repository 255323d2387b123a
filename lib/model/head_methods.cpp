#include "model/head_methods.h"

namespace genre::model::detail {

void define_head_methods(torch::jit::Module& m, const std::vector<std::string>& head_paths, double dropout_p) {
  std::string all_heads;
  for (size_t i = 0; i < head_paths.size(); ++i)
    all_heads += (i ? ", " : "") + child(head_paths[i]) + ".forward(" + dropout("f", dropout_p) + ")";
  define(m, R"(
def forward(self, x: Tensor) -> Tensor:
    f = self.features(x)
    return {last_head}.forward({dropped})

def forward_heads(self, x: Tensor) -> List[Tensor]:
    f = self.features(x)
    return [{all_heads}]
)",
         {{"last_head", child(head_paths.back())}, {"dropped", dropout("f", dropout_p)}, {"all_heads", all_heads}});
}

}  // namespace genre::model::detail
