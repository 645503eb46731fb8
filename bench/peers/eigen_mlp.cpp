// Peer: the seed MLP written by hand on Eigen 3.4 with dynamic sizes, the way
// a competent Eigen user would: every buffer allocated once and reused,
// .noalias() products, samples as columns (each sample contiguous, so a batch
// gathers by copying columns), bias and ReLU fused into one array pass, no
// input gradient for the first layer, Adam over array views in cache-sized
// chunks. Single-threaded. (Eigen's GEMM still mallocs its packing buffers
// inside large products; EIGEN_RUNTIME_NO_MALLOC showed nothing else does.)
//
// Layout, measured on this machine's AVX-512 Xeon (Eigen's GEMM, batch 32):
// weights stored inputs x outputs and applied as W^T X time the same as
// outputs x inputs for a training step (the forward product is ~7% slower,
// the weight gradient ~9% faster) and batch-1 latency on Fashion's 784
// inputs drops from 8.0 to 5.2 us, so that layout it is. Samples as rows
// (X^T W) was no faster overall.
#include <benchmark/benchmark.h>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include <forma/core/flush_denormals.hpp>

#include "../bench_support.hpp"
#include "../mlp_shapes.hpp"

namespace {

using Eigen::Index;
using Eigen::MatrixXf;
using Eigen::VectorXf;

constexpr Index train_batch = static_cast<Index>(bench::train_batch);
constexpr Index infer_batch = static_cast<Index>(bench::infer_batch);

// Uniform [0, 1) from the top 24 bits: as uniform as float allows, and fast
// enough to fill CIFAR's 150M inputs without dominating the setup.
float uniform01(std::mt19937& rng) { return static_cast<float>(rng() >> 8) * 0x1p-24f; }

MatrixXf random_inputs(Index inputs, Index samples, std::mt19937& rng) {
  MatrixXf x(inputs, samples);
  for (Index i = 0; i < x.size(); ++i) x.data()[i] = uniform01(rng);
  return x;
}

std::vector<int> random_labels(Index classes, Index samples, std::mt19937& rng) {
  std::uniform_int_distribution<int> label(0, static_cast<int>(classes) - 1);
  std::vector<int> labels(static_cast<std::size_t>(samples));
  for (int& l : labels) l = label(rng);
  return labels;
}

MatrixXf one_hot(const std::vector<int>& labels, Index classes) {
  MatrixXf y = MatrixXf::Zero(classes, static_cast<Index>(labels.size()));
  for (std::size_t j = 0; j < labels.size(); ++j) y(labels[j], static_cast<Index>(j)) = 1.0f;
  return y;
}

// One layer's weights (in x out) and bias with their gradients and Adam
// moments, all sized at construction.
struct Dense {
  MatrixXf w, gw, mw, vw;
  VectorXf b, gb, mb, vb;

  Dense(Index in, Index out, std::mt19937& rng)
      : w(in, out), gw(in, out), mw(MatrixXf::Zero(in, out)), vw(MatrixXf::Zero(in, out)),
        b(VectorXf::Zero(out)), gb(out), mb(VectorXf::Zero(out)), vb(VectorXf::Zero(out)) {
    const float limit = std::sqrt(6.0f / static_cast<float>(in + out));  // Glorot uniform
    for (Index i = 0; i < w.size(); ++i) w.data()[i] = (2.0f * uniform01(rng) - 1.0f) * limit;
  }
};

// Activations and deltas for one batch size, reused by every step.
struct Workspace {
  MatrixXf a1, a2, p;              // hidden1 x B, hidden2 x B, classes x B
  MatrixXf d1, d2, d3;             // dLoss/dZ of each layer
  Eigen::RowVectorXf col_max, col_sum;  // per-sample softmax reductions

