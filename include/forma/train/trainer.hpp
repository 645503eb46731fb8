#pragma once
// compile(model, loss, optimizer, metrics...) and the Trainer it returns:
// Keras' compile / fit / evaluate, with gradients and optimizer state that
// are objects of the model's own parameter type.
#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <memory>
#include <numeric>
#include <ostream>
#include <ranges>
#include <span>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "forma/core/flush_denormals.hpp"
#include "forma/core/random.hpp"
#include "forma/core/scalar.hpp"
#include "forma/core/tensor.hpp"
#include "forma/core/thread_pool.hpp"
#include "forma/kernels/backend.hpp"
#include "forma/kernels/optimizer_updates.hpp"
#include "forma/kernels/zip_rows.hpp"
#include "forma/layers/layer_context.hpp"
#include "forma/layers/layer_state.hpp"
#include "forma/model/executor.hpp"
#include "forma/model/network.hpp"
#include "forma/model/plan.hpp"
#include "forma/train/callbacks/callback.hpp"
#include "forma/train/history.hpp"
#include "forma/train/logs.hpp"
#include "forma/train/loss/loss_concepts.hpp"
#include "forma/train/metrics/metric_concepts.hpp"
#include "forma/train/optim/optimizer_concepts.hpp"
#include "forma/train/output_activation.hpp"
#include "forma/train/progress.hpp"
#include "forma/train/training_error.hpp"

namespace forma {

struct FitOptions {
  int epochs = 1;
  bool shuffle = true;
  std::uint64_t seed = 0;            // of the shuffling, and of layers' randomness (dropout)
  int initial_epoch = 0;             // resume at this epoch (Keras' initial_epoch)
  double validation_split = 0.0;     // the last fraction of the samples, taken before shuffling
  int verbose = 1;                   // 0 silent, 1 progress bar, 2 one line per epoch
  std::vector<Callback*> callbacks{};
  std::ostream* out = nullptr;       // std::cout when null
};

// Keras' validation_data=(x_val, y_val).
template <class X, class Y>
struct ValidationData {
  const X& x;
  const Y& y;
};
template <class X, class Y>
ValidationData(const X&, const Y&) -> ValidationData<X, Y>;

namespace detail {
template <class Net, class T, class Seq>
struct input_spans_of;
template <class Net, class T, std::size_t... I>
struct input_spans_of<Net, T, std::index_sequence<I...>> {
  using type = std::tuple<std::span<const Tensor<typename Net::template input_shape_of<I>, T>>...>;
};
}  // namespace detail

template <class Net, LossFunction Loss, Optimizer Opt, Metric... Ms>
class Trainer {
 public:
  using model_type = Net;
  using value_type = typename Net::value_type;
  using T = value_type;
  using params_type = typename Net::params_type;
  using model_state = typename Net::state_type;
  static constexpr std::size_t input_count = Net::input_count;
  template <std::size_t I>
  using input_tensor_of = Tensor<typename Net::template input_shape_of<I>, T>;
  using input_tensor = input_tensor_of<0>;
  // The samples of every input, one span each (the same length).
  using input_spans = typename detail::input_spans_of<Net, T, std::make_index_sequence<input_count>>::type;
  using output_tensor = Tensor<typename Net::output_shape, T>;
  using label_type = typename Loss::template label_type<typename Net::output_shape, T>;
  using optimizer_state = typename Opt::template state<params_type>;
  using output_activation = output_activation_t<Net>;

  static constexpr std::size_t layer_count = Net::layer_count;
  static constexpr std::size_t outputs = Net::output_shape::size;
  // Softmax + categorical cross-entropy and sigmoid + binary cross-entropy
  // take the loss's gradient straight to the activation's input.
  // (Rank-1 outputs only: a softmax along the last axis of a rank-2 output
  // normalises each row, and the fused form assumes one distribution.)
  static constexpr bool fused =
      Loss::template fuses_with<output_activation> && rank_is<typename Net::output_shape, 1>;

 private:
  template <class S>
  static constexpr std::size_t stride_of = padded<T>(S::size);
  template <std::size_t K>
  using bound = typename Net::template bound_layer<K>;
  template <std::size_t K>
  static constexpr bool computes = !bound<K>::is_view;
  template <std::size_t V>
  static constexpr std::size_t value_stride = stride_of<typename Net::template value_shape<V>>;
  template <std::size_t K>
  using reads = typename Net::template node_inputs<K>;
  template <std::size_t K>
  static constexpr bool merges = reads<K>::size() > 1;
  // A one-input layer's input value.
  template <std::size_t K>
  static constexpr std::size_t input_of = executor::first_input<Net, K>;
  template <std::size_t K>
  static constexpr std::size_t in_stride = value_stride<input_of<K>>;
  template <std::size_t K>
  static constexpr std::size_t out_stride = value_stride<input_count + K>;
  // Which values need a gradient and where it gathers (model/plan.hpp).
  // Backward work that feeds no parameter gradient is not done: the first
  // layer's input gradient, and all of it before the first layer with
  // weights.
  static constexpr auto& plan_ = plan::of<Net>::backward;

