#pragma once
// Which instruction set the kernels run on, chosen at compile time from the
// compiler's target flags. `scalar` is forma's own portable path (xsimd 8.1
// has no scalar batch type); it runs where no SIMD unit exists and is the
// oracle the SIMD kernels are tested against.
#if !defined(FORMA_SCALAR_ONLY)
// xsimd's own detection of the target's instruction sets, which includes
// nothing else. Without any, the rest of xsimd is left out: it would only
// bring its allocator, which does not build on newlib (no posix_memalign).
#include <xsimd/config/xsimd_config.hpp>
#if defined(XSIMD_NO_SUPPORTED_ARCHITECTURE)
#define FORMA_SCALAR_ONLY 1
#endif
#endif
#if !defined(FORMA_SCALAR_ONLY)
// g++ 12 reports its own AVX-512 intrinsics (those built on
// _mm512_undefined_*) as reading uninitialised values once inlined (GCC bug
// 105593). Its late warnings follow the pragma state where the intrinsic is
// written, so silencing them across this include covers exactly those.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <xsimd/xsimd.hpp>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif

#include <cstddef>
#include <type_traits>

#include "forma/kernels/always_inline.hpp"

namespace forma::kernels {

struct scalar {
  static constexpr const char* name() { return "scalar"; }
};

#if !defined(FORMA_SCALAR_ONLY)
template <class Arch>
struct simd {
  using arch = Arch;
  static constexpr const char* name() { return Arch::name(); }
  // 32 vector registers on AVX-512 (and NEON64), 16 on the others.
  static constexpr std::size_t registers = Arch::alignment() == 64 ? 32 : 16;
};
using native = simd<xsimd::default_arch>;

// a * b + c in one rounding. xsimd 8.1 has no AVX-512 kernel for fma and
// falls back to a * b + c as two operator calls, which g++ contracts into
// one instruction (-ffp-contract=fast) but clang does not: clang's AVX-512
// kernels ran at half speed (82 against 154 GFLOP/s at batch 256).
template <class T, class Arch>
FORMA_ALWAYS_INLINE xsimd::batch<T, Arch> fma(const xsimd::batch<T, Arch>& a, const xsimd::batch<T, Arch>& b,
                                              const xsimd::batch<T, Arch>& c) noexcept {
#if defined(__AVX512F__)
  if constexpr (std::is_base_of_v<xsimd::avx512f, Arch> && std::is_same_v<T, float>)
    return _mm512_fmadd_ps(a, b, c);
  else if constexpr (std::is_base_of_v<xsimd::avx512f, Arch> && std::is_same_v<T, double>)
    return _mm512_fmadd_pd(a, b, c);
  else
#endif
    return xsimd::fma(a, b, c);
}
#else
using native = scalar;
#endif

// The scalar form, for code written once for scalars and vectors (the
// compiler may contract it into one instruction).
template <class T>
  requires std::is_arithmetic_v<T>
FORMA_ALWAYS_INLINE T fma(T a, T b, T c) noexcept {
  return a * b + c;
}

}  // namespace forma::kernels
