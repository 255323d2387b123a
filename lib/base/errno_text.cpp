#include "base/errno_text.h"

#include <cstring>

namespace genre {

std::string errno_text(int err) {
  char buf[256];
  // GNU strerror_r returns the message pointer (not always buf).
  return std::string(strerror_r(err, buf, sizeof buf));
}

}  // namespace genre
