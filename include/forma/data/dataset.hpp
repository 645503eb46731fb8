#pragma once
// Dataset<XShape, Label>: N samples of the model's scalars with their labels
// (one-hot Tensors or class indices), in two arrays so that x() and y() go
// straight to Trainer::fit and evaluate.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "forma/core/random.hpp"
#include "forma/core/scalar.hpp"
#include "forma/core/tensor.hpp"
#include "forma/data/batches.hpp"
#include "forma/data/data_error.hpp"

namespace forma::data {

template <class XShape, class Label, Scalar T = float>
class Dataset {
 public:
  using sample_type = Tensor<XShape, T>;
  using label_type = Label;

  Dataset() = default;
  Dataset(std::vector<sample_type> x, std::vector<Label> y) : x_(std::move(x)), y_(std::move(y)) {
    if (x_.size() != y_.size())
      throw data_error("forma::data::Dataset: " + std::to_string(x_.size()) + " samples but " +
                       std::to_string(y_.size()) + " labels");
  }

  std::size_t size() const noexcept { return x_.size(); }
  bool empty() const noexcept { return x_.empty(); }

  std::span<const sample_type> x() const noexcept { return x_; }
  std::span<const Label> y() const noexcept { return y_; }
  std::span<sample_type> x() noexcept { return x_; }
  std::span<Label> y() noexcept { return y_; }

  // Fisher-Yates with the project's generator, drawing as Trainer::fit does
  // (j = next() % (i + 1), i from the last down), so a seed means the same
  // order everywhere. Labels move with their samples.
  void shuffle(SplitMix64& rng) {
    for (std::size_t i = x_.size(); i-- > 1;) {
      const std::size_t j = static_cast<std::size_t>(rng.next() % (i + 1));
      swap_in_place(x_[i], x_[j]);
      swap_in_place(y_[i], y_[j]);
    }
  }
  void shuffle(std::uint64_t seed) {
    SplitMix64 rng(seed);
    shuffle(rng);
  }

  // A copy of samples [begin, end), e.g. the last tenth for validation.
  Dataset slice(std::size_t begin, std::size_t end) const {
    if (begin > end || end > size())
      throw data_error("forma::data::Dataset::slice: [" + std::to_string(begin) + ", " + std::to_string(end) +
                       ") is not a range within the " + std::to_string(size()) + " samples");
    using diff = std::ptrdiff_t;
    return Dataset(std::vector<sample_type>(x_.begin() + static_cast<diff>(begin), x_.begin() + static_cast<diff>(end)),
                   std::vector<Label>(y_.begin() + static_cast<diff>(begin), y_.begin() + static_cast<diff>(end)));
  }

  // Views into this dataset, so not on a temporary one: in
  // for (auto b : ds.slice(0, n).batches<32>()) the slice would die first.
  template <std::size_t B>
  BatchView<B, sample_type, Label> batches() const& {
    return BatchView<B, sample_type, Label>(x_, y_);
  }
  template <std::size_t B>
  void batches() const&& = delete;

 private:
  // Element by element: a large Tensor never goes through a temporary on
  // the stack.
  template <class V>
  static void swap_in_place(V& a, V& b) noexcept {
    if constexpr (requires { a.begin(); a.end(); })
      std::swap_ranges(a.begin(), a.end(), b.begin());
    else
      std::swap(a, b);
  }

  std::vector<sample_type> x_;
  std::vector<Label> y_;
};

template <class S, Scalar T, class Label>
Dataset(std::vector<Tensor<S, T>>, std::vector<Label>) -> Dataset<S, Label, T>;

}  // namespace forma::data
