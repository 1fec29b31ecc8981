#pragma once
//! Stable object ids in first-touch order. Traces and strategies name shared objects by these ids,
//! never by address, so a trace means the same thing under ASLR and across builds. The table is
//! an open-addressing hash keyed by address; the address only locates the slot, it never decides
//! anything a run does, so it does not break determinism.

#include <cstdint>
#include <vector>

namespace ipcsim::inline sim {

class object_table {
 public:
  object_table() { slots_.resize(initial_slots); }

  /// Forgets every id. Costs the number of ids handed out, not the table size, because worlds
  /// reset once per schedule.
  void clear() noexcept {
    for (std::size_t index : used_) {
      slots_[index] = slot{};
    }
    used_.clear();
    count_ = 0;
  }

  /// The id of `object`, assigning the next one (1, 2, ...) on first touch; 0 for nullptr.
  std::uint32_t id_of(const void* object) {
    if (object == nullptr) {
      return 0;
    }
    const auto key = reinterpret_cast<std::uintptr_t>(object);
    std::size_t index = hash(key) & (slots_.size() - 1);
    while (true) {
      slot& entry = slots_[index];
      if (entry.key == key) {
        if (entry.id == 0) {
          entry.id = ++count_;  // A new object where a destroyed one lived.
        }
        return entry.id;
      }
      if (entry.key == 0) {
        entry.key = key;
        entry.id = ++count_;
        used_.push_back(index);
        if (count_ * 2 > slots_.size()) {
          grow();
        }
        return count_;
      }
      index = (index + 1) & (slots_.size() - 1);
    }
  }

  /// `object` was destroyed: the next object touched at its address gets a new id.
  void forget(const void* object) noexcept {
    const auto key = reinterpret_cast<std::uintptr_t>(object);
    std::size_t index = hash(key) & (slots_.size() - 1);
    while (slots_[index].key != 0) {
      if (slots_[index].key == key) {
        slots_[index].id = 0;
        return;
      }
      index = (index + 1) & (slots_.size() - 1);
    }
  }

  /// Forgets every object in [begin, begin + bytes), e.g. a released shared-memory region whose
  /// objects were never destroyed one by one.
  void forget_range(const void* begin, std::size_t bytes) noexcept {
    const auto first = reinterpret_cast<std::uintptr_t>(begin);
    for (const std::size_t index : used_) {
      if (slots_[index].key >= first && slots_[index].key - first < bytes) {
        slots_[index].id = 0;
      }
    }
  }

  std::uint32_t size() const noexcept { return count_; }

 private:
  struct slot {
    std::uintptr_t key = 0;
    std::uint32_t id = 0;
  };
  static constexpr std::size_t initial_slots = 1024;

  static std::size_t hash(std::uintptr_t key) noexcept {
    return static_cast<std::size_t>((key >> 3) * 0x9e3779b97f4a7c15ULL >> 20);
  }

  void grow() {
    std::vector<slot> old(slots_.size() * 2);
    old.swap(slots_);
    used_.clear();
    for (const slot& entry : old) {
      if (entry.key != 0) {
        std::size_t index = hash(entry.key) & (slots_.size() - 1);
        while (slots_[index].key != 0) {
          index = (index + 1) & (slots_.size() - 1);
        }
        slots_[index] = entry;
        used_.push_back(index);
      }
    }
  }

  std::vector<slot> slots_;
  std::vector<std::size_t> used_;  ///< occupied slot indices
  std::uint32_t count_ = 0;
};

}  // namespace ipcsim::inline sim
