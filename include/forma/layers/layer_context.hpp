#pragma once
// What a training step hands a layer that trains differently from how it
// infers (dropout, batch normalisation): where its cache and scratch lie in
// the trainer's block, and the seed of its randomness for this step.
//
// A bound layer asks for it by declaring forward_train<Backend, LdIn>(params,
// ctx, rows, in, out) beside forward (inference); its backward then takes
// the context after the gradient. Per row of the batch, it reserves
//   static constexpr std::size_t cache_size;    kept from forward to backward
//   static constexpr std::size_t scratch_size;  free for the step's use
// values of its scalar type (either may be absent: none). Both are sized at
// compile time and part of training_bytes<B>.
#include <cstddef>
#include <cstdint>

namespace forma {

template <class T>
struct layer_context {
  T* cache = nullptr;    // rows x cache_size, the layer's own
  T* scratch = nullptr;  // rows x scratch_size, shared by the layers in turn
  // Names this (training seed, epoch, step, layer): draws from it repeat
  // when the step is run again, on any number of threads.
  std::uint64_t seed = 0;
};

template <class B>
inline constexpr std::size_t cache_size_of = 0;
template <class B>
  requires requires { B::cache_size; }
inline constexpr std::size_t cache_size_of<B> = B::cache_size;
template <class B>
inline constexpr std::size_t scratch_size_of = 0;
template <class B>
  requires requires { B::scratch_size; }
inline constexpr std::size_t scratch_size_of<B> = B::scratch_size;

}  // namespace forma
