#pragma once
// batches<B>(x, y): consecutive batches of at most B samples with their
// labels, as spans; the last one holds the remainder. What
// Trainer::Session::train_on_batch takes.
#include <algorithm>
#include <cstddef>
#include <iterator>
#include <ranges>
#include <span>
#include <string>
#include <type_traits>

#include "forma/data/data_error.hpp"

namespace forma::data {

template <class X, class Y>
struct Batch {
  std::span<const X> x;
  std::span<const Y> y;
  std::size_t size() const noexcept { return x.size(); }
};

template <std::size_t B, class X, class Y>
class BatchView {
  static_assert(B > 0, "forma::data: a batch size must be above zero");

 public:
  using batch = Batch<X, Y>;

  BatchView() = default;
  BatchView(std::span<const X> x, std::span<const Y> y) : x_(x), y_(y) {
    if (x.size() != y.size())
      throw data_error("forma::data::batches: " + std::to_string(x.size()) + " samples but " +
                       std::to_string(y.size()) + " labels");
  }

  // Batch k: samples [k * B, min((k + 1) * B, n)).
  batch operator[](std::size_t k) const noexcept {
    const std::size_t first = k * B, count = std::min(B, x_.size() - first);
    return {x_.subspan(first, count), y_.subspan(first, count)};
  }
  std::size_t size() const noexcept { return (x_.size() + B - 1) / B; }
  bool empty() const noexcept { return x_.empty(); }

  class iterator {
   public:
    using iterator_concept = std::forward_iterator_tag;
    using iterator_category = std::input_iterator_tag;  // yields batches by value
    using value_type = batch;
    using difference_type = std::ptrdiff_t;

    iterator() = default;
    iterator(const BatchView* view, std::size_t k) : x_(view->x_), y_(view->y_), k_(k) {}

    batch operator*() const noexcept { return BatchView(x_, y_, no_check{})[k_]; }
    iterator& operator++() noexcept {
      ++k_;
      return *this;
    }
    iterator operator++(int) noexcept {
      iterator old = *this;
      ++k_;
      return old;
    }
    friend bool operator==(const iterator& a, const iterator& b) noexcept { return a.k_ == b.k_; }

   private:
    std::span<const X> x_;  // copies, so an iterator outlives a temporary view
    std::span<const Y> y_;
    std::size_t k_ = 0;
  };

  iterator begin() const noexcept { return iterator(this, 0); }
  iterator end() const noexcept { return iterator(this, size()); }

 private:
  struct no_check {};
  BatchView(std::span<const X> x, std::span<const Y> y, no_check) noexcept : x_(x), y_(y) {}

  std::span<const X> x_;
  std::span<const Y> y_;
};

// Batches of any two contiguous ranges of samples and labels of equal length.
template <std::size_t B, std::ranges::contiguous_range XR, std::ranges::contiguous_range YR>
auto batches(const XR& x, const YR& y) {
  using X = std::remove_cv_t<std::ranges::range_value_t<XR>>;
  using Y = std::remove_cv_t<std::ranges::range_value_t<YR>>;
  return BatchView<B, X, Y>(std::span<const X>(std::ranges::data(x), std::ranges::size(x)),
                            std::span<const Y>(std::ranges::data(y), std::ranges::size(y)));
}

}  // namespace forma::data