  // Offset of layer K's kept output in the activation block, per row.
  template <std::size_t K>
  static constexpr std::size_t activation_offset = detail::with_indices<K>(
      []<std::size_t... J>() { return (std::size_t{0} + ... + (computes<J> ? out_stride<J> : 0)); });
  static constexpr std::size_t activation_width = activation_offset<layer_count>;
  static constexpr std::size_t values = input_count + layer_count;
  static constexpr std::size_t delta_width = detail::with_indices<values>([]<std::size_t... V>() {
    std::size_t m = padded<T>(outputs);
    ((m = std::max(m, value_stride<V>)), ...);
    return m;
  });
  // Gradient slots: as many as the plan keeps open at once, and at least
  // two, since a forward pass summed in halves uses the second as scratch.
  static constexpr std::size_t delta_slots = std::max<std::size_t>(plan_.slots, 2);
  template <std::size_t I>
  static constexpr std::size_t input_offset = detail::with_indices<I>(
      []<std::size_t... J>() { return (std::size_t{0} + ... + value_stride<J>); });
  static constexpr std::size_t input_width = input_offset<input_count>;
  // Layers that train differently from how they infer (layers/layer_context.hpp).
  template <std::size_t K>
  static constexpr bool trains_apart =
      requires { &bound<K>::template forward_train<kernels::native, in_stride<K>>; };
  template <std::size_t K>
  static constexpr std::size_t cache_offset = detail::with_indices<K>(
      []<std::size_t... J>() { return (std::size_t{0} + ... + cache_size_of<bound<J>>); });
  static constexpr std::size_t cache_width = cache_offset<layer_count>;
  static constexpr std::size_t scratch_width = detail::with_indices<layer_count>([]<std::size_t... K>() {
    std::size_t m = 0;
    ((m = std::max(m, scratch_size_of<bound<K>>)), ...);
    return m;
  });

 public:
  // Gradients and optimizer state, one heap block for the trainer's life.
  struct state_block {
    params_type gradients{};
    optimizer_state optimizer{};
  };
  static constexpr std::size_t state_bytes = sizeof(state_block);

  // Everything one step on a batch of B samples touches besides the model
  // and the state block: allocated once when fit or a Session starts.
  template <std::size_t B>
  struct batch_block {
    static_assert(B > 0, "forma: a batch size must be above zero");
    alignas(row_alignment) T input[B * input_width];  // input I's rows from B * input_offset<I>
    alignas(row_alignment) T activations[B * activation_width];
    alignas(row_alignment) T deltas[delta_slots][B * delta_width];
    alignas(row_alignment) T cache[B * cache_width + 1];  // + 1: never empty
    alignas(row_alignment) T scratch[B * scratch_width + 1];
    label_type labels[B];
    // Names this step's randomness (layer_context::seed is it mixed with
    // the layer's index).
    std::uint64_t step_seed = 0;
  };
  template <std::size_t B>
  static constexpr std::size_t batch_bytes = sizeof(batch_block<B>);
  // All the memory training with batch size B adds to the model's own.
  template <std::size_t B>
  static constexpr std::size_t training_bytes = state_bytes + batch_bytes<B>;

  Trainer(Net& model, Loss loss, Opt optimizer, Ms... metrics)
      : model_(&model), loss_(loss), optimizer_(optimizer), metric_tags_(metrics...),
        state_(std::make_unique<state_block>()) {
    Loss::template check_output<output_activation>();
    [&]<std::size_t... K>(std::index_sequence<K...>) { (check_backward<K>(), ...); }(
        std::make_index_sequence<layer_count>{});
  }

  // Runs each training step on n threads (1, the default, runs on the
  // caller's alone). The threads are made here, once; steps reuse them.
  void set_threads(std::size_t n) {
    if (n == 0) throw std::invalid_argument("forma: set_threads needs at least one thread");
    pool_ = n == 1 ? nullptr : std::make_unique<ThreadPool>(n);
  }
  std::size_t threads() const noexcept { return pool_ ? pool_->size() : 1; }

  Net& model() noexcept { return *model_; }
  Opt& optimizer() noexcept { return optimizer_; }
  const Opt& optimizer() const noexcept { return optimizer_; }
  optimizer_state& optimizer_state_of() noexcept { return state_->optimizer; }
  // The gradient of the loss from the last compute_gradients call (training
  // steps apply each gradient tile as it is made, never storing it).
  const params_type& gradients() const noexcept { return state_->gradients; }

  // Names of what evaluate returns, in order: "loss", then each metric.
  static std::array<std::string, 1 + sizeof...(Ms)> metric_names() {
    return {std::string("loss"), std::string(Ms::name)...};
  }

  // Buffers for batch size B, and steps on batches given by the caller
  // (Keras' train_on_batch and test_on_batch). A step allocates nothing.
  template <std::size_t B>
  class Session {
   public:
    // seed names the randomness of layers that draw some (dropout): step n
    // of a session draws the same on any number of threads, every run.
    explicit Session(Trainer& t, std::uint64_t seed = 0)
        : t_(&t), b_(std::make_unique<batch_block<B>>()), seed_(seed) {}

    // The index of the next train_on_batch step (compute_gradients does not
    // advance it, so it repeats the draws of that step).
    std::size_t step() const noexcept { return step_; }
    void set_step(std::size_t n) noexcept { step_ = n; }

