#pragma once
// Calls f(std::integral_constant<size_t, I>) for I in [0, N): a loop the
// compiler sees fully unrolled, used to keep accumulator tiles in registers.
#include <cstddef>
#include <type_traits>
#include <utility>

#include "forma/kernels/always_inline.hpp"

namespace forma::kernels {

template <class F, std::size_t... I>
FORMA_ALWAYS_INLINE void static_for_each(F& f, std::index_sequence<I...>) {
  (f(std::integral_constant<std::size_t, I>{}), ...);
}

template <std::size_t N, class F>
FORMA_ALWAYS_INLINE void static_for(F&& f) {
  static_for_each(f, std::make_index_sequence<N>{});
}

}  // namespace forma::kernels
