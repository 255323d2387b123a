// The one exception type of lib/shard: a message that names the dataset, shard
// and sample (where known) and says what is wrong, for users to act on.
#pragma once

#include <stdexcept>
#include <string>

namespace genre::shard {

class ShardError : public std::runtime_error {
 public:
  explicit ShardError(const std::string& what, int error_number = 0)
      : std::runtime_error(what), errno_(error_number) {}
  // errno of the failed system call (ENOSPC, EACCES, ...), 0 for format errors.
  int error_number() const { return errno_; }

 private:
  int errno_;
};

}  // namespace genre::shard
