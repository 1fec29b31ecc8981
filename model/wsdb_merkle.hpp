#pragma once
//! The model's own hash and Merkle arithmetic, written from docs/service.md §5 and nothing else.
//! Where the service caches every tree level and updates paths incrementally, the model keeps
//! only the leaf slots and recomputes any node on demand by recursion, skipping empty subtrees
//! through the zero-hash table. Slow, obvious and independent, which is what a reference wants.

#include <array>
#include <cstdint>
#include <vector>

#include "core/wire/value_view.hpp"

namespace ipcsim::model {

using bin32 = wire::bin32;

/// Height of every tree (docs/service.md §1).
inline constexpr std::uint32_t wsdb_depth = 16;

/// hash(a, b) of docs/service.md §5.1.
bin32 wsdb_hash(const bin32& left, const bin32& right);

/// The 32-byte word holding `value` little-endian in its first 8 bytes.
bin32 wsdb_word(std::uint64_t value);

/// z[height]: the root of an all-empty subtree of that height (0..wsdb_depth).
const bin32& wsdb_zero(std::uint32_t height);

/// The root over 2^wsdb_depth slots whose first `slots.size()` hold `slots`, the rest zeros.
bin32 merkle_root(const std::vector<bin32>& slots);

/// The wsdb_depth siblings of slot `index` (< 2^wsdb_depth), leaf level first.
std::vector<bin32> merkle_path(const std::vector<bin32>& slots, std::uint64_t index);

}  // namespace ipcsim::model
