#pragma once
// A fully specified random generator, so that init(seed) gives the same
// weights with every compiler and standard library (std's distributions are
// not specified bit for bit).
#include <cstdint>

namespace forma {

// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number
// generators", OOPSLA 2014): one 64-bit state, an add and a mix per draw.
class SplitMix64 {
 public:
  constexpr explicit SplitMix64(std::uint64_t seed) : state_(seed) {}

  constexpr std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  // Uniform in [0, 1) from the top 53 bits: exact in double, so a float
  // model and its double rebind start from the same weights, rounded.
  constexpr double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  std::uint64_t state_;
};

// A seed named by two others: the same pair gives the same seed, and a
// change in either an unrelated one (layers' randomness is named by the
// training seed, the epoch, the step and the layer this way).
constexpr std::uint64_t mix_seed(std::uint64_t a, std::uint64_t b) { return SplitMix64(SplitMix64(a).next() ^ b).next(); }

// Draw i (from 0) of SplitMix64(seed), without the draws before it: each
// element of a dropout mask is drawn where it is needed, so the mask does
// not depend on how threads share the rows.
constexpr std::uint64_t draw_at(std::uint64_t seed, std::uint64_t i) { return SplitMix64(seed + i * 0x9e3779b97f4a7c15ULL).next(); }

}  // namespace forma
