#pragma once
// Calls f(std::integral_constant<size_t, I>) for I in [0, N): a loop the
// compiler sees fully unrolled, used to keep accumulator tiles in registers.
#include <cstddef>
#include <type_traits>
#include <utility>

namespace forma::kernels {

template <std::size_t N, class F>
inline void static_for(F&& f) {
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (f(std::integral_constant<std::size_t, I>{}), ...);
  }(std::make_index_sequence<N>{});
}

}  // namespace forma::kernels
