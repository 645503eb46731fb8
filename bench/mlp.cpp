// forma on the seed MLP, CIFAR-10 and Fashion-MNIST shapes: a training step
// at batch 32 (Adam), a full epoch, batch-1 latency and batch-256 throughput.
// Peers (bench/peers/) and the machine's limits (peak.cpp) are linked into
// the same binary; bench/run.sh runs it interleaved and bench/report.py
// turns the results into the README's table.
//   meson compile -C build/bench bench_mlp && build/bench/bench/bench_mlp
#include <benchmark/benchmark.h>

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <initializer_list>
#include <vector>

#include <forma/core/thread_pool.hpp>
#include <forma/forma.hpp>

#include "bench_support.hpp"
#include "mlp_shapes.hpp"

namespace {

using namespace forma;

template <class In>
using SeedMlp = Sequential<In, Flatten, Dense<200, ReLU>, Dense<150, ReLU>, Dense<10, Softmax>>;
using CifarMlp = SeedMlp<Input<32, 32, 3>>;
using FashionMlp = SeedMlp<Input<28, 28, 1>>;

template <class Net>
struct Data {
  using X = Tensor<typename Net::input_shape>;
  using Y = Tensor<typename Net::output_shape>;
  std::vector<X> x;
  std::vector<Y> y;
};

// Uniform [0, 1) inputs and one-hot labels from forma's own generator.
template <class Net>
const Data<Net>& random_data(std::size_t n) {
  static Data<Net> d;
  if (d.x.size() < n) {
    SplitMix64 rng(7);
    d.x.resize(n);
    d.y.assign(n, typename Data<Net>::Y{});
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t k = 0; k < Net::input_shape::size; ++k) d.x[i].data()[k] = static_cast<float>(rng.uniform());
      d.y[i][rng.next() % Net::output_shape::size] = 1.0f;
    }
  }
  return d;
}

using bench::flops_counter;

template <class Net>
void train_step(benchmark::State& state, double flops_per_sample, std::size_t threads) {
  auto model = std::make_unique<Net>();
  model->init(1);
  auto trainer = compile(*model, loss::CategoricalCrossentropy{}, optim::Adam{});
  trainer.set_threads(threads);
  auto session = trainer.template session<bench::train_batch>();
  const auto& d = random_data<Net>(bench::train_batch);
  const std::span x(d.x.data(), bench::train_batch);
  const std::span y(d.y.data(), bench::train_batch);
  double loss = session.train_on_batch(x, y);
  for (auto _ : state) loss = session.train_on_batch(x, y);
  benchmark::DoNotOptimize(loss);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * bench::train_batch));
  flops_counter(state, flops_per_sample * bench::train_batch);
}

template <class Net>
void epoch(benchmark::State& state, const bench::MlpShape& shape, std::size_t threads) {
  const auto& d = random_data<Net>(shape.dataset_size);
  auto model = std::make_unique<Net>();
  model->init(1);
  auto trainer = compile(*model, loss::CategoricalCrossentropy{}, optim::Adam{});
  trainer.set_threads(threads);
  for (auto _ : state) trainer.template fit<bench::train_batch>(d.x, d.y, FitOptions{.epochs = 1, .verbose = 0});
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * shape.dataset_size));
  flops_counter(state, shape.train_flops() * static_cast<double>(shape.dataset_size));
}

template <class Net>
void predict1(benchmark::State& state, const bench::MlpShape& shape) {
  auto model = std::make_unique<Net>();
  model->init(1);
  const auto& d = random_data<Net>(1);
  for (auto _ : state) {
    auto y = model->predict(d.x[0]);
    benchmark::DoNotOptimize(y);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  flops_counter(state, shape.forward_flops());
}

// On `threads` threads a pool shares each batch's rows.
template <class Net>
void predict256(benchmark::State& state, const bench::MlpShape& shape, std::size_t threads) {
  constexpr std::size_t B = bench::infer_batch;
  auto model = std::make_unique<Net>();
  model->init(1);
  const auto& d = random_data<Net>(B);
  std::vector<typename Data<Net>::Y> ys(B);
  auto ws = std::make_unique<typename Net::template workspace<B>>();
  ThreadPool pool(threads);
  const std::span xs(d.x.data(), B);
  for (auto _ : state) {
    if (threads == 1)
      model->template predict<B>(xs, std::span(ys), *ws);
    else
      model->template predict<B>(xs, std::span(ys), *ws, pool);
    benchmark::DoNotOptimize(ys.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * B));
  flops_counter(state, shape.forward_flops() * B);
}

template <class Net>
void register_shape(const bench::MlpShape& s) {
  const std::string shape = s.name;
  for (std::size_t threads : {1, 2}) {
    const std::string t = "/threads:" + std::to_string(threads);
    benchmark::RegisterBenchmark(("forma/train_step/" + shape + t).c_str(), train_step<Net>, s.train_flops(), threads)
        ->Unit(benchmark::kMillisecond)->UseRealTime();
    benchmark::RegisterBenchmark(("forma/epoch/" + shape + t).c_str(), epoch<Net>, s, threads)
        ->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
  }
  benchmark::RegisterBenchmark(("forma/predict1/" + shape).c_str(), predict1<Net>, s)
      ->Unit(benchmark::kMicrosecond)->UseRealTime();
  benchmark::RegisterBenchmark(("forma/predict256/" + shape).c_str(), predict256<Net>, s, std::size_t{1})
      ->Unit(benchmark::kMillisecond)->UseRealTime();
  benchmark::RegisterBenchmark(("forma/predict256/" + shape + "/threads:2").c_str(), predict256<Net>, s,
                               std::size_t{2})
      ->Unit(benchmark::kMillisecond)->UseRealTime();
}

// The graphs issue's residual example beside the chain of its dense layers:
// the FLOP rates of their training steps, each credited its own work.
constexpr auto res_in = Input<784>{};
constexpr auto res_h = Dense<128, ReLU>{}(res_in);
constexpr auto res_out =
    Dense<10, Softmax>{}(Concatenate{}(Add{}(res_h, Dense<128, Tanh>{}(res_h)), res_in));
using ResidualGraph = Model<decltype(res_in), decltype(res_out)>;
using ResidualChain = Sequential<Input<784>, Dense<128, ReLU>, Dense<128, Tanh>, Dense<10, Softmax>>;

// A training sample's FLOPs: the forward, every weight gradient, the input
// gradients of all but the first layer; each layer as {inputs, units}.
constexpr double train_flops(std::initializer_list<std::pair<std::size_t, std::size_t>> layers) {
  double macs = 0, first = 0;
  bool is_first = true;
  for (auto [in, out] : layers) {
    macs += static_cast<double>(in * out);
    if (is_first) first = static_cast<double>(in * out);
    is_first = false;
  }
  return 2.0 * (3 * macs - first);
}

const bool registered = [] {
  register_shape<CifarMlp>(bench::cifar);
  register_shape<FashionMlp>(bench::fashion);
  benchmark::RegisterBenchmark("forma/train_step/residual_graph", train_step<ResidualGraph>,
                               train_flops({{784, 128}, {128, 128}, {912, 10}}), std::size_t{1})
      ->Unit(benchmark::kMillisecond)->UseRealTime();
  benchmark::RegisterBenchmark("forma/train_step/residual_chain", train_step<ResidualChain>,
                               train_flops({{784, 128}, {128, 128}, {128, 10}}), std::size_t{1})
      ->Unit(benchmark::kMillisecond)->UseRealTime();
  return true;
}();

}  // namespace

BENCHMARK_MAIN();
