#pragma once
// The few math functions activations need, for a scalar and (where xsimd
// targets a SIMD unit) for an xsimd batch, so one activation definition
// serves both kernel paths.
#include <cmath>

#include "forma/kernels/backend.hpp"

namespace forma::vmath {

template <class T>
inline T max(T a, T b) { return a < b ? b : a; }
template <class T>
inline T exp(T x) { return std::exp(x); }
template <class T>
inline T tanh(T x) { return std::tanh(x); }
template <class T>
inline T select_positive(T x, T if_positive, T otherwise) { return x > T(0) ? if_positive : otherwise; }

#if !defined(FORMA_SCALAR_ONLY)
template <class T, class A>
inline xsimd::batch<T, A> max(xsimd::batch<T, A> a, xsimd::batch<T, A> b) { return xsimd::max(a, b); }
template <class T, class A>
inline xsimd::batch<T, A> exp(xsimd::batch<T, A> x) { return xsimd::exp(x); }
template <class T, class A>
inline xsimd::batch<T, A> tanh(xsimd::batch<T, A> x) { return xsimd::tanh(x); }
template <class T, class A>
inline xsimd::batch<T, A> select_positive(xsimd::batch<T, A> x, xsimd::batch<T, A> if_positive,
                                          xsimd::batch<T, A> otherwise) {
  return xsimd::select(x > xsimd::batch<T, A>(T(0)), if_positive, otherwise);
}
#endif

}  // namespace forma::vmath
