#pragma once
// The seed MLP's shapes, shared by forma's benchmarks and the peers' so that
// every implementation is timed on the same work and credited the same FLOPs.
//
// Benchmark names are "<impl>/<what>/<shape>", impl one of peak, forma,
// eigen, libtorch (pytorch comes from bench/pytorch_mlp.py), what one of
// train_step, epoch, predict1, predict256 (and fma, stream_read for peak),
// shape one of cifar, fashion; a thread count is appended as "/threads:N".
// bench/report.py reads these names.
#include <cstddef>

namespace bench {

struct MlpShape {
  const char* name;
  std::size_t inputs, hidden1, hidden2, classes;
  std::size_t dataset_size;  // samples in one epoch (the training set)

  // Multiply-adds of one sample's forward pass.
  constexpr std::size_t macs() const { return inputs * hidden1 + hidden1 * hidden2 + hidden2 * classes; }
  constexpr double forward_flops() const { return 2.0 * static_cast<double>(macs()); }
  // The work one training sample needs: the forward pass, every weight
  // gradient (as many multiply-adds as the forward), and the input gradients
  // of the layers after the first (the first layer's is never needed).
  constexpr double train_flops() const {
    return 2.0 * static_cast<double>(2 * macs() + hidden1 * hidden2 + hidden2 * classes);
  }
  constexpr std::size_t param_count() const {
    return inputs * hidden1 + hidden1 + hidden1 * hidden2 + hidden2 + hidden2 * classes + classes;
  }
};

inline constexpr MlpShape cifar{"cifar", 32 * 32 * 3, 200, 150, 10, 50000};
inline constexpr MlpShape fashion{"fashion", 28 * 28, 200, 150, 10, 60000};

inline constexpr std::size_t train_batch = 32;
inline constexpr std::size_t infer_batch = 256;

// Adam as Keras and the seed use it.
inline constexpr float adam_lr = 1e-3f, adam_beta1 = 0.9f, adam_beta2 = 0.999f, adam_eps = 1e-7f;

}  // namespace bench
