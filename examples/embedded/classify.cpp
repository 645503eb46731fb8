// classify: a Fashion-MNIST classifier compiled into the program, as it runs
// on a microcontroller. The weights are constexpr (fashion_mlp_weights.hpp,
// made by make_model.cpp with forma::io::export_header) and stay in read-only
// memory; RAM holds one input image and the activations of one prediction.
//
// It includes only forma's inference headers (core/, kernels/, layers/,
// activations/, model/), builds with -fno-exceptions -fno-rtti, and never
// touches the heap: on a glibc host every allocation function is replaced
// with a counting one, and the program fails if classifying allocated
// anything. It also fails if a prediction differs from what the model gave
// when it was exported. build.sh builds it for the host and for a Cortex-M4.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include <forma/core/tensor.hpp>

#include "fashion_mlp_weights.hpp"
#include "fashion_samples.hpp"

// ---- The allocation check (glibc hosts) -------------------------------------
#if defined(__GLIBC__) && !defined(CLASSIFY_NO_ALLOCATION_CHECK)
#define CLASSIFY_CHECKS_ALLOCATIONS 1
#include <new>

namespace {
volatile bool counting = false;
volatile unsigned long allocations = 0;
void note_allocation() {
  if (counting) allocations = allocations + 1;
}
}  // namespace

// The C allocation functions, interposed over glibc's and forwarded to its
// allocator; operator new goes through them too.
extern "C" {
void* __libc_malloc(std::size_t) noexcept;
void* __libc_calloc(std::size_t, std::size_t) noexcept;
void* __libc_realloc(void*, std::size_t) noexcept;
void* __libc_memalign(std::size_t, std::size_t) noexcept;
void __libc_free(void*) noexcept;

void* malloc(std::size_t n) noexcept {
  note_allocation();
  return __libc_malloc(n);
}
void* calloc(std::size_t n, std::size_t size) noexcept {
  note_allocation();
  return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t n) noexcept {
  note_allocation();
  return __libc_realloc(p, n);
}
void* aligned_alloc(std::size_t align, std::size_t n) noexcept {
  note_allocation();
  return __libc_memalign(align, n);
}
void* memalign(std::size_t align, std::size_t n) noexcept {
  note_allocation();
  return __libc_memalign(align, n);
}
int posix_memalign(void** out, std::size_t align, std::size_t n) noexcept {
  note_allocation();
  void* p = __libc_memalign(align, n);
  if (!p) return 12;  // ENOMEM
  *out = p;
  return 0;
}
void free(void* p) noexcept { __libc_free(p); }
}

namespace {
void* allocate(std::size_t n, std::size_t align) {
  void* p = align > alignof(std::max_align_t) ? aligned_alloc(align, (n + align - 1) / align * align)
                                              : malloc(n == 0 ? 1 : n);
  if (!p) std::abort();  // no exceptions in this program
  return p;
}
}  // namespace

void* operator new(std::size_t n) { return allocate(n, 0); }
void* operator new[](std::size_t n) { return allocate(n, 0); }
void* operator new(std::size_t n, std::align_val_t a) { return allocate(n, static_cast<std::size_t>(a)); }
void* operator new[](std::size_t n, std::align_val_t a) { return allocate(n, static_cast<std::size_t>(a)); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return allocate(n, 0); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return allocate(n, 0); }
void operator delete(void* p) noexcept { free(p); }
void operator delete[](void* p) noexcept { free(p); }
void operator delete(void* p, std::size_t) noexcept { free(p); }
void operator delete[](void* p, std::size_t) noexcept { free(p); }
void operator delete(void* p, std::align_val_t) noexcept { free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { free(p); }
#endif

// ---- Classification -----------------------------------------------------------
namespace {

using model_type = fashion_mlp::model_type;
using image_tensor = forma::Tensor<model_type::input_shape>;
using probs_tensor = forma::Tensor<model_type::output_shape>;
constexpr std::size_t classes = model_type::output_shape::size;
static_assert(sizeof fashion_samples::images[0] == model_type::input_shape::size);

image_tensor input;  // a static, so the stack holds only the activations

std::size_t argmax(const float* p) {
  std::size_t best = 0;
  for (std::size_t k = 1; k < classes; ++k)
    if (p[k] > p[best]) best = k;
  return best;
}

// Bytes to [0, 1] as training saw them (x / 255), then the model.
std::size_t classify(const std::uint8_t* image, probs_tensor& probs) {
  for (std::size_t k = 0; k < image_tensor::size; ++k) input[k] = static_cast<float>(image[k]) / 255.0f;
  probs = fashion_mlp::model.predict(input);
  return argmax(probs.data());
}

// Another instruction set sums in another order: allow rounding, no more.
bool close_to(float got, float want) {
  const float diff = got > want ? got - want : want - got;
  return diff <= 1e-6f + 1e-4f * (want > 0 ? want : -want);
}

// A percentage with one decimal, without printf's floating point (newlib-nano
// leaves it out).
void print_percent(float p) {
  const unsigned tenths = static_cast<unsigned>(p * 1000.0f + 0.5f);
  std::printf("%3u.%u%%", tenths / 10, tenths % 10);
}

}  // namespace

int main() {
  namespace s = fashion_samples;
  static probs_tensor probs[s::count];
  std::size_t predicted[s::count];

#if defined(CLASSIFY_CHECKS_ALLOCATIONS)
  // The counter must see an allocation, or its silence below proves nothing.
  counting = true;
  void* probe = ::operator new(16);
  counting = false;
  ::operator delete(probe);
  if (allocations != 1) {
    std::printf("classify: the allocation counter does not work\n");
    return EXIT_FAILURE;
  }
  allocations = 0;
  counting = true;
#endif
  for (std::size_t i = 0; i < s::count; ++i) predicted[i] = classify(s::images[i], probs[i]);
#if defined(CLASSIFY_CHECKS_ALLOCATIONS)
  counting = false;
#endif

  std::printf("%u parameters in read-only memory, %u bytes of workspace on the stack, kernels: %s\n",
              static_cast<unsigned>(model_type::param_count),
              static_cast<unsigned>(model_type::workspace_bytes<1>), forma::kernels::native::name());
  bool ok = true;
  for (std::size_t i = 0; i < s::count; ++i) {
    bool same = predicted[i] == argmax(s::expected[i]);
    for (std::size_t k = 0; k < classes; ++k) same = same && close_to(probs[i][k], s::expected[i][k]);
    ok = ok && same;
    std::printf("test image %u: %-11s ", static_cast<unsigned>(s::test_index[i]), s::class_names[predicted[i]]);
    print_percent(probs[i][predicted[i]]);
    std::printf("  (label %s)%s\n", s::class_names[s::labels[i]],
                same ? "" : "  DIFFERS from the model's output at export");
  }
#if defined(CLASSIFY_CHECKS_ALLOCATIONS)
  std::printf("heap allocations while classifying: %lu\n", static_cast<unsigned long>(allocations));
  ok = ok && allocations == 0;
#endif
  return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
