//! Unit tests of the service's hash and Merkle tree against the spec (docs/service.md §5): the
//! pinned hash vectors, roots rebuilt naively, paths that verify, and the indexed tree's links.

#include "core/service/merkle_tree.hpp"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "core/service/hash.hpp"

namespace {

using namespace ipcsim;
using service::bin32;
using service::merkle_tree;

bin32 filled(std::uint8_t value) {
  bin32 out{};
  out.fill(static_cast<std::byte>(value));
  return out;
}

std::string hex_of(const bin32& value) {
  static const char* digits = "0123456789abcdef";
  std::string hex;
  for (const std::byte b : value) {
    hex += digits[std::to_integer<int>(b) >> 4];
    hex += digits[std::to_integer<int>(b) & 15];
  }
  return hex;
}

/// The root of `slots` by the definition: hash pairs level by level over all 2^16 slots, with
/// empty subtrees folded into zero hashes.
bin32 naive_root(std::vector<bin32> level) {
  for (std::uint32_t height = 0; height < service::tree_depth; ++height) {
    std::vector<bin32> parents;
    for (std::size_t i = 0; i < level.size(); i += 2) {
      const bin32 right = i + 1 < level.size() ? level[i + 1] : service::zero_hash(height);
      parents.push_back(service::hash_pair(level[i], right));
    }
    if (parents.empty()) {
      return service::zero_hash(service::tree_depth);
    }
    level = std::move(parents);
  }
  REQUIRE(level.size() == 1);
  return level[0];
}

bin32 root_from_path(bin32 node, std::uint64_t index, const std::vector<bin32>& path) {
  for (std::uint32_t height = 0; height < path.size(); ++height) {
    node = ((index >> height) & 1U) != 0 ? service::hash_pair(path[height], node)
                                         : service::hash_pair(node, path[height]);
  }
  return node;
}

}  // namespace

TEST_CASE("service hash: matches the vectors pinned in docs/service.md", "[service][unit]") {
  static_assert(service::zero_hash(0) == bin32{});
  CHECK(hex_of(service::zero_hash(1)) ==
        "8e5ad587dfa7b349eab910fd131c841e60df1f4ee003bda3984578911656e771");
  CHECK(hex_of(service::zero_hash(16)) ==
        "84855a8a2f599f020141ca69587f0d31bb803b5d298f60a624f4edff970d305a");
  bin32 first{};
  bin32 second{};
  for (std::size_t i = 0; i < 32; ++i) {
    first[i] = static_cast<std::byte>(i);
    second[i] = static_cast<std::byte>(32 + i);
  }
  CHECK(hex_of(service::hash_pair(first, second)) ==
        "5ffa5fb838724f9b69b5a931bb8b3a58d907e3c026081b1ae2c3db2386f093e5");
  CHECK(service::word_of(0x0102)[0] == std::byte{0x02});
  CHECK(service::word_of(0x0102)[1] == std::byte{0x01});
}

TEST_CASE("merkle_tree: append-only roots and paths", "[service][unit]") {
  merkle_tree tree(merkle_tree::kind::append_only);
  CHECK(tree.size() == 0);
  CHECK(tree.root() == service::zero_hash(service::tree_depth));
  std::vector<bin32> leaves;
  for (std::uint8_t i = 1; i <= 37; ++i) {
    tree.append(filled(i));
    leaves.push_back(filled(i));
    REQUIRE(tree.root() == naive_root(leaves));
  }
  for (const std::uint64_t index : {0U, 1U, 17U, 36U, 37U, 65535U}) {
    const bin32 slot = index < leaves.size() ? leaves[index] : bin32{};
    CHECK(root_from_path(slot, index, tree.sibling_path(index)) == tree.root());
  }
  CHECK(tree.leaf_value(36) == filled(37));
  CHECK(tree.leaf_value(37) == std::nullopt);
  CHECK(tree.find(filled(5)) == 4U);
  CHECK(tree.find(filled(99)) == std::nullopt);
}

TEST_CASE("merkle_tree: indexed leaves link to the next larger key", "[service][unit]") {
  merkle_tree tree(merkle_tree::kind::indexed);
  CHECK(tree.size() == 1);
  tree.upsert(filled(9), filled(1));
  tree.upsert(filled(3), filled(2));
  tree.upsert(filled(9), filled(4));  // an update keeps the size
  CHECK(tree.size() == 3);
  CHECK(tree.find(filled(3)) == 2U);
  CHECK(tree.leaf_value(1) == filled(4));
  // Keys in leaf order: 0, 9, 3; sorted: 0 < 3 < 9.
  const std::vector<bin32> leaf_nodes = {
      service::hash_pair(service::hash_pair(bin32{}, bin32{}), filled(3)),
      service::hash_pair(service::hash_pair(filled(9), filled(4)), bin32{}),
      service::hash_pair(service::hash_pair(filled(3), filled(2)), filled(9)),
  };
  CHECK(tree.root() == naive_root(leaf_nodes));
  const std::vector<service::key_value> batch = {{filled(3), bin32{}}, {filled(7), bin32{}},
                                                 {filled(7), filled(1)}};
  CHECK(tree.count_new_keys(batch) == 1);
}

TEST_CASE("merkle_tree: copies are independent", "[service][unit]") {
  merkle_tree tree(merkle_tree::kind::append_only);
  tree.append(filled(1));
  merkle_tree copy = tree;
  copy.append(filled(2));
  CHECK(tree.size() == 1);
  CHECK(copy.size() == 2);
  CHECK(tree.root() != copy.root());
}
