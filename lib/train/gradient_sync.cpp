#include "train/gradient_sync.h"

#include <ATen/ATen.h>

#include <chrono>

namespace genre::train {

struct GradientSync::Impl {
  struct Slot {
    at::Tensor parameter;
    std::size_t bucket = 0;
    int64_t offset = 0;
    bool filled = false;
    unsigned hook = 0;
  };
  struct Bucket {
    at::Tensor flat;
    std::size_t pending = 0;  // slots not filled yet this step
    std::size_t slots = 0;
    std::unique_ptr<ProcessGroup::Pending> work;
  };

  ProcessGroup& group;
  std::vector<Slot> slots;
  std::vector<Bucket> buckets;
  std::size_t next_launch = 0;

  explicit Impl(ProcessGroup& g) : group(g) {}

  void launch_ready() {
    while (next_launch < buckets.size() && buckets[next_launch].pending == 0) {
      Bucket& b = buckets[next_launch++];
      b.work = group.allreduce_sum_async(b.flat);
    }
  }

  void on_gradient(std::size_t index, const at::Tensor& grad) {
    Slot& s = slots[index];
    Bucket& b = buckets[s.bucket];
    if (s.filled) {  // a second gradient for the same leaf in one backward: add it
      b.flat.narrow(0, s.offset, grad.numel()).add_(grad.reshape(-1));
      return;
    }
    b.flat.narrow(0, s.offset, grad.numel()).copy_(grad.reshape(-1));
    s.filled = true;
    --b.pending;
    launch_ready();
  }
};

GradientSync::GradientSync(ProcessGroup& group, std::vector<at::Tensor> parameters, std::size_t bucket_bytes)
    : impl_(std::make_unique<Impl>(group)) {
  Impl& m = *impl_;
  std::size_t cap = 1u << 20;
  int64_t bucket_numel = 0;
  std::vector<std::pair<at::ScalarType, c10::Device>> bucket_kind;
  for (auto it = parameters.rbegin(); it != parameters.rend(); ++it) {
    const at::Tensor& p = *it;
    const std::size_t bytes = static_cast<std::size_t>(p.numel()) * p.element_size();
    const bool other_kind = !m.buckets.empty() &&
                            (bucket_kind.back().first != p.scalar_type() || bucket_kind.back().second != p.device());
    if (m.buckets.empty() || other_kind || (bucket_numel > 0 && static_cast<std::size_t>(bucket_numel) * p.element_size() + bytes > cap)) {
      if (!m.buckets.empty()) cap = bucket_bytes;
      m.buckets.emplace_back();
      bucket_kind.emplace_back(p.scalar_type(), p.device());
      bucket_numel = 0;
    }
    m.slots.push_back({p, m.buckets.size() - 1, bucket_numel});
    bucket_numel += p.numel();
    m.buckets.back().slots++;
    m.buckets.back().flat = at::Tensor();  // sized below
    m.buckets.back().pending = static_cast<std::size_t>(bucket_numel);  // numel for now
  }
  for (std::size_t b = 0; b < m.buckets.size(); ++b) {
    m.buckets[b].flat = at::zeros({static_cast<int64_t>(m.buckets[b].pending)},
                                  at::TensorOptions(bucket_kind[b].first).device(bucket_kind[b].second));
    m.buckets[b].pending = m.buckets[b].slots;
  }
  for (std::size_t i = 0; i < m.slots.size(); ++i) {
    Impl* self = impl_.get();
    m.slots[i].hook = m.slots[i].parameter.register_hook([self, i](at::Tensor grad) { self->on_gradient(i, grad); });
  }
}

GradientSync::~GradientSync() {
  for (Impl::Slot& s : impl_->slots) s.parameter.remove_hook(s.hook);
}

std::size_t GradientSync::buckets() const { return impl_->buckets.size(); }
std::size_t GradientSync::launched() const { return impl_->next_launch; }

void GradientSync::begin() {
  for (Impl::Slot& s : impl_->slots) s.filled = false;
  for (Impl::Bucket& b : impl_->buckets) {
    b.pending = b.slots;
    b.work.reset();
  }
  impl_->next_launch = 0;
}

double GradientSync::finish() {
  Impl& m = *impl_;
  for (Impl::Slot& s : m.slots)
    if (!s.filled) {
      m.buckets[s.bucket].flat.narrow(0, s.offset, s.parameter.numel()).zero_();
      s.filled = true;
      --m.buckets[s.bucket].pending;
    }
  m.launch_ready();
  const auto start = std::chrono::steady_clock::now();
  for (Impl::Bucket& b : m.buckets) b.work->wait();
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double world = static_cast<double>(m.group.size());
  at::NoGradGuard no_grad;
  for (Impl::Slot& s : m.slots) {
    const at::Tensor mean = m.buckets[s.bucket].flat.narrow(0, s.offset, s.parameter.numel()).view(s.parameter.sizes()) / world;
    at::Tensor& grad = s.parameter.mutable_grad();
    if (grad.defined())
      grad.copy_(mean);
    else
      grad = mean.clone(at::MemoryFormat::Preserve);
  }
  return waited;
}

}  // namespace genre::train