  Workspace(const bench::MlpShape& s, Index batch)
      : a1(s.hidden1, batch), a2(s.hidden2, batch), p(s.classes, batch), d1(s.hidden1, batch),
        d2(s.hidden2, batch), d3(s.classes, batch), col_max(batch), col_sum(batch) {}
};

// Flush-to-zero for the scope of a training run, as forma and TensorFlow
// train (forma's guard; without it Fashion steps ran 4x slower here once
// Adam's moments of dead units sank into the subnormals, after ~700 steps).
using forma::ScopedFlushDenormals;

// Keras's Adam over one parameter array. Three whole-array statements would
// stream CIFAR's 2.4 MB first-layer arrays through the cache three times
// (650 us); the same statements over 512-float chunks that stay in L1 take
// 415 us (a hand-fused scalar loop: 370 us, but only with -fno-math-errno).
template <class Param>
void adam_update(Param& w, const Param& g, Param& m, Param& v, float step) {
  constexpr float b1 = bench::adam_beta1, b2 = bench::adam_beta2;
  constexpr Index chunk = 512;
  for (Index first = 0; first < w.size(); first += chunk) {
    const Index n = std::min(chunk, w.size() - first);
    Eigen::Map<Eigen::ArrayXf> wc(w.data() + first, n), mc(m.data() + first, n), vc(v.data() + first, n);
    const Eigen::Map<const Eigen::ArrayXf> gc(g.data() + first, n);
    mc = b1 * mc + (1.0f - b1) * gc;
    vc = b2 * vc + (1.0f - b2) * gc.square();
    wc -= step * mc / (vc.sqrt() + bench::adam_eps);
  }
}

class Mlp {
 public:
  Mlp(const bench::MlpShape& s, unsigned seed)
      : Mlp(s, std::mt19937(seed)) {}

  // Softmax probabilities of the batch x (inputs x B) into ws.p.
  const MatrixXf& forward(Workspace& ws, const MatrixXf& x) const {
    dense_relu(ws.a1, l1_, x);
    dense_relu(ws.a2, l2_, ws.a1);
    ws.p.noalias() = l3_.w.transpose() * ws.a2;
    ws.p.colwise() += l3_.b;
    ws.col_max.noalias() = ws.p.colwise().maxCoeff();
    ws.p.array() = (ws.p.array().rowwise() - ws.col_max.array()).exp();
    ws.col_sum.noalias() = ws.p.colwise().sum();
    ws.p.array().rowwise() /= ws.col_sum.array();
    return ws.p;
  }

  // Gradients of the mean cross-entropy after forward(ws, x); softmax and
  // cross-entropy fuse to dZ3 = (p - y) / B.
  void backward(Workspace& ws, const MatrixXf& x, const MatrixXf& y) {
    ws.d3 = (ws.p - y) * (1.0f / static_cast<float>(x.cols()));
    weight_grads(l3_, ws.d3, ws.a2);
    ws.d2.noalias() = l3_.w * ws.d3;
    ws.d2 = (ws.a2.array() > 0.0f).select(ws.d2, 0.0f);
    weight_grads(l2_, ws.d2, ws.a1);
    ws.d1.noalias() = l2_.w * ws.d2;
    ws.d1 = (ws.a1.array() > 0.0f).select(ws.d1, 0.0f);
    weight_grads(l1_, ws.d1, x);
  }

  void adam_step() {
    ++t_;
    const double bias_fix = std::sqrt(1.0 - std::pow(double{bench::adam_beta2}, t_)) /
                            (1.0 - std::pow(double{bench::adam_beta1}, t_));
    const float step = bench::adam_lr * static_cast<float>(bias_fix);
    for (Dense* l : {&l1_, &l2_, &l3_}) {
      adam_update(l->w, l->gw, l->mw, l->vw, step);
      adam_update(l->b, l->gb, l->mb, l->vb, step);
    }
  }

  void train_step(Workspace& ws, const MatrixXf& x, const MatrixXf& y) {
    forward(ws, x);
    backward(ws, x, y);
    adam_step();
  }

  // Mean categorical cross-entropy of the last forward pass.
  static float loss(const Workspace& ws, const MatrixXf& y) {
    return -(y.array() * ws.p.array().max(1e-30f).log()).sum() / static_cast<float>(y.cols());
  }

