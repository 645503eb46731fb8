// Inference of the seed MLP: batch-1 latency and batched throughput.
//   meson compile -C build/gcc bench_predict && build/gcc/bench/bench_predict
// Faster kernels and the peers (Eigen, PyTorch) come with the performance work.
#include <benchmark/benchmark.h>

#include <memory>
#include <vector>

#include <forma/forma.hpp>

using namespace forma;
using Mlp = Sequential<Input<32, 32, 3>, Flatten, Dense<200, ReLU>, Dense<150, ReLU>, Dense<10, Softmax>>;

namespace {

std::unique_ptr<Mlp> make_model() {
  auto m = std::make_unique<Mlp>();
  m->init(1);
  return m;
}

void bm_predict_one(benchmark::State& state) {
  const auto model = make_model();
  Tensor<Mlp::input_shape> x = Tensor<Mlp::input_shape>::filled(0.5f);
  for (auto _ : state) {
    auto y = model->predict(x);
    benchmark::DoNotOptimize(y);
    benchmark::DoNotOptimize(x);
  }
  state.counters["GFLOP/s"] =
      benchmark::Counter(static_cast<double>(Mlp::forward_flops), benchmark::Counter::kIsIterationInvariantRate,
                         benchmark::Counter::kIs1000);
}
BENCHMARK(bm_predict_one)->Unit(benchmark::kMicrosecond);

void bm_predict_batch256(benchmark::State& state) {
  constexpr std::size_t B = 256;
  const auto model = make_model();
  std::vector<Tensor<Mlp::input_shape>> xs(B, Tensor<Mlp::input_shape>::filled(0.5f));
  std::vector<Tensor<Mlp::output_shape>> ys(B);
  auto ws = std::make_unique<Mlp::workspace<B>>();
  for (auto _ : state) {
    model->predict<B>(xs, ys, *ws);
    benchmark::DoNotOptimize(ys.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * B));
  state.counters["GFLOP/s"] = benchmark::Counter(static_cast<double>(Mlp::forward_flops * B),
                                                 benchmark::Counter::kIsIterationInvariantRate,
                                                 benchmark::Counter::kIs1000);
}
BENCHMARK(bm_predict_batch256)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
