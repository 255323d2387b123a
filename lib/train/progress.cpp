#include "train/progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>

namespace genre::train {

Progress::Progress(bool quiet) : quiet_(quiet), tty_(::isatty(STDERR_FILENO) == 1) {}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const long s = std::lround(seconds);
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

void Progress::step(const std::string& stage, int epoch, int epochs, int64_t step, int64_t steps, double loss,
                    double samples_per_s, double eta_s) {
  if (quiet_) return;
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_).count();
  if (since < (tty_ ? 0.2 : 10.0) && step != steps) return;
  last_ = now;
  std::fprintf(stderr, "%s[%s] epoch %d/%d step %lld/%lld loss %.4f %.1f samples/s ETA %s%s", tty_ ? "\r\033[K" : "",
               stage.c_str(), epoch, epochs, static_cast<long long>(step), static_cast<long long>(steps), loss,
               samples_per_s, format_duration(eta_s).c_str(), tty_ ? "" : "\n");
  open_line_ = tty_;
}

void Progress::line(const std::string& text) {
  if (quiet_) return;
  std::fprintf(stderr, "%s%s\n", open_line_ ? "\r\033[K" : "", text.c_str());
  open_line_ = false;
}

}  // namespace genre::train
