#pragma once
// How threads divide work: the part [begin, end) of `count` items that
// thread `index` of `threads` takes, in whole units of `grain` (the last
// part takes the remainder). Threads take contiguous parts, so each touches
// its own cache lines.
#include <cstddef>

namespace forma {

struct share {
  std::size_t begin, end;
};

inline constexpr share share_of(std::size_t count, std::size_t grain, std::size_t index,
                                std::size_t threads) noexcept {
  const std::size_t units = (count + grain - 1) / grain;
  const std::size_t b = units * index / threads * grain;
  const std::size_t e = units * (index + 1) / threads * grain;
  return {b < count ? b : count, e < count ? e : count};
}

}  // namespace forma
