#pragma once
// What a metric is: a name (Keras' key in logs and history) and a bind<N,
// Act, Loss, T> that accumulates over batches for a model whose output has N
// values after activation Act, trained with Loss (which fixes the labels).
#include <concepts>
#include <string_view>

namespace forma {

template <class M>
concept Metric = requires {
  { M::name } -> std::convertible_to<std::string_view>;
};

}  // namespace forma
