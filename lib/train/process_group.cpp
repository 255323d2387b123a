#include "train/process_group.h"

#include <ATen/ATen.h>
#include <c10/util/Exception.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef USE_C10D_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace genre::train {

std::string first_line(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  // c10::Error prefixes the C++ location in brackets; keep the message after it.
  if (!line.empty() && line.front() == '[' && line.find("] ") != std::string::npos) line = line.substr(line.find("] ") + 2);
  return line;
}

struct ProcessGroup::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroup> group;
  c10::Device device{c10::kCPU};  // where the backend wants the tensors
};

namespace {

class WorkPending : public ProcessGroup::Pending {
 public:
  WorkPending(c10::intrusive_ptr<c10d::Work> work, const ProcessGroup& group, at::Tensor target, at::Tensor staged)
      : work_(std::move(work)), group_(group), target_(std::move(target)), staged_(std::move(staged)) {}
  void wait() override {
    try {
      work_->wait();
    } catch (const std::exception& e) {
      group_.fail(e.what());
    }
    if (staged_.defined()) target_.copy_(staged_);
  }

 private:
  c10::intrusive_ptr<c10d::Work> work_;
  const ProcessGroup& group_;
  at::Tensor target_, staged_;  // staged_: the copy on the backend's device, when it differs
};

#ifdef USE_C10D_GLOO
// As torch.distributed: GLOO_SOCKET_IFNAME names the interface; a loopback
// master means one machine (loopback too); else the address of the hostname.
std::shared_ptr<::gloo::transport::Device> gloo_device(const DistEnv& env) {
  if (const char* iface = std::getenv("GLOO_SOCKET_IFNAME"); iface && *iface)
    return c10d::ProcessGroupGloo::createDeviceForInterface(iface);
  if (env.master_addr == "localhost" || env.master_addr.rfind("127.", 0) == 0)
    return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  return c10d::ProcessGroupGloo::createDefaultDevice();
}
#endif

}  // namespace

ProcessGroup::ProcessGroup(const DistEnv& env, std::chrono::milliseconds timeout, bool cuda)
    : env_(env), timeout_(timeout), impl_(std::make_unique<Impl>()) {
  try {
    c10d::TCPStoreOptions options;
    options.port = static_cast<std::uint16_t>(env.master_port);
    options.isServer = env.rank == 0;
    options.numWorkers = env.world_size;
    options.waitWorkers = true;
    options.timeout = timeout;
    auto tcp = c10::make_intrusive<c10d::TCPStore>(env.master_addr, options);
    impl_->store = c10::make_intrusive<c10d::PrefixStore>("genre-train", tcp);
    if (cuda) {
#ifdef USE_C10D_NCCL
      // Without it NCCL ignores the timeout and a dead peer leaves the others
      // blocked in a collective; torch.distributed sets it the same way.
      setenv("NCCL_ASYNC_ERROR_HANDLING", "1", 0);
      auto nccl = c10d::ProcessGroupNCCL::Options::create();
      nccl->timeout = timeout;
      impl_->device = c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(env.local_rank));
      impl_->group = c10::make_intrusive<c10d::ProcessGroupNCCL>(impl_->store, env.rank, env.world_size, nccl);
#endif
    }
    if (!impl_->group) {
#ifdef USE_C10D_GLOO
      auto gloo = c10d::ProcessGroupGloo::Options::create(timeout);
      gloo->devices.push_back(gloo_device(env));
      impl_->group = c10::make_intrusive<c10d::ProcessGroupGloo>(impl_->store, env.rank, env.world_size, gloo);
#else
      throw std::runtime_error("this genre-train was built without c10d's Gloo backend (install libgloo-dev and rebuild)");
#endif
    }
  } catch (const std::runtime_error& e) {
    throw std::runtime_error("cannot join the process group at " +
                             env.master_addr + ":" + std::to_string(env.master_port) + ": " + first_line(e.what()));
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot join the process group at " +
                             env.master_addr + ":" + std::to_string(env.master_port) + ": " + first_line(e.what()));
  }
}

ProcessGroup::~ProcessGroup() = default;

std::string ProcessGroup::backend() const { return impl_->group->getBackendName(); }

void ProcessGroup::fail(const std::string& what) const {
  throw std::runtime_error("the process group of " + std::to_string(env_.world_size) +
                           " ranks failed (another rank died, or none answered within " +
                           std::to_string(timeout_.count() / 1000) + " s): " + first_line(what));
}

void ProcessGroup::broadcast(std::vector<at::Tensor>& tensors, int root) {
  for (at::Tensor& t : tensors) {
    at::Tensor staged = t.device() == impl_->device ? t : t.to(impl_->device);
    std::vector<at::Tensor> one{staged};
    c10d::BroadcastOptions options;
    options.rootRank = root;
    try {
      impl_->group->broadcast(one, options)->wait();
    } catch (const std::exception& e) {
      fail(e.what());
    }
    if (!staged.is_same(t)) t.copy_(staged);
  }
}

std::unique_ptr<ProcessGroup::Pending> ProcessGroup::allreduce_sum_async(at::Tensor& tensor) {
  at::Tensor staged = tensor.device() == impl_->device ? at::Tensor() : tensor.to(impl_->device);
  std::vector<at::Tensor> one{staged.defined() ? staged : tensor};
  try {
    return std::make_unique<WorkPending>(impl_->group->allreduce(one), *this, tensor, staged);
  } catch (const std::exception& e) {
    fail(e.what());
  }
}

void ProcessGroup::allreduce_sum(at::Tensor& tensor) { allreduce_sum_async(tensor)->wait(); }

std::vector<at::Tensor> ProcessGroup::allgather(const at::Tensor& tensor) {
  std::vector<std::vector<at::Tensor>> out(1);
  const at::Tensor in = tensor.to(impl_->device).contiguous();
  for (int r = 0; r < env_.world_size; ++r) out[0].push_back(at::empty_like(in));
  std::vector<at::Tensor> inputs{in};
  try {
    impl_->group->allgather(out, inputs)->wait();
  } catch (const std::exception& e) {
    fail(e.what());
  }
  for (at::Tensor& t : out[0]) t = t.to(tensor.device());
  return out[0];
}

std::optional<std::string> ProcessGroup::share_file(const std::string& path, int root) {
  std::string bytes;
  at::Tensor size = at::full({1}, int64_t(-1), at::kLong);
  if (env_.rank == root) {
    std::ifstream in(path, std::ios::binary);
    if (in) {
      bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      if (in.bad()) throw std::runtime_error(path + ": cannot read");
      size.fill_(static_cast<int64_t>(bytes.size()));
    }
  }
  std::vector<at::Tensor> header{size};
  broadcast(header, root);
  const int64_t n = size.item<int64_t>();
  if (n < 0) return std::nullopt;
  at::Tensor data = at::empty({n}, at::kByte);
  if (env_.rank == root && n > 0) std::memcpy(data.data_ptr(), bytes.data(), static_cast<size_t>(n));
  std::vector<at::Tensor> body{data};
  if (n > 0) broadcast(body, root);
  return std::string(static_cast<const char*>(data.data_ptr()), static_cast<size_t>(n));
}

bool ProcessGroup::all_agree(bool ok) {
  at::Tensor flag = at::full({1}, ok ? 0.0 : 1.0, at::kDouble);
  allreduce_sum(flag);
  return flag.item<double>() == 0.0;
}

void ProcessGroup::barrier() {
  try {
    impl_->group->barrier()->wait();
  } catch (const std::exception& e) {
    fail(e.what());
  }
}

}  // namespace genre::train