  Dense& layer(int i) { return i == 0 ? l1_ : i == 1 ? l2_ : l3_; }

 private:
  Mlp(const bench::MlpShape& s, std::mt19937 rng)
      : l1_(s.inputs, s.hidden1, rng), l2_(s.hidden1, s.hidden2, rng), l3_(s.hidden2, s.classes, rng) {}

  static void dense_relu(MatrixXf& out, const Dense& l, const MatrixXf& in) {
    out.noalias() = l.w.transpose() * in;
    out.array() = (out.array().colwise() + l.b.array()).max(0.0f);
  }

  static void weight_grads(Dense& l, const MatrixXf& delta, const MatrixXf& in) {
    l.gw.noalias() = in * delta.transpose();
    l.gb.noalias() = delta.rowwise().sum();
  }

  Dense l1_, l2_, l3_;
  int t_ = 0;
};

// Guards against a broken peer reporting fast garbage: on a tiny MLP the
// analytic gradient must match central differences and Adam must lower the
// loss. Runs once, at the first benchmark; an empty result means it passed.
std::string run_self_check() {
  const bench::MlpShape tiny{"tiny", 16, 32, 24, 4, 0};
  constexpr Index batch = 8;
  std::mt19937 rng(3);
  const MatrixXf x = random_inputs(tiny.inputs, batch, rng);
  const MatrixXf y = one_hot(random_labels(tiny.classes, batch, rng), tiny.classes);
  Mlp model(tiny, 5);
  Workspace ws(tiny, batch);

  model.forward(ws, x);
  model.backward(ws, x, y);
  const float h = 1e-3f;
  for (int li = 0; li < 3; ++li) {
    Dense& l = model.layer(li);
    for (int part = 0; part < 2; ++part) {
      float* param = part == 0 ? l.w.data() : l.b.data();
      const float* grad = part == 0 ? l.gw.data() : l.gb.data();
      const Index n = part == 0 ? l.w.size() : l.b.size();
      for (Index i = 0; i < n; ++i) {
        const float saved = param[i];
        param[i] = saved + h;
        model.forward(ws, x);
        const float up = Mlp::loss(ws, y);
        param[i] = saved - h;
        model.forward(ws, x);
        const float down = Mlp::loss(ws, y);
        param[i] = saved;
        const float numeric = (up - down) / (2.0f * h);
        if (std::abs(numeric - grad[i]) > 2e-3f + 5e-2f * std::abs(grad[i]))
          return "eigen peer: gradient of layer " + std::to_string(li + 1) + " differs from finite differences";
      }
    }
  }

  model.forward(ws, x);
  const float before = Mlp::loss(ws, y);
  for (int i = 0; i < 200; ++i) model.train_step(ws, x, y);
  model.forward(ws, x);
  const float after = Mlp::loss(ws, y);
  if (!(after < 0.5f * before)) return "eigen peer: training does not lower the loss";
  return {};
}

bool self_check_failed(benchmark::State& state) {
  static const std::string failure = run_self_check();
  return bench::skip_on_failure(state, failure);
}

using bench::flops_counter;

void bm_train_step(benchmark::State& state, const bench::MlpShape& shape) {
  if (self_check_failed(state)) return;
  const ScopedFlushDenormals flush;
  std::mt19937 rng(11);
  const MatrixXf x = random_inputs(shape.inputs, train_batch, rng);
  const MatrixXf y = one_hot(random_labels(shape.classes, train_batch, rng), shape.classes);
  Mlp model(shape, 1);
  Workspace ws(shape, train_batch);
  model.train_step(ws, x, y);  // warm-up: caches, page faults
  for (auto _ : state) {
    model.train_step(ws, x, y);
    benchmark::ClobberMemory();
  }
  benchmark::DoNotOptimize(model.layer(0).w.data());
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * train_batch);
  flops_counter(state, shape.train_flops() * bench::train_batch);
}

