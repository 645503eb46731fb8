#pragma once
// save_checkpoint(trainer, path, epoch) / load_checkpoint(trainer, path):
// what resuming training needs, in one safetensors file: the model's
// weights (as save_weights writes them), the optimizer's state as tensors
// "optimizer.<slot>.<tensor>" (optimizer.m.dense.kernel, ...), and in the
// metadata the epochs completed ("epoch"), the optimizer ("optimizer":
// "Adam"), its learning rate ("learning_rate", exact) and its step count
// ("iterations", for optimizers that keep one).
//
//   auto info = forma::io::load_checkpoint(trainer, "ckpt.safetensors");
//   trainer.fit<32>(x, y, {.epochs = 10, .initial_epoch = info.epoch});
//
// continues as if training had never stopped: each epoch's shuffle depends
// only on (seed, epoch), so the weights come out bit-identical to an
// uninterrupted run with the same options. The learning rate is restored
// too, since callbacks may have changed it (a schedule of the form
// lr -> lr / 2); the other hyperparameters are the trainer's own.
//
// Loading checks everything first, then writes weights, optimizer state and
// learning rate together: on failure it throws weights_error and the trainer
// and its model are as they were. load_weights reads a checkpoint's weights.
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include "forma/io/named_tensors.hpp"
#include "forma/io/optimizer_state.hpp"
#include "forma/io/safetensors.hpp"
#include "forma/io/weights.hpp"
#include "forma/io/weights_error.hpp"

