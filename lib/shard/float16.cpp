#include "shard/float16.h"

#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#define GENRE_HAVE_X86 1
#endif

namespace genre::shard {

std::uint16_t float_to_half(float value) {
  std::uint32_t f;
  std::memcpy(&f, &value, sizeof f);
  const std::uint16_t sign = static_cast<std::uint16_t>((f & 0x80000000u) >> 16);
  const std::uint32_t exp = f & 0x7f800000u;
  if (exp >= 0x47800000u) {  // overflow, inf or NaN
    if (exp == 0x7f800000u) {
      const std::uint32_t sig = f & 0x007fffffu;
      if (sig != 0) {  // NaN: keep the top payload bits, but stay a NaN (numpy's rule)
        std::uint16_t ret = static_cast<std::uint16_t>(0x7c00u + (sig >> 13));
        if (ret == 0x7c00u) ++ret;
        return static_cast<std::uint16_t>(sign + ret);
      }
      return static_cast<std::uint16_t>(sign + 0x7c00u);  // inf
    }
    return static_cast<std::uint16_t>(sign + 0x7c00u);  // too large: rounds to inf
  }
  if (exp <= 0x38000000u) {  // half subnormal or zero
    if (exp < 0x33000000u) return sign;  // below 2^-25: rounds to signed zero
    // In units of the smallest subnormal (2^-24) the value is sig * 2^(e - 126):
    // shift right by 126 - e (14..24 bits) and round the discarded bits to even.
    const std::uint32_t e = exp >> 23;
    const std::uint32_t sig = 0x00800000u + (f & 0x007fffffu);
    const std::uint32_t shift = 126 - e;
    std::uint32_t q = sig >> shift;
    const std::uint32_t rem = sig & ((1u << shift) - 1);
    const std::uint32_t halfway = 1u << (shift - 1);
    if (rem > halfway || (rem == halfway && (q & 1u))) ++q;  // may carry into the smallest normal
    return static_cast<std::uint16_t>(sign + q);
  }
  // Normal range: rebias the exponent, round the 23-bit significand to 10 bits.
  const std::uint32_t h_exp = (exp - 0x38000000u) >> 13;
  std::uint32_t sig = f & 0x007fffffu;
  std::uint32_t h = h_exp + (sig >> 13);
  const std::uint32_t low = sig & 0x1fffu;
  if (low > 0x1000u || (low == 0x1000u && (h & 1u))) ++h;  // may carry into exponent, even to inf
  return static_cast<std::uint16_t>(sign + h);
}

float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t exp = (h >> 10) & 0x1fu;
  std::uint32_t sig = h & 0x3ffu;
  std::uint32_t f;
  if (exp == 0) {
    if (sig == 0) {
      f = sign;
    } else {  // subnormal: normalise
      int e = -1;
      do {
        ++e;
        sig <<= 1;
      } while ((sig & 0x400u) == 0);
      f = sign | (static_cast<std::uint32_t>(127 - 15 - e) << 23) | ((sig & 0x3ffu) << 13);
    }
  } else if (exp == 0x1f) {
    f = sign | 0x7f800000u | (sig << 13);
  } else {
    f = sign | ((exp + 112) << 23) | (sig << 13);
  }
  float out;
  std::memcpy(&out, &f, sizeof out);
  return out;
}

#ifdef GENRE_HAVE_X86
namespace {

__attribute__((target("avx,f16c"))) void floats_to_halves_f16c(const float* in, std::uint16_t* out,
                                                                  std::size_t count) {
  std::size_t i = 0;
  for (; i + 8 <= count; i += 8) {
    const __m256 v = _mm256_loadu_ps(in + i);
    // NaN lanes keep numpy's payload rule, which the hardware does not follow.
    if (_mm256_movemask_ps(_mm256_cmp_ps(v, v, _CMP_UNORD_Q)) != 0) {
      for (std::size_t j = i; j < i + 8; ++j) out[j] = float_to_half(in[j]);
      continue;
    }
    const __m128i h = _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), h);
  }
  for (; i < count; ++i) out[i] = float_to_half(in[i]);
}

__attribute__((target("avx,f16c"))) void halves_to_floats_f16c(const std::uint16_t* in, float* out,
                                                                  std::size_t count) {
  std::size_t i = 0;
  for (; i + 8 <= count; i += 8) {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i));
    const __m256 v = _mm256_cvtph_ps(h);
    // The hardware quiets signalling NaNs; numpy (and the scalar path) keep them.
    if (_mm256_movemask_ps(_mm256_cmp_ps(v, v, _CMP_UNORD_Q)) != 0) {
      for (std::size_t j = i; j < i + 8; ++j) out[j] = half_to_float(in[j]);
      continue;
    }
    _mm256_storeu_ps(out + i, v);
  }
  for (; i < count; ++i) out[i] = half_to_float(in[i]);
}

// CPUID leaf 1: AVX (ecx 28) and F16C (ecx 29), with the OS saving YMM state
// (OSXSAVE, ecx 27, and XCR0 bits 1-2). Spelled out because clang 14's
// __builtin_cpu_supports does not know "f16c".
bool detect_f16c() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return false;
  const bool avx = (ecx >> 28) & 1u, f16c = (ecx >> 29) & 1u, osxsave = (ecx >> 27) & 1u;
  if (!avx || !f16c || !osxsave) return false;
  unsigned xcr0_lo = 0, xcr0_hi = 0;
  __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  return (xcr0_lo & 0x6u) == 0x6u;
}

bool cpu_has_f16c() {
  static const bool has = detect_f16c();
  return has;
}

}  // namespace
#endif

void floats_to_halves(const float* in, std::uint16_t* out, std::size_t count) {
#ifdef GENRE_HAVE_X86
  if (cpu_has_f16c()) return floats_to_halves_f16c(in, out, count);
#endif
  for (std::size_t i = 0; i < count; ++i) out[i] = float_to_half(in[i]);
}

void halves_to_floats(const std::uint16_t* in, float* out, std::size_t count) {
#ifdef GENRE_HAVE_X86
  if (cpu_has_f16c()) return halves_to_floats_f16c(in, out, count);
#endif
  for (std::size_t i = 0; i < count; ++i) out[i] = half_to_float(in[i]);
}

}  // namespace genre::shard