// A training set of random samples, one per shape, made on first use and
// kept: CIFAR's is 614 MB, so it is built once, outside any timing.
struct Dataset {
  MatrixXf x;  // inputs x samples
  std::vector<int> labels;
};

const Dataset& dataset_of(const bench::MlpShape& shape) {
  static std::map<std::string, Dataset> sets;
  auto [it, fresh] = sets.try_emplace(shape.name);
  if (fresh) {
    std::mt19937 rng(13);
    it->second.x = random_inputs(shape.inputs, static_cast<Index>(shape.dataset_size), rng);
    it->second.labels = random_labels(shape.classes, static_cast<Index>(shape.dataset_size), rng);
  }
  return it->second;
}

// Copies the samples order[first, first + x.cols()) into the batch x, y.
void gather(const Dataset& d, const std::vector<Index>& order, Index first, MatrixXf& x, MatrixXf& y) {
  y.setZero();
  for (Index j = 0; j < x.cols(); ++j) {
    const Index sample = order[static_cast<std::size_t>(first + j)];
    x.col(j) = d.x.col(sample);
    y(d.labels[static_cast<std::size_t>(sample)], j) = 1.0f;
  }
}

void bm_epoch(benchmark::State& state, const bench::MlpShape& shape) {
  if (self_check_failed(state)) return;
  const ScopedFlushDenormals flush;
  const Dataset& d = dataset_of(shape);
  const Index n = d.x.cols();
  const Index tail = n % train_batch;  // the last, smaller batch (CIFAR: 16)
  Mlp model(shape, 1);
  Workspace ws(shape, train_batch), ws_tail(shape, tail);
  MatrixXf x(shape.inputs, train_batch), y(shape.classes, train_batch);
  MatrixXf x_tail(shape.inputs, tail), y_tail(shape.classes, tail);
  std::vector<Index> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), Index{0});
  std::mt19937 rng(17);
  for (auto _ : state) {
    std::shuffle(order.begin(), order.end(), rng);
    Index first = 0;
    for (; first + train_batch <= n; first += train_batch) {
      gather(d, order, first, x, y);
      model.train_step(ws, x, y);
    }
    if (tail > 0) {
      gather(d, order, first, x_tail, y_tail);
      model.train_step(ws_tail, x_tail, y_tail);
    }
    benchmark::ClobberMemory();
  }
  benchmark::DoNotOptimize(model.layer(0).w.data());
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * n);
  flops_counter(state, shape.train_flops() * static_cast<double>(n));
}

void bm_predict(benchmark::State& state, const bench::MlpShape& shape, Index batch) {
  if (self_check_failed(state)) return;
  std::mt19937 rng(19);
  const MatrixXf x = random_inputs(shape.inputs, batch, rng);
  const Mlp model(shape, 1);
  Workspace ws(shape, batch);
  model.forward(ws, x);  // warm-up
  for (auto _ : state) {
    benchmark::DoNotOptimize(model.forward(ws, x).data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * batch);
  flops_counter(state, shape.forward_flops() * static_cast<double>(batch));
}

void register_shape(const bench::MlpShape& s) {
  const std::string shape = s.name;
  benchmark::RegisterBenchmark(("eigen/train_step/" + shape).c_str(), bm_train_step, s)
      ->Unit(benchmark::kMillisecond)->UseRealTime();
  benchmark::RegisterBenchmark(("eigen/epoch/" + shape).c_str(), bm_epoch, s)
      ->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
  benchmark::RegisterBenchmark(("eigen/predict1/" + shape).c_str(), bm_predict, s, Index{1})
      ->Unit(benchmark::kMicrosecond)->UseRealTime();
  benchmark::RegisterBenchmark(("eigen/predict256/" + shape).c_str(), bm_predict, s, infer_batch)
      ->Unit(benchmark::kMillisecond)->UseRealTime();
}

const bool registered = [] {
  Eigen::setNbThreads(1);  // a no-op without OpenMP; says the peer is single-threaded
  register_shape(bench::cifar);
  register_shape(bench::fashion);
  return true;
}();

}  // namespace
