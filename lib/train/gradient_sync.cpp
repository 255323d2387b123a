#include "train/gradient_sync.h"

#include <ATen/ATen.h>

#include <chrono>

namespace genre::train {

struct GradientSync::Impl {
  struct Slot {
    at::Tensor parameter;
    std::size_t bucket = 0;  // and offset: where its gradient sits in that bucket's flat tensor
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
  std::size_t bucket_bytes = 0;
  std::vector<Slot> slots;
  std::vector<Bucket> buckets;
  std::size_t next_launch = 0;
  bool rebuilt = false;                // buckets re-ordered after the first step
  std::vector<std::size_t> arrivals;  // slots in the order the first step's gradients came

  explicit Impl(ProcessGroup& g) : group(g) {}

  // Buckets of consecutive slots in `order`: the first up to 1 MiB (so that
  // communication starts early in backward), then up to bucket_bytes; a
  // tensor of another type or device starts a new bucket.
  void assign_buckets(const std::vector<std::size_t>& order) {
    buckets.clear();
    std::size_t cap = 1u << 20, bucket_bytes_used = 0;
    std::vector<std::pair<at::ScalarType, c10::Device>> kinds;
    std::vector<int64_t> sizes;
    for (std::size_t i : order) {
      const at::Tensor& p = slots[i].parameter;
      const std::size_t bytes = static_cast<std::size_t>(p.numel()) * p.element_size();
      const bool other_kind = !kinds.empty() && (kinds.back().first != p.scalar_type() || kinds.back().second != p.device());
      if (buckets.empty() || other_kind || (bucket_bytes_used > 0 && bucket_bytes_used + bytes > cap)) {
        if (!buckets.empty()) cap = bucket_bytes;
        buckets.emplace_back();
        kinds.emplace_back(p.scalar_type(), p.device());
        sizes.push_back(0);
        bucket_bytes_used = 0;
      }
      slots[i].bucket = buckets.size() - 1;
      slots[i].offset = sizes.back();
      sizes.back() += p.numel();
      bucket_bytes_used += bytes;
      buckets.back().slots++;
    }
    for (std::size_t b = 0; b < buckets.size(); ++b) {
      buckets[b].flat = at::zeros({sizes[b]}, at::TensorOptions(kinds[b].first).device(kinds[b].second));
      buckets[b].pending = buckets[b].slots;
    }
  }

  // DDP's bucket rebuild: after the first step, the buckets follow the order
  // the gradients actually came in (rank 0's, so that all ranks agree), those
  // that never came last, so a late or unused parameter no longer holds back
  // the buckets behind it.
  void rebuild_from_arrivals() {
    rebuilt = true;
    std::vector<int64_t> order(arrivals.begin(), arrivals.end());
    std::vector<bool> seen(slots.size(), false);
    for (std::size_t i : arrivals) seen[i] = true;
    for (std::size_t k = 0; k < buckets.size(); ++k)  // the rest in their present order
      for (std::size_t i = 0; i < slots.size(); ++i)
        if (!seen[i] && slots[i].bucket == k) order.push_back(static_cast<int64_t>(i)), seen[i] = true;
    std::vector<at::Tensor> shared{at::tensor(order, at::kLong)};
    group.broadcast(shared, 0);
    const at::Tensor agreed = shared[0];
    std::vector<std::size_t> final_order;
    for (int64_t k = 0; k < agreed.numel(); ++k) final_order.push_back(static_cast<std::size_t>(agreed[k].item<int64_t>()));
    assign_buckets(final_order);
  }

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
    if (!rebuilt) arrivals.push_back(index);
    --b.pending;
    launch_ready();
  }
};

GradientSync::GradientSync(ProcessGroup& group, std::vector<at::Tensor> parameters, std::size_t bucket_bytes)
    : impl_(std::make_unique<Impl>(group)) {
  Impl& m = *impl_;
  m.bucket_bytes = bucket_bytes;
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    m.slots.push_back({parameters[i]});
    order.push_back(parameters.size() - 1 - i);  // reverse definition order: roughly when backward produces them
  }
  m.assign_buckets(order);
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
  if (!m.rebuilt) m.rebuild_from_arrivals();
  return waited;
}

}  // namespace genre::train
