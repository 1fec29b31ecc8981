#include "core/service/world.hpp"

#include "core/platform/assert.hpp"
#include "core/service/hash.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::service {
namespace {

constexpr tree_id id_of(tree_name name) noexcept { return static_cast<tree_id>(name); }

bin32 seal_hash(block_number number, const bin32& note_root, const bin32& data_root,
                const bin32& archive_root) {
  return hash_pair(hash_pair(note_root, data_root), hash_pair(archive_root, word_of(number)));
}

}  // namespace

world_snapshot world_snapshot::genesis() {
  auto note_hash = std::make_shared<merkle_tree>(merkle_tree::kind::append_only);
  auto public_data = std::make_shared<merkle_tree>(merkle_tree::kind::indexed);
  auto archive = std::make_shared<merkle_tree>(merkle_tree::kind::append_only);
  archive->append(seal_hash(0, note_hash->root(), public_data->root(), archive->root()));
  world_snapshot state;
  state.trees[id_of(tree_name::note_hash)] = std::move(note_hash);
  state.trees[id_of(tree_name::public_data)] = std::move(public_data);
  state.trees[id_of(tree_name::archive)] = std::move(archive);
  IPC_ASSERT(state.tree(id_of(tree_name::archive)).size() == 1);
  IPC_ASSERT(state.tree(id_of(tree_name::public_data)).size() == 1);
  return state;
}

const merkle_tree& world_snapshot::tree(tree_id tree) const noexcept {
  IPC_ASSERT(tree < tree_count);
  IPC_ASSERT(trees[tree] != nullptr);
  return *trees[tree];
}

working_world::working_world(const world_snapshot& base) { reset(base); }

const merkle_tree& working_world::tree(tree_id tree) const noexcept {
  IPC_ASSERT(tree < tree_count);
  IPC_ASSERT(trees_[tree] != nullptr);
  return *trees_[tree];
}

merkle_tree& working_world::mutable_tree(tree_id tree) {
  IPC_ASSERT(tree < tree_count);
  IPC_ASSERT(trees_[tree] != nullptr);
  if (!exclusive_[tree]) {
    trees_[tree] = std::make_shared<merkle_tree>(*trees_[tree]);
    exclusive_[tree] = true;
  }
  return *trees_[tree];
}

world_snapshot working_world::freeze() {
  world_snapshot snapshot;
  for (tree_id tree = 0; tree < tree_count; ++tree) {
    IPC_ASSERT(trees_[tree] != nullptr);
    snapshot.trees[tree] = trees_[tree];
    exclusive_[tree] = false;
  }
  return snapshot;
}

void working_world::reset(const world_snapshot& snapshot) {
  for (tree_id tree = 0; tree < tree_count; ++tree) {
    IPC_ASSERT(snapshot.trees[tree] != nullptr);
    // The snapshot's trees are never written through this pointer: exclusive_ is false, so the
    // first write copies. The const_cast only lets one pointer type hold both states.
    trees_[tree] = std::const_pointer_cast<merkle_tree>(snapshot.trees[tree]);
    exclusive_[tree] = false;
  }
}

bin32 block_hash(block_number number, const world_snapshot& state) {
  return seal_hash(number, state.tree(id_of(tree_name::note_hash)).root(),
                   state.tree(id_of(tree_name::public_data)).root(),
                   state.tree(id_of(tree_name::archive)).root());
}

bin32 block_hash(block_number number, const working_world& state) {
  return seal_hash(number, state.tree(id_of(tree_name::note_hash)).root(),
                   state.tree(id_of(tree_name::public_data)).root(),
                   state.tree(id_of(tree_name::archive)).root());
}

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::service
