#include "tags/unique_fd.h"

#include <cstring>

namespace genre::tags {

std::string errno_text(int err) {
  char buf[256];
  // GNU strerror_r returns the message pointer.
  return std::string(strerror_r(err, buf, sizeof buf));
}

}  // namespace genre::tags
