#include "model/wsdb_merkle.hpp"

#include "core/platform/assert.hpp"

namespace ipcsim::model {
namespace {

std::uint64_t splitmix_finaliser(std::uint64_t x) {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::uint64_t rotl(std::uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

/// Little-endian word `k` (0..3) of a 32-byte string.
std::uint64_t word_at(const bin32& bytes, int k) {
  std::uint64_t word = 0;
  for (int b = 7; b >= 0; --b) {
    word = (word << 8) | static_cast<std::uint64_t>(bytes[static_cast<std::size_t>(8 * k + b)]);
  }
  return word;
}

void put_word(bin32& bytes, int k, std::uint64_t word) {
  for (int b = 0; b < 8; ++b) {
    bytes[static_cast<std::size_t>(8 * k + b)] = static_cast<std::byte>(word & 0xff);
    word >>= 8;
  }
}

std::vector<bin32> make_zero_table() {
  std::vector<bin32> table(1);
  while (table.size() <= wsdb_depth) {
    table.push_back(wsdb_hash(table.back(), table.back()));
  }
  return table;
}

/// node(height, position) of docs/service.md §5.2, by recursion.
bin32 node(const std::vector<bin32>& slots, std::uint32_t height, std::uint64_t position) {
  const std::uint64_t first_slot = position << height;
  if (first_slot >= slots.size()) {
    return wsdb_zero(height);
  }
  if (height == 0) {
    return slots[position];
  }
  return wsdb_hash(node(slots, height - 1, 2 * position),
                   node(slots, height - 1, 2 * position + 1));
}

}  // namespace

bin32 wsdb_hash(const bin32& left, const bin32& right) {
  std::uint64_t m[8];
  for (int k = 0; k < 4; ++k) {
    m[k] = word_at(left, k);
    m[4 + k] = word_at(right, k);
  }
  std::uint64_t s0 = 0x6a09e667f3bcc908ULL;
  std::uint64_t s1 = 0xbb67ae8584caa73bULL;
  std::uint64_t s2 = 0x3c6ef372fe94f82bULL;
  std::uint64_t s3 = 0xa54ff53a5f1d36f1ULL;
  for (std::uint64_t r = 0; r < 8; ++r) {
    s0 = splitmix_finaliser(s0 ^ m[(0 + r) % 8] ^ ((r << 8) | 0));
    s1 = splitmix_finaliser(s1 ^ m[(1 + r) % 8] ^ ((r << 8) | 1));
    s2 = splitmix_finaliser(s2 ^ m[(2 + r) % 8] ^ ((r << 8) | 2));
    s3 = splitmix_finaliser(s3 ^ m[(3 + r) % 8] ^ ((r << 8) | 3));
    s0 = s0 + s1;
    s1 = s1 ^ rotl(s2, 21);
    s2 = s2 + s3;
    s3 = s3 ^ rotl(s0, 43);
  }
  bin32 out{};
  put_word(out, 0, s0);
  put_word(out, 1, s1);
  put_word(out, 2, s2);
  put_word(out, 3, s3);
  return out;
}

bin32 wsdb_word(std::uint64_t value) {
  bin32 out{};
  put_word(out, 0, value);
  return out;
}

const bin32& wsdb_zero(std::uint32_t height) {
  static const std::vector<bin32> table = make_zero_table();
  IPC_ASSERT(height <= wsdb_depth);
  return table[height];
}

bin32 merkle_root(const std::vector<bin32>& slots) {
  IPC_ASSERT(slots.size() <= (std::uint64_t{1} << wsdb_depth));
  return node(slots, wsdb_depth, 0);
}

std::vector<bin32> merkle_path(const std::vector<bin32>& slots, std::uint64_t index) {
  IPC_ASSERT(index < (std::uint64_t{1} << wsdb_depth));
  std::vector<bin32> path;
  for (std::uint32_t height = 0; height < wsdb_depth; ++height) {
    path.push_back(node(slots, height, (index >> height) ^ 1));
  }
  IPC_ASSERT(path.size() == wsdb_depth);
  return path;
}

}  // namespace ipcsim::model
