#include "model/weight_init.h"

#include <ATen/ATen.h>

#include <cmath>

namespace genre::model::detail {

namespace {

struct Fans {
  double in, out;
};

// As torch.nn.init._calculate_fan_in_and_fan_out: [out, in, *kernel].
Fans fans_of(const at::Tensor& w) {
  double receptive = 1;
  for (int64_t d = 2; d < w.dim(); ++d) receptive *= static_cast<double>(w.size(d));
  return {static_cast<double>(w.size(1)) * receptive, static_cast<double>(w.size(0)) * receptive};
}

}  // namespace

void torch_default_init(const at::Tensor& weight, const at::Tensor& bias) {
  at::NoGradGuard no_grad;
  const double bound = 1.0 / std::sqrt(fans_of(weight).in);
  weight.uniform_(-bound, bound);
  if (bias.defined()) bias.uniform_(-bound, bound);
}

void kaiming_normal_fan_out(const at::Tensor& weight) {
  at::NoGradGuard no_grad;
  weight.normal_(0, std::sqrt(2.0 / fans_of(weight).out));
}

void xavier_uniform(const at::Tensor& weight) {
  at::NoGradGuard no_grad;
  const Fans f = fans_of(weight);
  const double bound = std::sqrt(6.0 / (f.in + f.out));
  weight.uniform_(-bound, bound);
}

void trunc_normal(const at::Tensor& weight, double std) {
  at::NoGradGuard no_grad;
  const double a = -2, b = 2;
  const auto cdf = [](double x) { return (1 + std::erf(x / std::sqrt(2.0))) / 2; };
  const double lo = cdf(a / std), hi = cdf(b / std);
  weight.uniform_(2 * lo - 1, 2 * hi - 1);
  weight.erfinv_();
  weight.mul_(std * std::sqrt(2.0));
  weight.clamp_(a, b);
}

void fill_normal(const at::Tensor& t, double std) {
  at::NoGradGuard no_grad;
  t.normal_(0, std);
}

void fill_constant(const at::Tensor& t, double value) {
  at::NoGradGuard no_grad;
  t.fill_(value);
}

}  // namespace genre::model::detail
