#include "loader/random_streams.h"

#include <cmath>

namespace genre::loader {

double sample_normal(Xoshiro256& rng) {
  constexpr double kTwoPi = 6.283185307179586476925286766559;
  const double u1 = 1.0 - rng.uniform();  // (0, 1]: log is finite
  const double u2 = rng.uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(kTwoPi * u2);
}

double sample_gamma(double shape, Xoshiro256& rng) {
  if (shape < 1.0) {
    const double u = 1.0 - rng.uniform();
    return sample_gamma(shape + 1.0, rng) * std::pow(u, 1.0 / shape);
  }
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double x, v;
    do {
      x = sample_normal(rng);
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = rng.uniform();
    if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;
    if (u > 0.0 && std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v;
  }
}

double sample_beta(double a, double b, Xoshiro256& rng) {
  const double x = sample_gamma(a, rng);
  const double y = sample_gamma(b, rng);
  // Both underflow to 0 only for tiny shapes; the limit is a fair coin between 0 and 1.
  if (x + y == 0.0) return rng.uniform() < a / (a + b) ? 1.0 : 0.0;
  return x / (x + y);
}

}  // namespace genre::loader
