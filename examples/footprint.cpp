// The memory a model takes, as constants of its types: parameters, inference
// buffers, and the training state for a batch size. Nothing is allocated to
// learn them.
#include <cstdio>

#include <forma/forma.hpp>

using namespace forma;

template <class Net, std::size_t B>
void report(const char* name) {
  using AdamTrainer = Trainer<Net, loss::CategoricalCrossentropy<>, optim::Adam, metrics::Accuracy>;
  using SgdTrainer = Trainer<Net, loss::CategoricalCrossentropy<>, optim::SGD>;
  std::printf("%s\n", name);
  std::printf("  parameters                       %10zu bytes (%zu values)\n", Net::param_bytes, Net::param_count);
  std::printf("  model object (padded rows)       %10zu bytes\n", sizeof(Net));
  std::printf("  inference buffers, batch 1       %10zu bytes\n", Net::template workspace_bytes<1>);
  std::printf("  inference buffers, batch %-4zu   %10zu bytes\n", B, Net::template workspace_bytes<B>);
  std::printf("  training state, Adam             %10zu bytes (gradients, two moments)\n", AdamTrainer::state_bytes);
  std::printf("  training state, SGD              %10zu bytes\n", SgdTrainer::state_bytes);
  std::printf("  training buffers, batch %-4zu    %10zu bytes\n", B, AdamTrainer::template batch_bytes<B>);
}

int main() {
  report<Sequential<Input<32, 32, 3>, Flatten, Dense<200, ReLU>, Dense<150, ReLU>, Dense<10, Softmax>>, 32>(
      "seed MLP, CIFAR-10 (Input<32, 32, 3>)");
  report<Sequential<Input<28, 28, 1>, Flatten, Dense<200, ReLU>, Dense<150, ReLU>, Dense<10, Softmax>>, 32>(
      "seed MLP, Fashion-MNIST (Input<28, 28, 1>)");
}
