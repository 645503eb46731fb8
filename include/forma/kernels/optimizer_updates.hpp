#pragma once
// Elementwise optimizer updates in Keras' rules. Each rule is one function
// of (weight, gradient, state slots) written once for scalars and SIMD
// vectors alike; apply_rule runs it over flat arrays and the fused dense
// kernel (dense_weight_update) runs it on gradient tiles still in registers.
// The SIMD forms name every fused multiply-add, so the compiler's choice of
// contractions cannot differ between the two and both give the same bits.
// A new value is stored only if it and the new state are finite, so a
// diverging step never replaces a finite weight; each kernel returns whether
// every value was.
#include <array>
#include <cmath>
#include <cstddef>

#include "forma/kernels/backend.hpp"
#include "forma/kernels/root_quotient.hpp"
#include "forma/kernels/static_for.hpp"

namespace forma::kernels {

// Plain SGD: w -= lr g.
template <class T>
struct plain_sgd_rule {
  static constexpr std::size_t slots = 0;
  T lr;
  template <class V>
  FORMA_ALWAYS_INLINE V operator()(V w, V g, V*) const noexcept {
    return kernels::fma(V(-lr), g, w);
  }
};

// Plain SGD and SGD with momentum (Keras): v = momentum v - lr g; w += v, or
// with Nesterov w += momentum v - lr g. Without momentum v is left alone.
template <class T>
struct sgd_rule {
  static constexpr std::size_t slots = 1;
  T lr, momentum;
  bool nesterov;
  template <class U>
  constexpr sgd_rule<U> as() const noexcept { return {static_cast<U>(lr), static_cast<U>(momentum), nesterov}; }
  template <class V>
  FORMA_ALWAYS_INLINE V operator()(V w, V g, V* s) const noexcept {
    if (momentum == T(0)) return kernels::fma(V(-lr), g, w);
    const V step = V(-lr) * g;
    s[0] = kernels::fma(V(momentum), s[0], step);
    return nesterov ? kernels::fma(V(momentum), s[0], w + step) : w + s[0];
  }
};

// Adam (Keras): m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
// w -= lr_t m / (sqrt(v) + eps), lr_t = lr sqrt(1 - b2^t) / (1 - b1^t).
// 1 - b is rounded once from the exact difference, as Keras and PyTorch
// have it: 1 - 0.999f in float is 1.3e-5 below 0.001f, and every step's v
// was as far off.
template <class T>
struct adam_rule {
  static constexpr std::size_t slots = 2;
  T lr_t, b1, b2, eps, c1, c2;  // c1 = 1 - b1, c2 = 1 - b2
  static constexpr adam_rule from(double lr_t, double b1, double b2, double eps) noexcept {
    return {static_cast<T>(lr_t), static_cast<T>(b1), static_cast<T>(b2),
            static_cast<T>(eps),  static_cast<T>(1.0 - b1), static_cast<T>(1.0 - b2)};
  }
  template <class U>
  constexpr adam_rule<U> as() const noexcept {
    return {static_cast<U>(lr_t), static_cast<U>(b1), static_cast<U>(b2),
            static_cast<U>(eps),  static_cast<U>(c1), static_cast<U>(c2)};
  }
  template <class V>
  FORMA_ALWAYS_INLINE V operator()(V w, V g, V* s) const noexcept {
    s[0] = kernels::fma(V(b1), s[0], V(c1) * g);
    s[1] = kernels::fma(V(b2), s[1], V(c2) * g * g);
    return kernels::fma(V(-lr_t), over_root(s[0], s[1], eps), w);
  }
};

// RMSprop (Keras, no momentum, not centered): s = rho s + (1 - rho) g^2;
// w -= lr g / (sqrt(s) + eps).
template <class T>
struct rmsprop_rule {
  static constexpr std::size_t slots = 1;
  T lr, rho, eps, c;  // c = 1 - rho, rounded once as in adam_rule
  static constexpr rmsprop_rule from(double lr, double rho, double eps) noexcept {
    return {static_cast<T>(lr), static_cast<T>(rho), static_cast<T>(eps), static_cast<T>(1.0 - rho)};
  }
  template <class U>
  constexpr rmsprop_rule<U> as() const noexcept {
    return {static_cast<U>(lr), static_cast<U>(rho), static_cast<U>(eps), static_cast<U>(c)};
  }
  template <class V>
  FORMA_ALWAYS_INLINE V operator()(V w, V g, V* s) const noexcept {
    s[0] = kernels::fma(V(rho), s[0], V(c) * g * g);
    return kernels::fma(V(-lr), over_root(g, s[0], eps), w);
  }
};

// The state arrays of one parameter array, in the rule's slot order.
template <class T, std::size_t Slots>
using slot_arrays = std::array<T*, Slots>;

namespace detail {

// One element or vector at offset i: the rule, then the store if finite.
template <class T, class Rule>
FORMA_ALWAYS_INLINE bool update_one(scalar, const Rule& rule, T* w, T g, const slot_arrays<T, Rule::slots>& s,
                       std::size_t i) noexcept {
  T sv[Rule::slots + 1];  // (+1: a zero-length array is not C++)
  for (std::size_t k = 0; k < Rule::slots; ++k) sv[k] = s[k][i];
  const T wn = rule(w[i], g, sv);
  bool ok = std::isfinite(wn);
  for (std::size_t k = 0; k < Rule::slots; ++k) ok &= std::isfinite(sv[k]);
  if (!ok) return false;
  w[i] = wn;
  for (std::size_t k = 0; k < Rule::slots; ++k) s[k][i] = sv[k];
  return true;
}

#if !defined(FORMA_SCALAR_ONLY)
// True in the lanes where w and every slot are finite: 0 * x is 0 for a
// finite x and NaN for inf or NaN, and NaN survives the sum (one compare
// for all of them: AVX-512 runs vector work on two ports only).
template <std::size_t Slots, class V>
FORMA_ALWAYS_INLINE auto finite_lanes(V w, const V* s) noexcept {
  using T = typename V::value_type;
  V zero_if_finite = w * V(T(0));
  static_for<Slots>([&](auto k) { zero_if_finite = kernels::fma(s[k], V(T(0)), zero_if_finite); });
  return zero_if_finite == V(T(0));
}

// x where ok, old elsewhere, stored at p. AVX-512 stores under the mask
// itself, which saves a blend per array.
template <class T, class Arch>
FORMA_ALWAYS_INLINE void store_where(xsimd::batch_bool<T, Arch> ok, xsimd::batch<T, Arch> x,
                                     xsimd::batch<T, Arch> old, T* p) noexcept {
#if defined(__AVX512F__)
  if constexpr (std::is_base_of_v<xsimd::avx512f, Arch> && std::is_same_v<T, float>)
    _mm512_mask_storeu_ps(p, ok, x);
  else if constexpr (std::is_base_of_v<xsimd::avx512f, Arch> && std::is_same_v<T, double>)
    _mm512_mask_storeu_pd(p, ok, x);
  else
#endif
    xsimd::select(ok, x, old).store_unaligned(p);
}

template <class Arch, class T, class Rule>
FORMA_ALWAYS_INLINE bool update_one(simd<Arch>, const Rule& rule, T* w, xsimd::batch<T, Arch> g,
                       const slot_arrays<T, Rule::slots>& s, std::size_t i) noexcept {
  using V = xsimd::batch<T, Arch>;
  V so[Rule::slots + 1], sn[Rule::slots + 1];
  static_for<Rule::slots>([&](auto k) { so[k] = sn[k] = V::load_unaligned(s[k] + i); });
  const V wo = V::load_unaligned(w + i);
  const V wn = rule(wo, g, sn);
  const auto ok = finite_lanes<Rule::slots>(wn, sn);
  static_for<Rule::slots>([&](auto k) { store_where(ok, sn[k], so[k], s[k] + i); });
  store_where(ok, wn, wo, w + i);
  return xsimd::all(ok);
}
#endif

}  // namespace detail

// The rule over n elements of w with gradients g.
template <class T, class Rule>
inline bool apply_rule(scalar, const Rule& rule, T* w, const T* g, const slot_arrays<T, Rule::slots>& s,
                       std::size_t n) noexcept {
  bool finite = true;
  for (std::size_t i = 0; i < n; ++i) finite &= detail::update_one(scalar{}, rule, w, g[i], s, i);
  return finite;
}

#if !defined(FORMA_SCALAR_ONLY)
// Whole vectors, then the tail (only custom layers' arrays have one: forma's
// are padded) by the scalar loop.
template <class T, class Rule, class Arch>
inline bool apply_rule(simd<Arch>, const Rule& rule, T* w, const T* g, const slot_arrays<T, Rule::slots>& s,
                       std::size_t n) noexcept {
  using V = xsimd::batch<T, Arch>;
  // Local copies: the stores through w could alias a caller's rule or
  // pointers, and would force their reload every vector.
  const Rule r = rule;
  const slot_arrays<T, Rule::slots> state = s;
  bool finite = true;
  std::size_t i = 0;
  for (; i + V::size <= n; i += V::size)
    finite &= detail::update_one(simd<Arch>{}, r, w, V::load_unaligned(g + i), state, i);
  slot_arrays<T, Rule::slots> rest;
  for (std::size_t k = 0; k < Rule::slots; ++k) rest[k] = s[k] + i;
  return apply_rule(scalar{}, rule, w + i, g + i, rest, n - i) && finite;
}
#endif

// The named forms, for callers with flat arrays (the optimizers go through
// their rules).
template <class Backend, class T>
inline bool sgd_update(Backend b, T* w, const T* g, std::size_t n, T lr) noexcept {
  return apply_rule(b, plain_sgd_rule<T>{lr}, w, g, {}, n);
}
template <class Backend, class T>
inline bool momentum_update(Backend b, T* w, const T* g, T* v, std::size_t n, T lr, T momentum,
                            bool nesterov) noexcept {
  return apply_rule(b, sgd_rule<T>{lr, momentum, nesterov}, w, g, {v}, n);
}
template <class Backend, class T>
inline bool adam_update(Backend b, T* w, const T* g, T* m, T* v, std::size_t n, double lr_t, double b1, double b2,
                        double eps) noexcept {
  return apply_rule(b, adam_rule<T>::from(lr_t, b1, b2, eps), w, g, {m, v}, n);
}
template <class Backend, class T>
inline bool rmsprop_update(Backend b, T* w, const T* g, T* s, std::size_t n, double lr, double rho,
                           double eps) noexcept {
  return apply_rule(b, rmsprop_rule<T>::from(lr, rho, eps), w, g, {s}, n);
}

}  // namespace forma::kernels