namespace forma::io {

// What load_checkpoint read besides the tensors.
struct CheckpointInfo {
  int epoch = 0;                            // epochs completed: fit's initial_epoch to resume
  double learning_rate = 0;                 // now also the trainer's optimizer's
  std::optional<std::uint64_t> iterations;  // the optimizer's step count, where it keeps one
};

namespace detail {

template <class Tr>
concept checkpointable_trainer = requires(Tr& t) {
  typename Tr::model_type;
  typename Tr::optimizer_state;
  t.model();
  t.optimizer();
  t.optimizer_state_of();
} && savable_model<typename Tr::model_type>;

template <class Tr>
using optimizer_of = std::remove_cvref_t<decltype(std::declval<Tr&>().optimizer())>;

template <class Tr>
using state_traits = optimizer_state_traits<typename Tr::optimizer_state>;

// The optimizer state's tensors, optimizer.<slot>.<tensor>, slot by slot.
template <class Net, class State>
auto optimizer_tensors(State& s) {
  using params = std::conditional_t<std::is_const_v<State>, const typename Net::params_type, typename Net::params_type>;
  std::vector<named_tensor<std::conditional_t<std::is_const_v<State>, const typename Net::value_type,
                                              typename Net::value_type>>>
      out;
  optimizer_state_traits<std::remove_const_t<State>>::for_each_slot(s, [&](std::string_view slot, params& p) {
    auto slot_tensors = named_tensors<Net>(p, "optimizer." + std::string(slot) + ".");
    out.insert(out.end(), slot_tensors.begin(), slot_tensors.end());
  });
  return out;
}

inline std::string shortest_text(double v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

template <class N>
N metadata_number(const safetensors::file_view& f, std::string_view key, const std::filesystem::path& file) {
  const std::string* text = f.meta(key);
  if (!text) throw weights_error(file, "the checkpoint's metadata has no '" + std::string(key) + "'");
  N value{};
  const char* end = text->data() + text->size();
  const auto [ptr, ec] = std::from_chars(text->data(), end, value);
  if (ec != std::errc{} || ptr != end || text->empty())
    throw weights_error(file, "the checkpoint's metadata '" + std::string(key) + "' is '" + *text +
                                  "', which is not a number of the kind it must be");
  return value;
}

}  // namespace detail

template <class Tr>
  requires detail::checkpointable_trainer<Tr>
std::vector<std::byte> save_checkpoint_to_memory(Tr& trainer, int epoch) {
  using Net = typename Tr::model_type;
  using T = typename Net::value_type;
  using traits = detail::state_traits<Tr>;
  if (epoch < 0) throw std::invalid_argument("forma::io::save_checkpoint: the epoch must not be negative");
  const auto& state = std::as_const(trainer.optimizer_state_of());
  safetensors::writer w;
  detail::put_format_metadata<Net>(w);
  w.set_metadata("epoch", std::to_string(epoch));
  w.set_metadata("optimizer", std::string(detail::optimizer_of<Tr>::name));
  w.set_metadata("learning_rate", detail::shortest_text(static_cast<double>(trainer.optimizer().learning_rate)));
  if constexpr (traits::has_iterations) w.set_metadata("iterations", std::to_string(traits::iterations(state)));
  detail::add_tensors<T>(w, model_tensors(std::as_const(trainer.model())));
  detail::add_tensors<T>(w, detail::optimizer_tensors<Net>(state));
  return w.finish();
}

// `epoch`: the epochs completed, what fit's initial_epoch resumes from.
template <class Tr>
  requires detail::checkpointable_trainer<Tr>
void save_checkpoint(Tr& trainer, const std::filesystem::path& path, int epoch) {
  const std::vector<std::byte> bytes = save_checkpoint_to_memory(trainer, epoch);
  detail::write_whole_file(path, bytes);
}

template <class Tr>
  requires detail::checkpointable_trainer<Tr>
CheckpointInfo load_checkpoint_from_memory(Tr& trainer, std::span<const std::byte> bytes,
                                           const LoadOptions& options = {},
                                           const std::filesystem::path& source = "<memory>") {
  using Net = typename Tr::model_type;
  using traits = detail::state_traits<Tr>;
  const safetensors::file_view f = safetensors::parse(bytes, source);
  detail::check_format(f, source);

  const std::string* optimizer = f.meta("optimizer");
  const std::string_view ours = detail::optimizer_of<Tr>::name;
  if (!optimizer)
    throw weights_error(source, "the file holds no optimizer state (save_weights wrote it, not save_checkpoint); "
                                "load_weights reads its weights");
  if (*optimizer != ours)
    throw weights_error(source, "the file holds the state of the optimizer " + *optimizer +
                                    ", but the trainer's optimizer is " + std::string(ours));
  CheckpointInfo info;
  info.epoch = detail::metadata_number<int>(f, "epoch", source);
  if (info.epoch < 0) throw weights_error(source, "the checkpoint's metadata 'epoch' is negative");
  info.learning_rate = detail::metadata_number<double>(f, "learning_rate", source);
  if constexpr (traits::has_iterations)
    info.iterations = detail::metadata_number<std::uint64_t>(f, "iterations", source);

  const std::string note = detail::architecture_note<Net>(f);
  const auto weights = model_tensors(trainer.model());
  const auto state = detail::optimizer_tensors<Net>(trainer.optimizer_state_of());
  std::vector<detail::pending_copy<typename Net::value_type>> copies;
  detail::match_tensors(f, weights, copies, source, note);
  detail::match_tensors(f, state, copies, source, note);
  detail::refuse_extra_tensors(f, copies, nullptr, source, note);
  detail::check_architecture<Net>(f, options, source);

  detail::commit(copies);
  if constexpr (traits::has_iterations) traits::iterations(trainer.optimizer_state_of()) = *info.iterations;
  trainer.optimizer().learning_rate = info.learning_rate;
  return info;
}

template <class Tr>
  requires detail::checkpointable_trainer<Tr>
CheckpointInfo load_checkpoint(Tr& trainer, const std::filesystem::path& path, const LoadOptions& options = {}) {
  const std::vector<std::byte> bytes = detail::read_whole_file(path);
  return load_checkpoint_from_memory(trainer, bytes, options, path);
}

}  // namespace forma::io
