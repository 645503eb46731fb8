#pragma once
// What a loss is. A loss works one sample at a time on the N values of the
// model's output (`pred`) and a label: the sample's loss, and its gradient
// times `scale` (1 / the batch's real sample count, as Keras averages over
// the batch). Where the loss fuses with the output activation (softmax with
// categorical cross-entropy, sigmoid with binary cross-entropy) the gradient
// is taken with respect to the activation's input instead.
#include <concepts>
#include <string_view>

namespace forma {

template <class L>
concept LossFunction = requires {
  { L::name } -> std::convertible_to<std::string_view>;
  { L::from_logits } -> std::convertible_to<bool>;
};

}  // namespace forma