    // One optimizer step on at most B samples (a span of them, or with
    // several inputs a tuple of spans); returns their mean loss.
    template <class X>
    double train_on_batch(const X& x, std::span<const label_type> y) {
      const std::size_t rows = load(Trainer::samples(x), y);
      b_->step_seed = mix_seed(seed_, step_++);
      const auto [loss, finite] = t_->template train_step<B>(*b_, rows);
      Trainer::check_step(loss, finite, -1, 0);
      return loss;
    }
    // The mean loss and, in gradients(), its gradient; the weights stay.
    template <class X>
    double compute_gradients(const X& x, std::span<const label_type> y) {
      const std::size_t rows = load(Trainer::samples(x), y);
      b_->step_seed = mix_seed(seed_, step_);
      const ScopedFlushDenormals flush;
      return t_->template step<B>(*b_, rows, true);
    }
    batch_block<B>& buffers() noexcept { return *b_; }

   private:
    std::size_t load(const input_spans& x, std::span<const label_type> y) {
      const std::size_t n = Trainer::sample_count(x, "a batch");
      if (n != y.size() || n == 0 || n > B)
        throw std::invalid_argument("forma: a batch needs between 1 and " + std::to_string(B) +
                                    " samples with as many labels; got " + std::to_string(n) +
                                    " samples and " + std::to_string(y.size()) + " labels");
      t_->check_labels(y, 0);
      t_->template put_rows<B>(*b_, n, [&](std::size_t r) { return r; }, x, y);
      return n;
    }
    Trainer* t_;
    std::unique_ptr<batch_block<B>> b_;
    std::uint64_t seed_;
    std::size_t step_ = 0;
  };
  template <std::size_t B>
  Session<B> session(std::uint64_t seed = 0) {
    return Session<B>(*this, seed);
  }

  // x: the samples, a contiguous range of input tensors; with several
  // inputs, a tuple of such ranges (std::tie(x1, x2)), one per Input.
  template <std::size_t B, class X, class Y>
  History fit(const X& x, const Y& y, const FitOptions& options = {}) {
    const auto xs = samples(x);
    const auto ys = labels(y);
    const std::size_t n = sample_count(xs, "fit");
    check_counts(n, ys.size(), "fit");
    if (!(options.validation_split >= 0.0 && options.validation_split < 1.0))
      throw std::invalid_argument("forma: fit's validation_split must be in [0, 1)");
    const auto split = static_cast<std::size_t>(static_cast<double>(n) * (1.0 - options.validation_split));
    return fit_spans<B>(subspans(xs, 0, split), ys.first(split), subspans(xs, split, n - split), ys.subspan(split),
                        options);
  }

  template <std::size_t B, class X, class Y, class VX, class VY>
  History fit(const X& x, const Y& y, ValidationData<VX, VY> validation, const FitOptions& options = {}) {
    const auto xs = samples(x);
    const auto ys = labels(y);
    const auto vx = samples(validation.x);
    const auto vy = labels(validation.y);
    check_counts(sample_count(xs, "fit"), ys.size(), "fit");
    check_counts(sample_count(vx, "fit's validation data"), vy.size(), "fit's validation data");
    return fit_spans<B>(xs, ys, vx, vy, options);
  }

  // A dataset: anything with x() and y() ranges (forma::data::Dataset).
  template <std::size_t B, class D>
    requires requires(const D& d) { d.x(); d.y(); }
  History fit(const D& d, const FitOptions& options = {}) {
    return fit<B>(d.x(), d.y(), options);
  }
  template <std::size_t B, class D, class V>
    requires requires(const D& d, const V& v) { d.x(); d.y(); v.x(); v.y(); }
  History fit(const D& d, const V& validation, const FitOptions& options = {}) {
    return fit<B>(d.x(), d.y(), ValidationData{validation.x(), validation.y()}, options);
  }
  template <std::size_t B, class D>
    requires requires(const D& d) { d.x(); d.y(); }
  std::array<double, 1 + sizeof...(Ms)> evaluate(const D& d) {
    return evaluate<B>(d.x(), d.y());
  }

  // The mean loss over all samples, then each metric.
  template <std::size_t B, class X, class Y>
  std::array<double, 1 + sizeof...(Ms)> evaluate(const X& x, const Y& y) {
    const auto xs = samples(x);
    const auto ys = labels(y);
    check_counts(sample_count(xs, "evaluate"), ys.size(), "evaluate");
    check_labels(ys, 0);
    return evaluate_spans<B>(xs, ys);
  }

 private:
  using metric_states = std::tuple<typename Ms::template bind<outputs, output_activation, Loss, T>...>;
  // Where each value of the graph lies in the batch block (inputs, then
  // each node's output; a view's is its input's).
  using value_pointers = std::array<const T*, values>;

