// PyTorch's weight initialisers (torch.nn.init), in place and without autograd, drawing from
// the global generator.
#pragma once

#include <ATen/core/Tensor.h>

namespace genre::model::detail {

// nn.Linear / nn.Conv2d's own default: weight and bias uniform in +-1/sqrt(fan_in)
// (kaiming_uniform with a = sqrt(5)). `bias` may be undefined.
void torch_default_init(const at::Tensor& weight, const at::Tensor& bias);
// kaiming_normal_(mode="fan_out", nonlinearity="relu"): torchvision's ResNet convolutions.
void kaiming_normal_fan_out(const at::Tensor& weight);
// xavier_uniform_: bound sqrt(6 / (fan_in + fan_out)).
void xavier_uniform(const at::Tensor& weight);
// trunc_normal_(mean 0, std, a = -2, b = 2): absolute bounds, as torch's.
void trunc_normal(const at::Tensor& weight, double std);
void fill_normal(const at::Tensor& t, double std);
void fill_constant(const at::Tensor& t, double value);

}  // namespace genre::model::detail
