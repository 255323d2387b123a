#include "loader/batch_loader.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <map>
#include <mutex>
#include <numeric>
#include <stdexcept>
#include <string>
#include <thread>

#include "loader/random_streams.h"

namespace genre::loader {

namespace {

void validate(const LoaderOptions& o) {
  if (o.batch_size < 1) throw std::invalid_argument("LoaderOptions: batch_size must be >= 1");
  if (o.workers < 0) throw std::invalid_argument("LoaderOptions: workers must be >= 0");
  if (o.prefetch_batches < 1) throw std::invalid_argument("LoaderOptions: prefetch_batches must be >= 1");
  if (o.fine_classes < 0) throw std::invalid_argument("LoaderOptions: fine_classes must be >= 0");
  if (o.windows_per_track < 0) throw std::invalid_argument("LoaderOptions: windows_per_track must be >= 0");
  if (o.shard_count < 1 || o.shard_rank < 0 || o.shard_rank >= o.shard_count)
    throw std::invalid_argument("LoaderOptions: shard_rank must be in [0, shard_count)");
  o.augment.validate();
}

// [.., C, H, W]: the last two dimensions are the image, everything before them channels.
ImageShape image_shape(const std::vector<std::uint64_t>& shape, std::uint64_t element_count) {
  if (shape.size() < 2) return ImageShape{static_cast<std::size_t>(element_count), 1, 1};
  ImageShape s;
  s.height = static_cast<std::size_t>(shape[shape.size() - 2]);
  s.width = static_cast<std::size_t>(shape[shape.size() - 1]);
  s.channels = 1;
  for (std::size_t i = 0; i + 2 < shape.size(); ++i) s.channels *= static_cast<std::size_t>(shape[i]);
  return s;
}

}  // namespace

struct BatchLoader::Impl {
  struct Slot {
    bool ready = false;
    Batch batch;
    std::exception_ptr error;
  };

  Impl(const shard::DatasetReader& r, std::vector<const SampleInfo*> s, LoaderOptions o)
      : reader(r), samples(std::move(s)), options(std::move(o)) {}

  const shard::DatasetReader& reader;
  const std::vector<const SampleInfo*> samples;
  const LoaderOptions options;
  ImageShape shape;
  std::size_t image_size = 0;
  std::int64_t epoch_samples = 0;
  std::int64_t epoch_batches = 0;
  std::vector<std::vector<std::int64_t>> tracks;  // windows_per_track > 0: each track's positions

  // Per epoch; written only while no worker runs.
  std::int64_t epoch = 0;
  std::uint64_t epoch_seed = 0;
  std::vector<std::int64_t> order;
  std::vector<Slot> ring;  // batch b waits in ring[b % prefetch_batches]
  std::vector<std::unique_ptr<Augmenter>> augmenters;  // one per worker
  std::unique_ptr<Augmenter> caller_augmenter;  // workers == 0
  std::vector<float> caller_scratch;

  std::mutex mutex;
  std::condition_variable work_cv;   // workers: room in the window, or stop
  std::condition_variable ready_cv;  // consumer: its batch is ready
  std::int64_t next_claim = 0;       // guarded by mutex, like everything below
  std::int64_t next_yield = 0;
  bool stopping = false;             // destructor / reset
  bool failed = false;               // a batch failed: claim no more
  std::exception_ptr sticky_error;   // delivered to the consumer, rethrown ever after
  std::vector<Batch> pool;           // recycled batches
  std::atomic<bool> abort{false};    // lets a worker drop a half-built batch
  std::vector<std::thread> threads;

  void start(std::int64_t new_epoch) {
    epoch = new_epoch;
    epoch_seed = mix_seed(options.seed, static_cast<std::uint64_t>(epoch));
    if (tracks.empty()) {
      order.resize(samples.size());
      std::iota(order.begin(), order.end(), std::int64_t(0));
    } else {
      take_crops();
    }
    if (options.shuffle) {
      Xoshiro256 rng(stream_seed(epoch_seed, Stream::kShuffle, 0));
      shuffle_in_place(order, rng);
    }
    if (options.shard_count > 1) take_shard();
    order.resize(static_cast<std::size_t>(epoch_samples));
    ring.assign(static_cast<std::size_t>(options.prefetch_batches), Slot{});
    next_claim = next_yield = 0;
    stopping = failed = false;
    sticky_error = nullptr;
    abort = false;
    const std::int64_t n_threads = std::min<std::int64_t>(options.workers, epoch_batches);
    // Built here, so an allocation failure throws in the caller rather than in a thread.
    augmenters.clear();
    for (std::int64_t t = 0; t < n_threads; ++t) augmenters.push_back(std::make_unique<Augmenter>(options.augment, shape));
    for (std::int64_t t = 0; t < n_threads; ++t)
      threads.emplace_back([this, t] { worker_main(*augmenters[static_cast<std::size_t>(t)]); });
  }

