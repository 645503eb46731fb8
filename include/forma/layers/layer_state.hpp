#pragma once
// A layer's non-trainable state: values it keeps beside its parameters that
// no gradient reaches and no optimizer updates (BatchNormalization's moving
// mean and variance). The model holds one state object per layer next to its
// params; weights files, checkpoints and exported headers carry it, and
// summary counts it as "Non-trainable params".
//
// A bound layer with state declares, beside params:
//   struct state { T data[N]; std::span<T> values(); span<const T> values() const; };
//   static constexpr std::size_t state_count;               // values saved
//   static constexpr std::array<tensor_layout, M> state_tensors;  // in state.values()
//   static void init_state(state&) noexcept;
// Its inference forward then takes the state after the params:
//   forward<Backend, LdIn>(const params&, const state&, rows, in, out)
// and a forward_train (layers/layer_context.hpp) takes it mutable, to update
// it from the batch. Layers without state declare none of it.
#include <array>
#include <cstddef>

#include "forma/core/tensor_layout.hpp"

namespace forma {

// The state of a layer that has none.
struct no_state {};

template <class B>
inline constexpr bool has_state = requires { typename B::state; };

template <class B>
struct state_type_of {
  using type = no_state;
};
template <class B>
  requires has_state<B>
struct state_type_of<B> {
  using type = typename B::state;
};
template <class B>
using state_of_t = typename state_type_of<B>::type;

template <class B>
inline constexpr std::size_t state_count_of = 0;
template <class B>
  requires has_state<B>
inline constexpr std::size_t state_count_of<B> = B::state_count;

template <class B>
inline constexpr std::array<tensor_layout, 0> state_tensors_of{};
template <class B>
  requires has_state<B>
inline constexpr auto state_tensors_of<B> = B::state_tensors;

template <class B>
void init_state(state_of_t<B>& s) noexcept {
  if constexpr (has_state<B>) B::init_state(s);
}

// Layer B's inference forward, given its state when it has one.
template <class B, class Backend, std::size_t LdIn, class P, class T>
void forward_with_state(const P& p, const state_of_t<B>& s, std::size_t rows, const T* in, T* out) noexcept {
  if constexpr (has_state<B>)
    B::template forward<Backend, LdIn>(p, s, rows, in, out);
  else
    B::template forward<Backend, LdIn>(p, rows, in, out);
}

}  // namespace forma
