// Training progress on the terminal: epoch, step, loss, samples/s and ETA,
// rewritten in place on a terminal, one line every few seconds in a log.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace genre::train {

class Progress {
 public:
  explicit Progress(bool quiet = false);
  void step(const std::string& stage, int epoch, int epochs, int64_t step, int64_t steps, double loss,
            double samples_per_s, double eta_s);
  void line(const std::string& text);  // a finished line (epoch summary, stage start)

 private:
  bool quiet_, tty_;
  bool open_line_ = false;
  std::chrono::steady_clock::time_point last_;
};

std::string format_duration(double seconds);  // "1:02:03" or "2:03"

}  // namespace genre::train