  // windows_per_track positions of every track (all of a shorter one), drawn from this epoch's
  // stream; the order is then that of the samples until shuffled.
  void take_crops() {
    order.clear();
    Xoshiro256 rng(stream_seed(epoch_seed, Stream::kCrops, 0));
    const std::size_t k = static_cast<std::size_t>(options.windows_per_track);
    for (std::vector<std::int64_t> positions : tracks) {
      for (std::size_t i = 0; i < k && i < positions.size(); ++i)  // a partial Fisher-Yates
        std::swap(positions[i], positions[i + static_cast<std::size_t>(rng.bounded(positions.size() - i))]);
      positions.resize(std::min(k, positions.size()));
      std::sort(positions.begin(), positions.end());
      order.insert(order.end(), positions.begin(), positions.end());
    }
    std::sort(order.begin(), order.end());
  }

  // order[shard_rank::shard_count] of the order padded (wrapping round) to a multiple of shard_count.
  void take_shard() {
    const std::int64_t n = static_cast<std::int64_t>(order.size());
    std::vector<std::int64_t> mine;
    for (std::int64_t i = options.shard_rank; n > 0 && i < sharded_size(n); i += options.shard_count)
      mine.push_back(order[static_cast<std::size_t>(i % n)]);
    order.swap(mine);
  }

  std::int64_t sharded_size(std::int64_t n) const { return (n + options.shard_count - 1) / options.shard_count * options.shard_count; }

  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stopping = true;
      abort = true;
    }
    work_cv.notify_all();
    for (std::thread& t : threads) t.join();
    threads.clear();
  }

  // Fills `batch` with batch b of this epoch; returns early (incomplete) on abort.
  void build(std::int64_t b, Batch& batch, Augmenter& augmenter, std::vector<float>& scratch) const {
    const std::int64_t begin = b * options.batch_size;
    const std::int64_t end = std::min(begin + options.batch_size, epoch_samples);
    const std::size_t n = static_cast<std::size_t>(end - begin);
    const std::size_t classes = static_cast<std::size_t>(options.fine_classes);
    const bool augment = options.augment.any_per_sample();
    batch.size = static_cast<std::int64_t>(n);
    batch.images.resize(n * image_size);  // a recycled batch keeps its memory, unzeroed
    batch.mix_lambda = 1.0f;
    batch.mix_perm.clear();
    batch.fine.resize(n);
    batch.macro.resize(n);
    batch.positions.resize(n);
    batch.multi_hot.assign(n * classes, 0.0f);
    for (std::size_t i = 0; i < n; ++i) {
      if (abort.load(std::memory_order_relaxed)) return;
      const std::int64_t pos = order[static_cast<std::size_t>(begin) + i];
      const SampleInfo& s = *samples[static_cast<std::size_t>(pos)];
      float* image = batch.images.data() + i * image_size;
      reader.read_float32(s.split, s.index, image);
      if (augment) augmenter.apply(image, stream_seed(epoch_seed, Stream::kAugment, static_cast<std::uint64_t>(pos)));
      batch.fine[i] = s.fine;
      batch.macro[i] = s.macro;
      batch.positions[i] = pos;
      for (int label : s.fine_labels)
        if (classes > 0) batch.multi_hot[i * classes + static_cast<std::size_t>(label)] = 1.0f;
    }
    if (options.augment.mixup_alpha > 0) {
      Xoshiro256 rng(stream_seed(epoch_seed, Stream::kMixup, static_cast<std::uint64_t>(b)));
      const double alpha = options.augment.mixup_alpha;
      batch.mix_lambda = static_cast<float>(sample_beta(alpha, alpha, rng));
      batch.mix_perm.resize(n);
      std::iota(batch.mix_perm.begin(), batch.mix_perm.end(), std::int64_t(0));
      shuffle_in_place(batch.mix_perm, rng);
      mix_images(batch.images, n, image_size, batch.mix_lambda, batch.mix_perm, scratch);
      batch.images.swap(scratch);  // the unmixed buffer becomes the next batch's scratch
    }
  }

  void worker_main(Augmenter& augmenter) {
    std::vector<float> scratch;
    const std::int64_t window = options.prefetch_batches;
    std::unique_lock<std::mutex> lock(mutex);
    for (;;) {
      work_cv.wait(lock, [&] {
        return stopping || failed || next_claim >= epoch_batches || next_claim < next_yield + window;
      });
      if (stopping || failed || next_claim >= epoch_batches) return;
      const std::int64_t b = next_claim++;
      Batch batch;
      if (!pool.empty()) {
        batch = std::move(pool.back());
        pool.pop_back();
      }
      lock.unlock();
      std::exception_ptr error;
      try {
        build(b, batch, augmenter, scratch);
      } catch (...) {
        error = std::current_exception();
      }
      lock.lock();
      Slot& slot = ring[static_cast<std::size_t>(b % window)];
      slot.batch = std::move(batch);
      slot.error = error;
      slot.ready = true;
      if (error) {
        failed = true;
        work_cv.notify_all();
      }
      ready_cv.notify_all();
    }
  }

  std::optional<Batch> next() {
    std::unique_lock<std::mutex> lock(mutex);
    if (sticky_error) std::rethrow_exception(sticky_error);
    if (next_yield >= epoch_batches) return std::nullopt;
    Batch batch;
    std::exception_ptr error;
    if (threads.empty()) {
      if (!pool.empty()) {
        batch = std::move(pool.back());
        pool.pop_back();
      }
      if (!caller_augmenter) caller_augmenter = std::make_unique<Augmenter>(options.augment, shape);
      try {
        build(next_yield, batch, *caller_augmenter, caller_scratch);
      } catch (...) {
        error = std::current_exception();
      }
    } else {
      Slot& slot = ring[static_cast<std::size_t>(next_yield % options.prefetch_batches)];
      ready_cv.wait(lock, [&] { return slot.ready; });
      batch = std::move(slot.batch);
      error = slot.error;
      slot = Slot{};
    }
    ++next_yield;
    if (error) sticky_error = error;
    lock.unlock();
    work_cv.notify_all();
    if (error) std::rethrow_exception(error);
    return batch;
  }
};

