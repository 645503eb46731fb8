// Peer: the seed MLP in libtorch's C++ API as its documentation teaches it:
// torch::nn::Linear layers in a module, cross_entropy on class indices (the
// fused log_softmax + nll), torch::optim::Adam with Keras's epsilon, autograd
// for the backward pass, NoGradGuard for inference. Intra-op threads are set
// per benchmark ("/threads:N"). Built as C++17, the newest standard libtorch
// 1.13 supports (bench/peers/meson.build).
#include <benchmark/benchmark.h>

#include <dlfcn.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "../bench_support.hpp"
#include "../mlp_shapes.hpp"

namespace {

struct MlpImpl : torch::nn::Module {
  torch::nn::Linear fc1, fc2, fc3;

  explicit MlpImpl(const bench::MlpShape& s)
      : fc1(register_module("fc1", torch::nn::Linear(s.inputs, s.hidden1))),
        fc2(register_module("fc2", torch::nn::Linear(s.hidden1, s.hidden2))),
        fc3(register_module("fc3", torch::nn::Linear(s.hidden2, s.classes))) {
    // Keras's initialisation (Glorot uniform, zero bias) rather than torch's
    // Kaiming default, so every peer starts from the same distribution.
    torch::NoGradGuard no_grad;
    for (auto* l : {&fc1, &fc2, &fc3}) {
      torch::nn::init::xavier_uniform_((*l)->weight);
      torch::nn::init::zeros_((*l)->bias);
    }
  }

  // Logits; the softmax is fused into the loss when training.
  torch::Tensor forward(torch::Tensor x) {
    x = torch::relu(fc1(x));
    x = torch::relu(fc2(x));
    return fc3(x);
  }
};
TORCH_MODULE(Mlp);

torch::optim::Adam make_adam(Mlp& model) {
  return torch::optim::Adam(model->parameters(), torch::optim::AdamOptions(bench::adam_lr)
                                                     .betas({bench::adam_beta1, bench::adam_beta2})
                                                     .eps(bench::adam_eps));
}

float train_step(Mlp& model, torch::optim::Adam& adam, const torch::Tensor& x, const torch::Tensor& labels) {
  adam.zero_grad();
  torch::Tensor loss = torch::nn::functional::cross_entropy(model->forward(x), labels);
  loss.backward();
  adam.step();
  return loss.item<float>();
}

// Sets libtorch's intra-op thread count for one benchmark and puts the old
// one back after, so no setting leaks into the benchmarks that follow (the
// count is also OpenMP's, shared with anything else in the process).
// Debian's libtorch does its matrix products in the system BLAS (libblas.so.3,
// whichever alternative is installed); torch::set_num_threads does not reach
// OpenBLAS's own pthread pool, which would otherwise use every core even at
// "/threads:1", so its count is set too when OpenBLAS is the one loaded.
class TorchThreads {
 public:
  explicit TorchThreads(int n) : saved_(torch::get_num_threads()) { set(n); }
  ~TorchThreads() { set(saved_); }
  TorchThreads(const TorchThreads&) = delete;
  TorchThreads& operator=(const TorchThreads&) = delete;

 private:
  static void set(int n) {
    torch::set_num_threads(n);
    using SetThreads = void (*)(int);
    static const auto openblas_set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
    if (openblas_set != nullptr) openblas_set(n);
  }

  int saved_;
};

// Flush-to-zero and denormals-are-zero while training, as forma, the Eigen
// peer and TensorFlow train: Adam's first moments of weights with a zero
// gradient (dead ReLU units) sink into the subnormals after ~700 steps and
// stay there, and every subnormal operation costs a microcode assist (seen
// here: Fashion steps 2.3x slower after step 700 without it). This is
// torch.set_flush_denormal, which only sets the calling thread's mode, so it
// is also run once on each intra-op thread (at::parallel_for is an inline
// OpenMP loop: this file is built with -fopenmp). Construct after
// TorchThreads.
class FlushDenormals {
 public:
  FlushDenormals() { set_on_every_thread(true); }
  ~FlushDenormals() { set_on_every_thread(false); }
  FlushDenormals(const FlushDenormals&) = delete;
  FlushDenormals& operator=(const FlushDenormals&) = delete;

