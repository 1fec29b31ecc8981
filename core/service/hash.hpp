#pragma once
//! The node hash of every tree (docs/service.md §5): a 256-bit, non-cryptographic compression of
//! two 32-byte inputs into one, specified bit for bit so that the model can implement it on its
//! own. It is built from the splitmix64 finaliser over four 64-bit lanes and costs about as much
//! as a small real hash, so Merkle updates and reads do real work. Everything here is constexpr,
//! which lets the zero-subtree table be computed at compile time.

#include <array>
#include <cstddef>
#include <cstdint>

#include "core/platform/assert.hpp"
#include "core/platform/flavour.hpp"
#include "core/service/types.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::service {

namespace detail {

inline constexpr std::array<std::uint64_t, 4> hash_initial_lanes = {
    0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL};
inline constexpr std::uint32_t hash_rounds = 8;

constexpr std::uint64_t rotate_left(std::uint64_t value, unsigned bits) noexcept {
  return (value << bits) | (value >> (64U - bits));
}

/// The splitmix64 finaliser: a bijection on 64-bit words with full avalanche.
constexpr std::uint64_t finalise(std::uint64_t value) noexcept {
  value = (value ^ (value >> 30U)) * 0xbf58476d1ce4e5b9ULL;
  value = (value ^ (value >> 27U)) * 0x94d049bb133111ebULL;
  return value ^ (value >> 31U);
}

constexpr std::uint64_t load_le(const bin32& bytes, std::size_t offset) noexcept {
  std::uint64_t word = 0;
  for (std::size_t index = 0; index < 8; ++index) {
    word |= std::uint64_t{std::to_integer<std::uint8_t>(bytes[offset + index])} << (8 * index);
  }
  return word;
}

constexpr void store_le(bin32& bytes, std::size_t offset, std::uint64_t word) noexcept {
  for (std::size_t index = 0; index < 8; ++index) {
    bytes[offset + index] = static_cast<std::byte>((word >> (8 * index)) & 0xffU);
  }
}

}  // namespace detail

/// hash(left, right): the compression function of docs/service.md §5.1.
constexpr bin32 hash_pair(const bin32& left, const bin32& right) noexcept {
  std::array<std::uint64_t, 8> words{};
  for (std::size_t index = 0; index < 4; ++index) {
    words[index] = detail::load_le(left, 8 * index);
    words[index + 4] = detail::load_le(right, 8 * index);
  }
  std::array<std::uint64_t, 4> lanes = detail::hash_initial_lanes;
  for (std::uint64_t round = 0; round < detail::hash_rounds; ++round) {
    for (std::uint64_t lane = 0; lane < 4; ++lane) {
      const std::uint64_t word = words[(lane + round) % 8];
      lanes[lane] = detail::finalise(lanes[lane] ^ word ^ ((round << 8U) | lane));
    }
    // Cross-lane diffusion; each statement sees the lanes as updated by the previous one.
    lanes[0] += lanes[1];
    lanes[1] ^= detail::rotate_left(lanes[2], 21);
    lanes[2] += lanes[3];
    lanes[3] ^= detail::rotate_left(lanes[0], 43);
  }
  bin32 digest{};
  for (std::size_t index = 0; index < 4; ++index) {
    detail::store_le(digest, 8 * index, lanes[index]);
  }
  return digest;
}

/// The 32-byte word holding `value` little-endian in its first 8 bytes, zeros after.
constexpr bin32 word_of(std::uint64_t value) noexcept {
  bin32 word{};
  detail::store_le(word, 0, value);
  return word;
}

namespace detail {
constexpr std::array<bin32, tree_depth + 1> make_zero_hashes() noexcept {
  std::array<bin32, tree_depth + 1> table{};
  for (std::uint32_t level = 0; level < tree_depth; ++level) {
    table[level + 1] = hash_pair(table[level], table[level]);
  }
  return table;
}
inline constexpr std::array<bin32, tree_depth + 1> zero_hashes = make_zero_hashes();
}  // namespace detail

/// The root of an empty subtree of height `level` (0 = one empty leaf slot: 32 zero bytes).
constexpr const bin32& zero_hash(std::uint32_t level) noexcept {
  IPC_ASSERT(level <= tree_depth);
  return detail::zero_hashes[level];
}

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::service
