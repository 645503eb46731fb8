#pragma once
// Elementwise optimizer updates over flat parameter arrays, in Keras' update
// rules. A new value is stored only if it is finite, so a diverging step never
// replaces a finite weight; each kernel returns whether every value was.
// The SIMD path covers whole vectors and leaves a tail to the scalar loop
// (parameter arrays of forma's layers are padded, so only custom layers
// have one).
#include <cmath>
#include <cstddef>

#include "forma/kernels/backend.hpp"

namespace forma::kernels {

namespace detail {

// The scalar form of each rule on one element; returns false if the new
// weight would not be finite (then nothing is stored).
struct sgd_rule {
  template <class T>
  static bool step(T& w, T g, T lr) noexcept {
    const T n = w - lr * g;
    if (!std::isfinite(n)) return false;
    w = n;
    return true;
  }
};

}  // namespace detail

// Plain SGD: w -= lr * g.
template <class T>
inline bool sgd_update(scalar, T* w, const T* g, std::size_t n, T lr) noexcept {
  bool finite = true;
  for (std::size_t i = 0; i < n; ++i) finite &= detail::sgd_rule::step(w[i], g[i], lr);
  return finite;
}

// SGD with momentum (Keras): v = momentum * v - lr * g; w += v, or with
// Nesterov w += momentum * v - lr * g.
template <class T>
inline bool momentum_update(scalar, T* w, const T* g, T* v, std::size_t n, T lr, T momentum,
                            bool nesterov) noexcept {
  bool finite = true;
  for (std::size_t i = 0; i < n; ++i) {
    const T vn = momentum * v[i] - lr * g[i];
    const T wn = nesterov ? w[i] + momentum * vn - lr * g[i] : w[i] + vn;
    if (std::isfinite(wn) && std::isfinite(vn)) {
      v[i] = vn;
      w[i] = wn;
    } else {
      finite = false;
    }
  }
  return finite;
}

// Adam (Keras): m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
// w -= lr_t m / (sqrt(v) + eps), with lr_t = lr sqrt(1 - b2^t) / (1 - b1^t)
// computed by the caller.
template <class T>
inline bool adam_update(scalar, T* w, const T* g, T* m, T* v, std::size_t n, T lr_t, T b1, T b2,
                        T eps) noexcept {
  bool finite = true;
  for (std::size_t i = 0; i < n; ++i) {
    const T mn = b1 * m[i] + (T(1) - b1) * g[i];
    const T vn = b2 * v[i] + (T(1) - b2) * g[i] * g[i];
    const T wn = w[i] - lr_t * mn / (std::sqrt(vn) + eps);
    if (std::isfinite(wn) && std::isfinite(vn)) {
      m[i] = mn;
      v[i] = vn;
      w[i] = wn;
    } else {
      finite = false;
    }
  }
  return finite;
}

// RMSprop (Keras, no momentum, not centered): s = rho s + (1 - rho) g^2;
// w -= lr g / (sqrt(s) + eps).
template <class T>
inline bool rmsprop_update(scalar, T* w, const T* g, T* s, std::size_t n, T lr, T rho, T eps) noexcept {
  bool finite = true;
  for (std::size_t i = 0; i < n; ++i) {
    const T sn = rho * s[i] + (T(1) - rho) * g[i] * g[i];
    const T wn = w[i] - lr * g[i] / (std::sqrt(sn) + eps);
    if (std::isfinite(wn) && std::isfinite(sn)) {
      s[i] = sn;
      w[i] = wn;
    } else {
      finite = false;
    }
  }
  return finite;
}

#if !defined(FORMA_SCALAR_ONLY)
namespace detail {
// True in the lanes where x is finite: x - x is 0 there and NaN for inf or NaN.
template <class V>
inline auto finite_lanes(V x) noexcept {
  return (x - x) == V(0);
}
}  // namespace detail

template <class T, class Arch>
inline bool sgd_update(simd<Arch>, T* w, const T* g, std::size_t n, T lr) noexcept {
  using V = xsimd::batch<T, Arch>;
  bool finite = true;
  std::size_t i = 0;
  for (; i + V::size <= n; i += V::size) {
    const V wo = V::load_unaligned(w + i);
    const V wn = wo - V(lr) * V::load_unaligned(g + i);
    const auto ok = detail::finite_lanes(wn);
    finite &= xsimd::all(ok);
    xsimd::select(ok, wn, wo).store_unaligned(w + i);
  }
  return sgd_update(scalar{}, w + i, g + i, n - i, lr) && finite;
}

template <class T, class Arch>
inline bool momentum_update(simd<Arch>, T* w, const T* g, T* v, std::size_t n, T lr, T momentum,
                            bool nesterov) noexcept {
  using V = xsimd::batch<T, Arch>;
  bool finite = true;
  std::size_t i = 0;
  for (; i + V::size <= n; i += V::size) {
    const V wo = V::load_unaligned(w + i), vo = V::load_unaligned(v + i), gi = V::load_unaligned(g + i);
    const V vn = V(momentum) * vo - V(lr) * gi;
    const V wn = nesterov ? wo + V(momentum) * vn - V(lr) * gi : wo + vn;
    const auto ok = detail::finite_lanes(wn) && detail::finite_lanes(vn);
    finite &= xsimd::all(ok);
    xsimd::select(ok, vn, vo).store_unaligned(v + i);
    xsimd::select(ok, wn, wo).store_unaligned(w + i);
  }
  return momentum_update(scalar{}, w + i, g + i, v + i, n - i, lr, momentum, nesterov) && finite;
}

template <class T, class Arch>
inline bool adam_update(simd<Arch>, T* w, const T* g, T* m, T* v, std::size_t n, T lr_t, T b1, T b2,
                        T eps) noexcept {
  using V = xsimd::batch<T, Arch>;
  bool finite = true;
  std::size_t i = 0;
  for (; i + V::size <= n; i += V::size) {
    const V gi = V::load_unaligned(g + i), wo = V::load_unaligned(w + i);
    const V mo = V::load_unaligned(m + i), vo = V::load_unaligned(v + i);
    const V mn = V(b1) * mo + V(T(1) - b1) * gi;
    const V vn = V(b2) * vo + V(T(1) - b2) * gi * gi;
    const V wn = wo - V(lr_t) * mn / (xsimd::sqrt(vn) + V(eps));
    const auto ok = detail::finite_lanes(wn) && detail::finite_lanes(vn);
    finite &= xsimd::all(ok);
    xsimd::select(ok, mn, mo).store_unaligned(m + i);
    xsimd::select(ok, vn, vo).store_unaligned(v + i);
    xsimd::select(ok, wn, wo).store_unaligned(w + i);
  }
  return adam_update(scalar{}, w + i, g + i, m + i, v + i, n - i, lr_t, b1, b2, eps) && finite;
}

template <class T, class Arch>
inline bool rmsprop_update(simd<Arch>, T* w, const T* g, T* s, std::size_t n, T lr, T rho, T eps) noexcept {
  using V = xsimd::batch<T, Arch>;
  bool finite = true;
  std::size_t i = 0;
  for (; i + V::size <= n; i += V::size) {
    const V gi = V::load_unaligned(g + i), wo = V::load_unaligned(w + i), so = V::load_unaligned(s + i);
    const V sn = V(rho) * so + V(T(1) - rho) * gi * gi;
    const V wn = wo - V(lr) * gi / (xsimd::sqrt(sn) + V(eps));
    const auto ok = detail::finite_lanes(wn) && detail::finite_lanes(sn);
    finite &= xsimd::all(ok);
    xsimd::select(ok, sn, so).store_unaligned(s + i);
    xsimd::select(ok, wn, wo).store_unaligned(w + i);
  }
  return rmsprop_update(scalar{}, w + i, g + i, s + i, n - i, lr, rho, eps) && finite;
}
#endif

}  // namespace forma::kernels