 private:
  static void set_on_every_thread(bool on) {
    at::globalContext().setFlushDenormal(on);
    // One index per thread with a grain of 1: each intra-op thread runs one.
    at::parallel_for(0, at::get_num_threads(), 1,
                     [on](std::int64_t, std::int64_t) { at::globalContext().setFlushDenormal(on); });
  }
};

// Guards against a broken peer reporting fast garbage: Adam on a tiny model
// and a fixed batch must lower the loss. Runs once; empty means it passed.
std::string run_self_check() {
  TorchThreads threads(1);
  torch::manual_seed(3);
  const bench::MlpShape tiny{"tiny", 16, 32, 24, 4, 0};
  Mlp model(tiny);
  auto adam = make_adam(model);
  const torch::Tensor x = torch::rand({8, 16});
  const torch::Tensor labels = torch::randint(0, 4, {8}, torch::kLong);
  const float before = train_step(model, adam, x, labels);
  float after = before;
  for (int i = 0; i < 200; ++i) after = train_step(model, adam, x, labels);
  if (!(after < 0.5f * before)) return "libtorch peer: training does not lower the loss";
  torch::NoGradGuard no_grad;
  const torch::Tensor p = torch::softmax(model->forward(x), 1);
  if (!torch::allclose(p.sum(1), torch::ones({8}), 1e-5, 1e-5)) return "libtorch peer: softmax rows do not sum to 1";
  return {};
}

bool self_check_failed(benchmark::State& state) {
  static const std::string failure = run_self_check();
  return bench::skip_on_failure(state, failure);
}

using bench::flops_counter;

void bm_train_step(benchmark::State& state, const bench::MlpShape& shape, int threads) {
  if (self_check_failed(state)) return;
  TorchThreads use(threads);
  FlushDenormals flush;
  torch::manual_seed(1);
  Mlp model(shape);
  auto adam = make_adam(model);
  const auto b = static_cast<std::int64_t>(bench::train_batch);
  const torch::Tensor x = torch::rand({b, static_cast<std::int64_t>(shape.inputs)});
  const torch::Tensor labels = torch::randint(0, static_cast<std::int64_t>(shape.classes), {b}, torch::kLong);
  float loss = train_step(model, adam, x, labels);  // warm-up: Adam's state, allocator caches
  for (auto _ : state) loss = train_step(model, adam, x, labels);
  benchmark::DoNotOptimize(loss);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * b);
  flops_counter(state, shape.train_flops() * bench::train_batch);
}

// A training set of random samples, one per shape, made on first use (outside
// any timing) and kept for the process.
const std::pair<torch::Tensor, torch::Tensor>& training_set(const bench::MlpShape& shape) {
  static std::map<std::string, std::pair<torch::Tensor, torch::Tensor>> sets;
  auto [it, fresh] = sets.try_emplace(shape.name);
  if (fresh) {
    torch::manual_seed(13);
    const auto n = static_cast<std::int64_t>(shape.dataset_size);
    it->second = {torch::rand({n, static_cast<std::int64_t>(shape.inputs)}),
                  torch::randint(0, static_cast<std::int64_t>(shape.classes), {n}, torch::kLong)};
  }
  return it->second;
}

void bm_epoch(benchmark::State& state, const bench::MlpShape& shape, int threads) {
  if (self_check_failed(state)) return;
  const auto& [data, data_labels] = training_set(shape);
  TorchThreads use(threads);
  FlushDenormals flush;
  torch::manual_seed(1);
  Mlp model(shape);
  auto adam = make_adam(model);
  const std::int64_t n = data.size(0), b = static_cast<std::int64_t>(bench::train_batch);
  float loss = 0.0f;
  for (auto _ : state) {
    const torch::Tensor order = torch::randperm(n, torch::kLong);
    for (std::int64_t first = 0; first < n; first += b) {  // the last batch may be smaller
      const torch::Tensor idx = order.slice(0, first, std::min(first + b, n));
      loss = train_step(model, adam, data.index_select(0, idx), data_labels.index_select(0, idx));
    }
  }
  benchmark::DoNotOptimize(loss);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * n);
  flops_counter(state, shape.train_flops() * static_cast<double>(n));
}

void bm_predict(benchmark::State& state, const bench::MlpShape& shape, int threads, std::int64_t batch) {
  if (self_check_failed(state)) return;
  TorchThreads use(threads);
  torch::manual_seed(1);
  Mlp model(shape);
  model->eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor x = torch::rand({batch, static_cast<std::int64_t>(shape.inputs)});
  torch::Tensor p = torch::softmax(model->forward(x), 1);  // warm-up
  for (auto _ : state) {
    p = torch::softmax(model->forward(x), 1);
    benchmark::DoNotOptimize(p.data_ptr());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * batch);
  flops_counter(state, shape.forward_flops() * static_cast<double>(batch));
}

void register_shape(const bench::MlpShape& s) {
  const std::string shape = s.name;
  for (int threads : {1, 2}) {
    const std::string t = "/threads:" + std::to_string(threads);
    benchmark::RegisterBenchmark(("libtorch/train_step/" + shape + t).c_str(), bm_train_step, s, threads)
        ->Unit(benchmark::kMillisecond)->UseRealTime();
    benchmark::RegisterBenchmark(("libtorch/predict1/" + shape + t).c_str(), bm_predict, s, threads, std::int64_t{1})
        ->Unit(benchmark::kMicrosecond)->UseRealTime();
    benchmark::RegisterBenchmark(("libtorch/predict256/" + shape + t).c_str(), bm_predict, s, threads,
                                 static_cast<std::int64_t>(bench::infer_batch))
        ->Unit(benchmark::kMillisecond)->UseRealTime();
  }
}

const bool registered = [] {
  register_shape(bench::cifar);
  register_shape(bench::fashion);
  // Only Fashion's epoch: CIFAR's would add a second 614 MB data set and
  // minutes of run time for little the train_step numbers do not say.
  for (int threads : {1, 2})
    benchmark::RegisterBenchmark(("libtorch/epoch/fashion/threads:" + std::to_string(threads)).c_str(), bm_epoch,
                                 bench::fashion, threads)
        ->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
  return true;
}();

}  // namespace