  // The samples of input I.
  template <std::size_t I, class X>
  static std::span<const input_tensor_of<I>> samples_of(const X& x) {
    using E = input_tensor_of<I>;
    static_assert(std::ranges::contiguous_range<X>, "forma: samples must be a contiguous range of Tensors");
    if constexpr (std::ranges::contiguous_range<X>) {
      using R = std::remove_cv_t<std::ranges::range_value_t<X>>;
      static_assert(std::is_same_v<R, E>, "forma: samples must be Tensors of the model's input shape and scalar type");
      if constexpr (std::is_same_v<R, E>) return std::span<const E>(std::ranges::data(x), std::ranges::size(x));
    }
    return std::span<const E>{};
  }
  // One range for a model of one input; a tuple of them, one per Input
  // (std::tie(x1, x2)), for several.
  template <class X>
  static input_spans samples(const X& x) {
    if constexpr (input_count == 1 && std::ranges::range<X>) {
      return input_spans(samples_of<0>(x));
    } else {
      static_assert(requires { std::tuple_size<X>::value; } && std::tuple_size<X>::value == input_count,
                    "forma: a model with several inputs takes a std::tuple of sample ranges, one per Input");
      if constexpr (requires { std::tuple_size<X>::value; } && std::tuple_size<X>::value == input_count)
        return [&]<std::size_t... I>(std::index_sequence<I...>) {
          return input_spans(samples_of<I>(std::get<I>(x))...);
        }(std::make_index_sequence<input_count>{});
      else
        return input_spans{};
    }
  }
  // How many samples there are; every input must have as many.
  static std::size_t sample_count(const input_spans& x, const char* what) {
    const std::size_t n = std::get<0>(x).size();
    std::apply([&](const auto&... s) {
      if (((s.size() != n) || ...))
        throw std::invalid_argument(std::string("forma: ") + what + " got inputs of different lengths (" +
                                    ((std::to_string(s.size()) + " ") + ...) + "samples)");
    }, x);
    return n;
  }
  static input_spans subspans(const input_spans& x, std::size_t first, std::size_t count) {
    return std::apply([&](const auto&... s) { return input_spans(s.subspan(first, count)...); }, x);
  }
  template <class Y>
  static std::span<const label_type> labels(const Y& y) {
    static_assert(std::ranges::contiguous_range<Y>, "forma: labels must be a contiguous range");
    using E = std::remove_cv_t<std::ranges::range_value_t<Y>>;
    static_assert(std::is_same_v<E, label_type>,
                  "forma: labels must have the model's output shape (or be class indices for a sparse loss)");
    if constexpr (std::is_same_v<E, label_type>)
      return std::span<const label_type>(std::ranges::data(y), std::ranges::size(y));
    else
      return std::span<const label_type>{};
  }
  static void check_counts(std::size_t nx, std::size_t ny, const char* what) {
    if (nx != ny)
      throw std::invalid_argument(std::string("forma: ") + what + " got " + std::to_string(nx) + " samples but " +
                                  std::to_string(ny) + " labels");
  }
  void check_labels(std::span<const label_type> y, std::size_t first_index) const {
    if constexpr (std::is_integral_v<label_type>) {
      for (std::size_t i = 0; i < y.size(); ++i)
        if (y[i] >= outputs)
          throw std::out_of_range("forma: label " + std::to_string(y[i]) + " of sample " +
                                  std::to_string(first_index + i) + " is not a class below " +
                                  std::to_string(outputs));
    }
  }

  // Batch row r from sample source(r), the copying shared by the threads
  // (a CIFAR-10 batch is 400 KB).
  template <std::size_t B, class Source>
  void put_rows(batch_block<B>& b, std::size_t rows, Source source, const input_spans& x,
                std::span<const label_type> y) noexcept {
    on_threads([&](std::size_t i, std::size_t n) {
      const share part = share_of(rows, 1, i, n);
      // rows <= B always; saying so keeps g++ 12 from warning that a row
      // past B would overflow the block (-Wstringop-overflow).
      const std::size_t end = std::min(part.end, B);
      for (std::size_t r = part.begin; r < end; ++r) {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
          (std::memcpy(b.input + B * input_offset<I> + r * input_tensor_of<I>::stride, std::get<I>(x)[source(r)].data(),
                       sizeof(input_tensor_of<I>)),
           ...);
        }(std::make_index_sequence<input_count>{});
        b.labels[r] = y[source(r)];
      }
    });
  }

  static auto label_arg(const label_type& y) noexcept {
    if constexpr (std::is_integral_v<label_type>)
      return y;
    else
      return y.data();
  }

  // Forward with every layer's output kept, the loss, the metrics, and the
  // backward pass into state_->gradients. Returns the mean loss of the rows.
  template <std::size_t B>
  double step(batch_block<B>& b, std::size_t rows, bool with_metrics) noexcept {
    value_pointers acts{};
    const double loss = forward_and_loss<B>(b, rows, acts, with_metrics);
    bool finite = true;
    backward<B>(b, rows, acts, no_update{}, finite);
    return loss;
  }

  // One optimizer step: forward and loss, then backward with each layer's
  // update fused in (layers that cannot fuse store their gradient and are
  // updated right after it), on the trainer's threads. Returns the mean
  // loss and whether every update was finite; a loss that is not finite
  // updates nothing.
  template <std::size_t B>
  std::pair<double, bool> train_step(batch_block<B>& b, std::size_t rows) noexcept {
    const ScopedFlushDenormals flush;
    value_pointers acts{};
    const double loss = forward_and_loss<B>(b, rows, acts, true);
    if (!std::isfinite(loss)) return {loss, true};
    bool finite = true;
    backward<B>(b, rows, acts, optimizer_.template begin_step<T>(state_->optimizer), finite);
    return {loss, finite};
  }

