// errno's message as a std::string, thread-safe (std::strerror is not).
#pragma once

#include <string>

namespace genre {

std::string errno_text(int err);

}  // namespace genre
