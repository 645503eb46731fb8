#pragma once
// For the small steps inside register tiles (an unrolled loop over a tile's
// vectors, an update rule on one vector): a call there spills the tile to
// memory. clang 14 left static_for's calls out of line in the update tile
// and ran training at 60% of g++'s speed.
#if defined(__GNUC__)
#define FORMA_ALWAYS_INLINE [[gnu::always_inline]] inline
#else
#define FORMA_ALWAYS_INLINE inline
#endif