  // The backward pass from the loss's gradient in deltas[0], last layer first.
  template <std::size_t B, class Rule>
  void backward(batch_block<B>& b, std::size_t rows, const value_pointers& acts, const Rule& rule,
                bool& finite) noexcept {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (backward_layer<layer_count - 1 - I>(b, rows, acts, rule, finite), ...);
    }(std::make_index_sequence<layer_count>{});
  }
  // The columns of value V's gradient that its own node reads: a
  // Concatenate reads only its inputs' parts that need a gradient, so the
  // layers writing that gradient compute no others. In whole 64-byte lines.
  template <std::size_t V>
  static constexpr share needed_columns = [] {
    constexpr std::size_t size = Net::template value_shape<V>::size;
    if constexpr (V < input_count) {
      return share{0, size};
    } else if constexpr (requires { bound<V - input_count>::input_columns; }) {
      constexpr std::size_t line = row_alignment / sizeof(T);
      share hull{size, 0};
      [&]<std::size_t... J, std::size_t... U>(std::index_sequence<J...>, std::index_sequence<U...>) {
        ((plan_.needs[U] ? (hull.begin = std::min(hull.begin, bound<V - input_count>::input_columns[J].begin),
                            hull.end = std::max(hull.end, bound<V - input_count>::input_columns[J].end))
                         : 0),
         ...);
      }(std::make_index_sequence<reads<V - input_count>::size()>{}, reads<V - input_count>{});
      if (hull.begin >= hull.end) return share{0, size};
      return share{hull.begin / line * line, std::min(size, (hull.end + line - 1) / line * line)};
    } else {
      return share{0, size};
    }
  }();

  // Every layer the plan runs backward has a backward pass.
  template <std::size_t K>
  static constexpr bool has_backward = !plan_.needs[input_count + K] || BackwardLayer<bound<K>, T, in_stride<K>>;
  template <std::size_t K>
  static constexpr void check_backward() {
    static_assert(has_backward<K>,
                  "forma::compile: a layer the model runs backward for training has no backward pass; give its "
                  "bind a backward<Backend, LdIn, InputGrad, SkipActivation>(...) (see the README's custom layer)");
  }

  // Layer K's context for this step.
  template <std::size_t K, std::size_t B>
  static layer_context<T> context_of(batch_block<B>& b) noexcept {
    return {b.cache + B * cache_offset<K>, b.scratch, mix_seed(b.step_seed, K)};
  }
  // The gradient of value V (its slot in the plan).
  template <std::size_t V, std::size_t B>
  static T* delta_of(batch_block<B>& b) noexcept {
    static_assert(plan_.delta[V] != plan::none);
    return b.deltas[plan_.delta[V]];
  }

  // f(index, threads) on every thread of the pool (or on this one alone),
  // each with subnormals flushed like the calling thread.
  // Work below this many multiply-adds runs on the calling thread alone:
  // handing it out and bringing the other thread's results back costs more
  // than it saves (a 150 -> 10 layer at batch 32 is 48,000).
  static constexpr std::size_t min_shared_work = 1 << 17;

  template <class F>
  void on_threads(F&& f, std::size_t work = min_shared_work) noexcept {
    if (!pool_ || work < min_shared_work) {
      f(std::size_t{0}, std::size_t{1});
      return;
    }
    const std::size_t n = pool_->size();
    auto job = [&](std::size_t i) noexcept {
      const ScopedFlushDenormals flush;
      f(i, n);
    };
    pool_->run(job);
  }

  // Every layer's output kept in the batch block (acts), then the loss, its
  // gradient at the output into deltas[0], and the metrics.
  template <std::size_t B>
  double forward_and_loss(batch_block<B>& b, std::size_t rows, value_pointers& acts,
                          bool with_metrics) noexcept {
    for (std::size_t i = 0; i < input_count; ++i) acts[i] = b.input + B * detail::with_indices<input_count>(
        [i]<std::size_t... I>() { std::size_t o = 0, k = 0; ((o = k++ == i ? input_offset<I> : o), ...); return o; });
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      (forward_layer<K>(b, rows, acts), ...);
    }(std::make_index_sequence<layer_count>{});

    const T* out = acts[values - 1];
    constexpr std::size_t ld = padded<T>(outputs);
    T* d = plan_.delta[values - 1] == plan::none ? b.deltas[0] : b.deltas[plan_.delta[values - 1]];
    const T scale = T(1) / static_cast<T>(rows);
    double loss = 0;
    for (std::size_t r = 0; r < rows; ++r) {
      loss += static_cast<double>(Loss::template sample_loss<outputs>(out + r * ld, label_arg(b.labels[r])));
      Loss::template sample_gradient<outputs, output_activation>(out + r * ld, label_arg(b.labels[r]), scale,
                                                                 d + r * ld);
      for (std::size_t j = outputs; j < ld; ++j) d[r * ld + j] = T(0);
      if (with_metrics) std::apply([&](auto&... m) { (m.update(out + r * ld, b.labels[r]), ...); }, metrics_);
    }
    return loss / static_cast<double>(rows);
  }

  // Layers that can share their columns among threads do (a dense layer:
  // each thread reads part of the kernel, or of a half of it); the others
  // share the batch's rows, which every layer treats independently.
  template <std::size_t K, std::size_t B>
  void forward_layer(batch_block<B>& b, std::size_t rows, value_pointers& acts) noexcept {
    if constexpr (merges<K>) {
      T* dst = b.activations + B * activation_offset<K>;
      [&]<std::size_t... V>(std::index_sequence<V...>) {
        bound<K>::template forward<kernels::native>(std::get<K>(model_->params()), rows,
                                                    std::array<const T*, sizeof...(V)>{acts[V]...}, dst);
      }(reads<K>{});
      acts[input_count + K] = dst;
    } else if constexpr (trains_apart<K>) {
      // On this thread alone: such a layer may need the whole batch at once
      // (batch statistics), and updates its state from it.
      T* dst = b.activations + B * activation_offset<K>;
      if constexpr (has_state<bound<K>>)
        bound<K>::template forward_train<kernels::native, in_stride<K>>(
            std::get<K>(model_->params()), std::get<K>(model_->state()), context_of<K>(b), rows, acts[input_of<K>],
            dst);
      else
        bound<K>::template forward_train<kernels::native, in_stride<K>>(std::get<K>(model_->params()),
                                                                       context_of<K>(b), rows, acts[input_of<K>], dst);
      acts[input_count + K] = dst;
    } else if constexpr (computes<K>) {
      T* dst = b.activations + B * activation_offset<K>;
      const T* src = acts[input_of<K>];
      const auto& p = std::get<K>(model_->params());
      constexpr bool shares = requires { &bound<K>::template forward_share<kernels::native, in_stride<K>>; };
      // A half sum's scratch: the second delta buffer, which nothing reads
      // before the backward pass writes it (delta_width covers every
      // layer's output).
      T* scratch = b.deltas[1];
      on_threads([&](std::size_t i, std::size_t n) {
        if constexpr (shares) {
          bound<K>::template forward_share<kernels::native, in_stride<K>>(p, rows, src, dst, scratch, i, n);
        } else {
          const share part = share_of(rows, 1, i, n);
          if (part.begin < part.end)
            forward_with_state<bound<K>, kernels::native, in_stride<K>>(
                p, std::get<K>(std::as_const(*model_).state()), part.end - part.begin, src + part.begin * in_stride<K>,
                dst + part.begin * out_stride<K>);
        }
      }, rows * bound<K>::forward_flops / 2);
      if constexpr (shares) bound<K>::template forward_finish<kernels::native>(rows, dst, scratch);
      acts[input_count + K] = dst;
    } else {
      acts[input_count + K] = acts[input_of<K>];
    }
  }

  // Layer K's backward: with no_update its parameter gradient goes to
  // state_->gradients (compute_gradients); with an optimizer's rule the
  // layer is updated too, fused into its backward where the layer offers it.
  struct no_update {};

  template <std::size_t K, std::size_t B, class Rule>
  void backward_layer(batch_block<B>& b, std::size_t rows, const value_pointers& acts, const Rule& rule,
                      bool& finite) noexcept {
    constexpr std::size_t v = input_count + K;
    if constexpr (!plan_.needs[v] || plan_.alias[K] || !has_backward<K>) {
      // Nothing before it learns, or a view whose gradient is its input's
      // (or a layer without a backward pass, which the constructor reports).
    } else if constexpr (merges<K>) {
      // Each input's gradient from the output's, written or added in place.
      T* d = delta_of<v>(b);
      auto& p = std::get<K>(model_->params());
      [&]<std::size_t... J, std::size_t... V>(std::index_sequence<J...>, std::index_sequence<V...>) {
        const std::array<const T*, sizeof...(V)> ins{acts[V]...};
        (
            [&] {
              if constexpr (plan_.needs[V])
                bound<K>::template backward_input<kernels::native, J, !plan_.first[K][J]>(p, rows, ins, acts[v], d,
                                                                                          delta_of<V>(b));
            }(),
            ...);
      }(std::make_index_sequence<reads<K>::size()>{}, reads<K>{});
    } else if constexpr (!computes<K>) {
      // A view of a value others read too: its gradient is added to theirs.
      constexpr std::size_t u = input_of<K>;
      constexpr bool add = !plan_.first[K][0];
      kernels::zip_rows<value_stride<u>>(kernels::native{}, rows, delta_of<u>(b),
                                         std::array<const T*, 1>{delta_of<v>(b)},
                                         [](auto acc, auto x) { return add ? acc + x : x; });
    } else {
      constexpr std::size_t u = input_of<K>;
      constexpr bool input_grad = plan_.needs[u];
      // An input gradient to add to one already there goes to scratch first.
      constexpr bool add = input_grad && !plan_.first[K][0];
      constexpr bool skip_activation = fused && K == layer_count - 1;
      T* d = delta_of<v>(b);
      T* din = nullptr;
      if constexpr (add)
        din = b.deltas[plan_.scratch[K]];
      else if constexpr (input_grad)
        din = delta_of<u>(b);
      auto& p = std::get<K>(model_->params());
      if constexpr (trains_apart<K>) {
        bound<K>::template backward<kernels::native, in_stride<K>, input_grad, skip_activation>(
            p, std::get<K>(state_->gradients), context_of<K>(b), rows, acts[u], acts[v], d, din);
        if constexpr (bound<K>::param_count > 0 && !std::is_same_v<Rule, no_update>) {
          auto& g = std::get<K>(state_->gradients);
          const auto slots = Opt::template slots_of<K, T>(state_->optimizer);
          finite &= kernels::apply_rule(kernels::native{}, rule, p.values().data(), g.values().data(), slots,
                                        p.values().size());
        }
      } else if constexpr (std::is_same_v<Rule, no_update>) {
        bound<K>::template backward<kernels::native, in_stride<K>, input_grad, skip_activation>(
            p, std::get<K>(state_->gradients), rows, acts[u], acts[v], d, din);
      } else if constexpr (requires { bound<K>::fuses_update; }) {
        if constexpr (!skip_activation) bound<K>::template activation_backward<kernels::native>(rows, acts[v], d);
        const auto slots = Opt::template slots_of<K, T>(state_->optimizer);
        std::atomic<bool> all_finite{true};
        const T* dz = d;
        on_threads([&](std::size_t i, std::size_t n) {
          if (!bound<K>::template update_share<kernels::native, in_stride<K>, input_grad>(
                  p, slots, rule, rows, acts[u], dz, din, i, n, needed_columns<u>))
            all_finite.store(false, std::memory_order_relaxed);
        }, rows * bound<K>::forward_flops);  // both products, about

        finite &= all_finite.load(std::memory_order_relaxed);
      } else {
        auto& g = std::get<K>(state_->gradients);
        bound<K>::template backward<kernels::native, in_stride<K>, input_grad, skip_activation>(p, g, rows, acts[u],
                                                                                               acts[v], d, din);
        if constexpr (bound<K>::param_count > 0) {
          const auto slots = Opt::template slots_of<K, T>(state_->optimizer);
          finite &= kernels::apply_rule(kernels::native{}, rule, p.values().data(), g.values().data(), slots,
                                        p.values().size());
        }
      }
      if constexpr (add)
        kernels::zip_rows<in_stride<K>>(kernels::native{}, rows, delta_of<u>(b), std::array<const T*, 1>{din},
                                        [](auto acc, auto x) { return acc + x; });
    }
  }

  // Throws if the step's loss or its update was not finite. Epoch -1 means
  // a step outside fit.
  static void check_step(double loss, bool update_finite, int epoch, std::size_t step) {
    auto where = [&] {
      return epoch < 0 ? std::string("in train_on_batch")
                       : "at epoch " + std::to_string(epoch + 1) + ", step " + std::to_string(step + 1);
    };
    if (!std::isfinite(loss))
      throw training_diverged("forma: the loss became " + std::string(std::isnan(loss) ? "NaN" : "infinite") + ' ' +
                                  where() + "; training stopped with the weights of the step before",
                              epoch, step);
    if (!update_finite)
      throw training_diverged("forma: a weight update was not finite " + where() +
                                  "; training stopped and those weights keep their last finite values",
                              epoch, step);
  }

  template <std::size_t B>
  double step_checked(batch_block<B>& b, std::size_t rows, int epoch, std::size_t s) {
    const auto [loss, finite] = train_step<B>(b, rows);
    check_step(loss, finite, epoch, s);
    return loss;
  }

  void reset_metrics() noexcept {
    std::apply([](auto&... m) { (m.reset(), ...); }, metrics_);
  }
  void add_metrics(Logs& logs, const std::string& prefix) const {
    std::apply([&](const auto&... m) { (logs.set(prefix + std::string(Ms::name), m.result()), ...); }, metrics_);
  }

  template <std::size_t B>
  std::array<double, 1 + sizeof...(Ms)> evaluate_spans(const input_spans& xs, std::span<const label_type> ys) {
    auto ws = std::make_unique<typename Net::template workspace<B>>();
    auto out = std::make_unique<std::array<output_tensor, B>>();
    reset_metrics();
    double loss = 0;
    const std::size_t n = std::get<0>(xs).size();
    for (std::size_t i = 0; i < n; i += B) {
      const std::size_t rows = std::min(B, n - i);
      const auto x =
          std::apply([&](const auto&... s) { return std::array<const T*, input_count>{s[i].data()...}; }, xs);
      model_->template forward<kernels::native, B>(rows, x, (*out)[0].data(), *ws);
      for (std::size_t r = 0; r < rows; ++r) {
        loss += static_cast<double>(Loss::template sample_loss<outputs>((*out)[r].data(), label_arg(ys[i + r])));
        std::apply([&](auto&... m) { (m.update((*out)[r].data(), ys[i + r]), ...); }, metrics_);
      }
    }
    std::array<double, 1 + sizeof...(Ms)> result{};
    result[0] = n == 0 ? 0.0 : loss / static_cast<double>(n);
    std::size_t k = 1;
    std::apply([&](const auto&... m) { ((result[k++] = m.result()), ...); }, metrics_);
    return result;
  }

  class control final : public TrainingControl {
   public:
    explicit control(Trainer& t) : t_(t) {}
    double learning_rate() const override { return t_.optimizer_.learning_rate; }
    void set_learning_rate(double lr) override { t_.optimizer_.learning_rate = lr; }
    void stop_training() override { stop = true; }
    std::unique_ptr<WeightsSnapshot> snapshot_weights() const override {
      auto s = std::make_unique<snapshot>();
      s->weights = std::make_unique<params_type>(t_.model_->params());
      s->state = std::make_unique<model_state>(t_.model_->state());
      return s;
    }
    void restore_weights(const WeightsSnapshot& s) override {
      const auto* mine = dynamic_cast<const snapshot*>(&s);
      if (!mine) throw std::invalid_argument("forma: restore_weights got a snapshot of another model");
      t_.model_->params() = *mine->weights;
      t_.model_->state() = *mine->state;
    }
    bool stop = false;

   private:
    struct snapshot final : WeightsSnapshot {
      std::unique_ptr<params_type> weights;
      std::unique_ptr<model_state> state;  // non-trainable (moving statistics)
    };
    Trainer& t_;
  };

  template <std::size_t B>
  History fit_spans(const input_spans& xs, std::span<const label_type> ys, const input_spans& vx,
                    std::span<const label_type> vy, const FitOptions& o) {
    const std::size_t n = ys.size();
    check_labels(ys, 0);
    check_labels(vy, n);
    if (n == 0) throw std::invalid_argument("forma: fit got no training samples");
    std::ostream& os = o.out ? *o.out : std::cout;
    ProgressBar bar(os, o.verbose, is_terminal(os));
    auto b = std::make_unique<batch_block<B>>();
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), std::size_t{0});
    const std::size_t steps = (n + B - 1) / B;
    control ctl(*this);
    History history;

    for (Callback* c : o.callbacks) c->on_train_begin(ctl);
    for (int epoch = o.initial_epoch; epoch < o.epochs && !ctl.stop; ++epoch) {
      for (Callback* c : o.callbacks) c->on_epoch_begin(epoch, ctl);
      if (o.shuffle) {
        // Each epoch's order depends only on (seed, epoch), so training
        // resumed at an epoch sees the batches it would have seen.
        std::iota(order.begin(), order.end(), std::size_t{0});
        SplitMix64 rng(SplitMix64(o.seed).next() ^ static_cast<std::uint64_t>(epoch));
        for (std::size_t i = order.size() - 1; i > 0; --i) std::swap(order[i], order[rng.next() % (i + 1)]);
      }
      reset_metrics();
      bar.epoch_begin(epoch, o.epochs, steps);
      double loss_sum = 0;
      for (std::size_t s = 0; s < steps; ++s) {
        const std::size_t first = s * B, rows = std::min(B, n - first);
        put_rows<B>(*b, rows, [&](std::size_t r) { return order[first + r]; }, xs, ys);
        // Layers' randomness, from (seed, epoch, step) alone, as the order.
        b->step_seed = mix_seed(mix_seed(o.seed, static_cast<std::uint64_t>(epoch)), s);
        loss_sum += step_checked<B>(*b, rows, epoch, s) * static_cast<double>(rows);
        if (bar.wants_step(s + 1)) {
          Logs running;
          running.set("loss", loss_sum / static_cast<double>(first + rows));
          add_metrics(running, "");
          bar.step(s + 1, running);
        }
      }
      Logs logs;
      logs.set("loss", loss_sum / static_cast<double>(n));
      add_metrics(logs, "");
      if (!vy.empty()) {
        const auto v = evaluate_spans<B>(vx, vy);
        logs.set("val_loss", v[0]);
        std::size_t k = 1;
        ((logs.set("val_" + std::string(Ms::name), v[k++])), ...);
      }
      history.record(epoch, logs);
      bar.epoch_end(logs);
      for (Callback* c : o.callbacks) c->on_epoch_end(epoch, logs, ctl);
    }
    for (Callback* c : o.callbacks) c->on_train_end(ctl);
    return history;
  }

  Net* model_;
  Loss loss_;
  Opt optimizer_;
  std::tuple<Ms...> metric_tags_;
  metric_states metrics_{};
  std::unique_ptr<state_block> state_;
  std::unique_ptr<ThreadPool> pool_;
};

// Keras' model.compile(loss=..., optimizer=..., metrics=[...]): a trainer
// bound to the model, owning gradients and optimizer state.
// (The optimizer is checked here rather than constrained, so that the error
// says what an optimizer needs instead of "no matching function".)
template <class Net, LossFunction Loss, class Opt, Metric... Ms>
auto compile(Net& model, Loss loss, Opt optimizer, Ms... metrics) {
  static_assert(Optimizer<Opt>,
                "forma::compile: the optimizer must model forma::Optimizer: a name, a learning_rate, a state<Params>, "
                "and its update as rule<T> with begin_step (see forma/train/optim/rmsprop.hpp)");
  if constexpr (Optimizer<Opt>) return Trainer<Net, Loss, Opt, Ms...>(model, loss, optimizer, metrics...);
}

}  // namespace forma
