#pragma once
// x / (sqrt(v) + eps): the step of Adam and RMSprop, for v >= 0 and eps > 0.
//
// On AVX-512 in float, VSQRTPS and VDIVPS share one divider unit and were
// much of the cost of Adam's rule on weights already in L1
// (kernel/adam_update_in_l1). There the root and the reciprocal start from
// the 14-bit estimates (VRSQRT14PS, VRCP14PS) and one Newton step each
// brings them to float precision: within 4 ulp of the exact quotient, where
// IEEE sqrt, add and divide take up to about 2.4 (test_kernels.cpp checks
// both over the whole exponent range). Other targets and double use sqrt
// and division.
#include <cmath>

#include "forma/kernels/backend.hpp"

namespace forma::kernels {

template <class T>
FORMA_ALWAYS_INLINE T over_root(T x, T v, T eps) noexcept {
  using std::sqrt;
  return x / (sqrt(v) + eps);
}

#if !defined(FORMA_SCALAR_ONLY)
template <class T, class Arch>
FORMA_ALWAYS_INLINE xsimd::batch<T, Arch> over_root(xsimd::batch<T, Arch> x, xsimd::batch<T, Arch> v,
                                                    T eps) noexcept {
#if defined(__AVX512F__)
  if constexpr (std::is_base_of_v<xsimd::avx512f, Arch> && std::is_same_v<T, float>) {
    const __m512 vr = v, xr = x;
    const __m512 y = _mm512_rsqrt14_ps(vr);  // 1/sqrt(v) to 2^-14
    const __m512 s = _mm512_mul_ps(vr, y);   // sqrt(v) to 2^-14
    // Newton: s (3 - v y^2) / 2 = s + s (1/2 - s y/2). v = 0 has y = inf
    // and s = NaN, so those lanes are set to the root's exact 0.
    const __m512 r = _mm512_fnmadd_ps(s, _mm512_mul_ps(y, _mm512_set1_ps(0.5f)), _mm512_set1_ps(0.5f));
    const __mmask16 nonzero = _mm512_cmp_ps_mask(vr, _mm512_setzero_ps(), _CMP_NEQ_UQ);
    const __m512 d = _mm512_add_ps(_mm512_maskz_fmadd_ps(nonzero, s, r, s), _mm512_set1_ps(eps));
    // The quotient from the reciprocal estimate, corrected by its residual.
    const __m512 e = _mm512_rcp14_ps(d);
    const __m512 q = _mm512_mul_ps(xr, e);
    return _mm512_fmadd_ps(_mm512_fnmadd_ps(d, q, xr), e, q);
  } else
#endif
  {
    return x / (xsimd::sqrt(v) + xsimd::batch<T, Arch>(eps));
  }
}
#endif

}  // namespace forma::kernels
