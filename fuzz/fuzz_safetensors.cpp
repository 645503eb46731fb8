// libFuzzer target: forma::io::load_weights_from_memory on arbitrary bytes,
// into a small model.
//
// Findings are crashes, sanitizer reports, exceptions other than
// forma::io::weights_error, and broken properties:
//   - a rejected file leaves the model's weights exactly as they were;
//   - an accepted file, saved again and reloaded, gives the same weights.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "forma/forma.hpp"
#include "forma/io/weights.hpp"
#include "fuzz_support.hpp"

namespace {

using Net = forma::Sequential<forma::Input<4>, forma::Dense<3, forma::ReLU>, forma::Dense<2, forma::Softmax>>;

bool same_weights(const Net& a, const Net& b) {
  const auto a0 = a.layer<0>().values(), b0 = b.layer<0>().values();
  const auto a1 = a.layer<1>().values(), b1 = b.layer<1>().values();
  return std::memcmp(a0.data(), b0.data(), a0.size_bytes()) == 0 &&
         std::memcmp(a1.data(), b1.data(), a1.size_bytes()) == 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Net model, before;
  model.init(7);
  before.init(7);
  const auto bytes = std::as_bytes(std::span(data, size));
  try {
    forma::io::load_weights_from_memory(model, bytes);
  } catch (const forma::io::weights_error&) {
    if (!same_weights(model, before)) forma_fuzz::fail("a rejected file changed the model's weights");
    return 0;
  }
  const std::vector<std::byte> saved = forma::io::save_weights_to_memory(model);
  Net again;
  try {
    forma::io::load_weights_from_memory(again, saved);
  } catch (const forma::io::weights_error&) {
    forma_fuzz::fail("a file forma wrote was rejected");
  }
  if (!same_weights(model, again)) forma_fuzz::fail("weights changed through save and load");
  return 0;
}
