// tags-bench: files/s of genre::tags::write_genre (verified, atomic, fsynced)
// against two baselines on copies of the same files, in the same run,
// alternating rounds (best of each):
//   plain:  a TagLib save in place (FileRef; no copy, no fsync, no check);
//   atomic: copy beside, TagLib save on the copy, fsync, rename: write_genre's
//           replacement without its checks.
// write_genre / atomic is what the verification costs, comparable across
// builds on a noisy machine where the absolute figures are not.
//   usage: tags-bench COPIES FILE...   (tags-bench.sh makes the files)
#include <taglib/fileref.h>
#include <taglib/tag.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "tags/genre_tags.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kRounds = 3;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void taglib_save(const std::string& path, const std::string& genre) {
  TagLib::FileRef file(path.c_str(), false);
  if (file.isNull() || !file.tag()) throw std::runtime_error(path + ": TagLib cannot open it");
  file.tag()->setGenre(TagLib::String(genre, TagLib::String::UTF8));
  if (!file.save()) throw std::runtime_error(path + ": TagLib cannot save it");
}

// The replacement write_genre makes, without its checks.
void atomic_taglib_save(const std::string& path, const std::string& genre) {
  const std::string temp = path + ".bench-tmp";
  fs::copy_file(path, temp, fs::copy_options::overwrite_existing);
  taglib_save(temp, genre);
  const int fd = ::open(temp.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) throw std::runtime_error(temp + ": cannot fsync it");
  ::close(fd);
  fs::rename(temp, path);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: tags-bench COPIES FILE...\n");
    return 2;
  }
  const int copies = std::atoi(argv[1]);
  const fs::path dir = fs::temp_directory_path() / ("tags-bench-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  try {
    std::map<std::string, std::vector<std::string>> by_format;  // extension -> copies
    std::uint64_t bytes = 0;
    for (int i = 2; i < argc; ++i) {
      const fs::path source(argv[i]);
      for (int c = 0; c < copies; ++c) {
        const fs::path copy = dir / (source.stem().string() + "-" + std::to_string(c) + source.extension().string());
        fs::copy_file(source, copy);
        by_format[source.extension().string()].push_back(copy.string());
        bytes += fs::file_size(copy);
      }
    }
    std::map<std::string, double> best_plain, best_atomic, best_verified;
    for (int round = 0; round < kRounds; ++round) {
      for (const auto& [format, files] : by_format) {
        auto start = Clock::now();
        for (const auto& f : files) taglib_save(f, "Plain " + std::to_string(round));
        const double plain = seconds_since(start);
        start = Clock::now();
        for (const auto& f : files) atomic_taglib_save(f, "Atomic " + std::to_string(round));
        const double atomic = seconds_since(start);
        start = Clock::now();
        for (const auto& f : files) {
          const auto r = genre::tags::write_genre(f, "Verified " + std::to_string(round));
          if (!r.changed) throw std::runtime_error(f + ": the genre was not changed");
        }
        const double verified = seconds_since(start);
        const double n = static_cast<double>(files.size());
        best_plain[format] = std::max(best_plain[format], n / plain);
        best_atomic[format] = std::max(best_atomic[format], n / atomic);
        best_verified[format] = std::max(best_verified[format], n / verified);
      }
    }
    std::printf("%d copies each, %.1f MiB in all, best of %d rounds\n", copies, double(bytes) / (1 << 20), kRounds);
    std::printf("files/s    %12s %12s %12s %18s\n", "plain", "atomic", "write_genre", "write_genre/atomic");
    double all_atomic = 0, all_verified = 0;  // seconds per file, summed over formats
    for (const auto& [format, plain] : best_plain) {
      std::printf("%-10s %12.1f %12.1f %12.1f %18.3f\n", format.c_str(), plain, best_atomic[format],
                  best_verified[format], best_verified[format] / best_atomic[format]);
      all_atomic += 1 / best_atomic[format];
      all_verified += 1 / best_verified[format];
    }
    std::printf("%-10s %12s %12.1f %12.1f %18.3f\n", "all", "", best_plain.size() / all_atomic,
                best_plain.size() / all_verified, all_atomic / all_verified);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tags-bench: %s\n", e.what());
    fs::remove_all(dir);
    return 1;
  }
  fs::remove_all(dir);
  return 0;
}