BatchLoader::BatchLoader(const shard::DatasetReader& reader, std::vector<const SampleInfo*> samples,
                         LoaderOptions options) {
  validate(options);
  for (const SampleInfo* s : samples) {
    if (!s) throw std::invalid_argument("BatchLoader: null sample pointer");
    if (options.fine_classes > 0)
      for (int label : s->fine_labels)
        if (label < 0 || label >= options.fine_classes)
          throw std::invalid_argument("BatchLoader: track '" + s->track_id + "' has fine label " +
                                      std::to_string(label) + ", outside the " +
                                      std::to_string(options.fine_classes) + " fine_classes");
  }
  const ImageShape shape = image_shape(reader.shape(), reader.element_count());
  if (options.augment.any_per_sample() && reader.shape().size() < 2)
    throw std::invalid_argument("BatchLoader: augmentation needs [C,]H,W samples; this dataset's are " +
                                std::to_string(reader.shape().size()) + "-D");
  const std::int64_t epoch = options.epoch;
  impl_ = std::make_unique<Impl>(reader, std::move(samples), std::move(options));
  Impl& m = *impl_;
  m.shape = shape;
  m.image_size = static_cast<std::size_t>(reader.element_count());
  std::int64_t all = static_cast<std::int64_t>(m.samples.size());
  if (m.options.windows_per_track > 0) {
    std::map<std::string, std::size_t> track_index;
    for (std::size_t i = 0; i < m.samples.size(); ++i) {
      const auto [it, added] = track_index.emplace(m.samples[i]->track_id, m.tracks.size());
      if (added) m.tracks.emplace_back();
      m.tracks[it->second].push_back(static_cast<std::int64_t>(i));
    }
    all = 0;
    for (const auto& positions : m.tracks) all += std::min<std::int64_t>(m.options.windows_per_track, positions.size());
  }
  const std::int64_t n = m.sharded_size(all) / m.options.shard_count;  // this shard's samples
  const std::int64_t bs = m.options.batch_size;
  m.epoch_batches = m.options.drop_last ? n / bs : (n + bs - 1) / bs;
  m.epoch_samples = m.options.drop_last ? m.epoch_batches * bs : n;
  m.start(epoch);
}

BatchLoader::~BatchLoader() { impl_->stop(); }

std::optional<Batch> BatchLoader::next() { return impl_->next(); }

void BatchLoader::recycle(Batch&& used) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  const std::size_t cap = std::size_t(impl_->options.prefetch_batches) + std::size_t(impl_->options.workers);
  if (impl_->pool.size() < cap) impl_->pool.push_back(std::move(used));
}

void BatchLoader::reset(std::int64_t epoch) {
  {
    // The epoch it already started, untouched: keep the batches prefetched so far.
    std::lock_guard<std::mutex> lock(impl_->mutex);
    if (epoch == impl_->epoch && impl_->next_yield == 0 && !impl_->stopping) return;
  }
  impl_->stop();
  impl_->start(epoch);
}

std::int64_t BatchLoader::batches() const { return impl_->epoch_batches; }
std::int64_t BatchLoader::samples() const { return impl_->epoch_samples; }
const std::vector<std::int64_t>& BatchLoader::order() const { return impl_->order; }

}  // namespace genre::loader
