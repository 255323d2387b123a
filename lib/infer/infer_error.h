// The one exception lib/infer throws: a sentence a user can act on.
#pragma once

#include <stdexcept>

namespace genre::infer {

class InferError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace genre::infer
