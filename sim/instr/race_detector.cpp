// race_detector: shadow cells, the FastTrack-style conflict test and the shadow-stack trie.

#include "sim/instr/race_detector.hpp"

#include <algorithm>

#include "core/platform/assert.hpp"
#include "sim/instr/runtime.hpp"

namespace ipcsim::instr {

bool shadow_busy = false;

namespace {

/// Marks the detector busy for the duration of one public method (see shadow_busy).
struct busy_guard {
  bool was_busy = shadow_busy;
  busy_guard() noexcept { shadow_busy = true; }
  ~busy_guard() { shadow_busy = was_busy; }
  busy_guard(const busy_guard&) = delete;
  busy_guard& operator=(const busy_guard&) = delete;
};

bool overlaps(const access_record& a, const access_record& b) noexcept {
  return a.offset < b.offset + b.size && b.offset < a.offset + a.size;
}

/// True when `recorded` (by another fiber) is not ordered before the current access of `fiber`.
bool unordered(const access_record& recorded, const instr_fiber& fiber) noexcept {
  return recorded.fiber != UINT32_MAX && recorded.fiber != fiber.index &&
         recorded.epoch > fiber.clock.get(recorded.fiber);
}

bool conflicts(const access_record& recorded, const access_record& access,
               const instr_fiber& fiber) noexcept {
  if (recorded.atomic && access.atomic) {
    return false;
  }
  return overlaps(recorded, access) && unordered(recorded, fiber);
}

}  // namespace

race_detector::race_detector() { reset(); }

void race_detector::reset() {
  const busy_guard busy;
  for (auto& [number, released] : pages_) {
    spare_pages_.push_back(std::move(released));
  }
  pages_.clear();
  for (cached_page& entry : page_cache_) {
    entry = cached_page{};
  }
  sync_.clear();
  frames_.assign(1, frame{});
  frame_index_.clear();
}

race_detector::cell& race_detector::cell_at(std::uintptr_t address) {
  const std::uintptr_t number = address >> page_shift;
  cached_page& entry = page_cache_[number & (page_cache_slots - 1)];
  if (entry.number != number) {
    std::unique_ptr<page>& slot = pages_[number];
    if (!slot) {
      if (spare_pages_.empty()) {
        slot = std::make_unique<page>();
      } else {
        slot = std::move(spare_pages_.back());
        spare_pages_.pop_back();
        *slot = page{};
      }
    }
    entry = cached_page{number, slot.get()};
  }
  return entry.found->cells[(address >> 3) & (cells_per_page - 1)];
}

std::optional<access_record> race_detector::last_write_at(std::uintptr_t address) {
  const busy_guard busy;
  const access_record& last = cell_at(address).write;
  if (last.fiber == UINT32_MAX) {
    return std::nullopt;
  }
  return last;
}

std::optional<race_pair> race_detector::on_access(const instr_fiber& fiber,
                                                  std::uintptr_t address, std::size_t size,
                                                  bool write, bool atomic, std::uintptr_t pc) {
  const busy_guard busy;
  IPC_ASSERT(size > 0);
  std::uintptr_t at = address;
  const std::uintptr_t end = address + size;
  while (at < end) {
    const std::uintptr_t cell_end = (at | 7) + 1;
    const std::uintptr_t piece_end = std::min(end, cell_end);
    access_record access;
    access.fiber = fiber.index;
    access.epoch = fiber.clock.get(fiber.index);
    access.stack = fiber.stack_node;
    access.offset = static_cast<std::uint8_t>(at & 7);
    access.size = static_cast<std::uint8_t>(piece_end - at);
    access.write = write;
    access.atomic = atomic;
    access.pc = pc;
    access.address = address;
    access.access_size = static_cast<std::uint32_t>(std::min<std::size_t>(size, UINT32_MAX));
    cell& target = cell_at(at);
    if (auto race = check_cell(target, fiber, access)) {
      return race;
    }
    at = piece_end;
  }
  return std::nullopt;
}

std::optional<race_pair> race_detector::check_cell(cell& target, const instr_fiber& fiber,
                                                   const access_record& access) {
  const access_record& last = target.write;
  if (access.write && !target.has_reads && last.fiber == access.fiber &&
      last.epoch == access.epoch && last.atomic == access.atomic && last.offset == access.offset &&
      last.size == access.size) {
    return std::nullopt;  // FastTrack's same-epoch write: nothing new to record or check.
  }
  if (conflicts(target.write, access, fiber)) {
    return race_pair{target.write, access};
  }
  if (!access.write) {
    record_read(target, fiber, access);
    target.has_reads = true;
    return std::nullopt;
  }
  if (target.has_reads) {
    for (access_record& read : target.reads) {
      if (conflicts(read, access, fiber)) {
        return race_pair{read, access};
      }
    }
    for (access_record& read : target.reads) {
      read = access_record{};
    }
    target.has_reads = false;
  }
  target.write = access;
  return std::nullopt;
}

void race_detector::record_read(cell& target, const instr_fiber& fiber,
                                const access_record& access) {
  // Prefer this fiber's own slot, then a free one, then one ordered before this read (it can no
  // longer race with anything this read would not also race with); else overwrite the first.
  access_record* chosen = nullptr;
  for (access_record& read : target.reads) {
    if (read.fiber == fiber.index) {
      chosen = &read;
      break;
    }
  }
  for (access_record& read : target.reads) {
    if (chosen == nullptr && read.fiber == UINT32_MAX) {
      chosen = &read;
    }
  }
  for (access_record& read : target.reads) {
    if (chosen == nullptr && !unordered(read, fiber)) {
      chosen = &read;
    }
  }
  IPC_MAYBE(chosen == nullptr);
  *(chosen != nullptr ? chosen : &target.reads[0]) = access;
}

void race_detector::forget(std::uintptr_t address, std::size_t size) {
  const busy_guard busy;
  const std::uintptr_t end = address + size;
  auto found = pages_.lower_bound(address >> page_shift);
  while (found != pages_.end() && (found->first << page_shift) < end) {
    const std::uintptr_t page_begin = found->first << page_shift;
    const std::uintptr_t first = std::max(page_begin, address & ~std::uintptr_t{7});
    const std::uintptr_t stop = std::min(end, page_begin + (std::uintptr_t{1} << page_shift));
    for (std::uintptr_t cell_at = first; cell_at < stop; cell_at += 8) {
      found->second->cells[(cell_at >> 3) & (cells_per_page - 1)] = cell{};
    }
    ++found;
  }
}

vector_clock& race_detector::sync_clock(std::uintptr_t address) {
  const busy_guard busy;
  return sync_[address];
}

std::uint32_t race_detector::push_frame(std::uint32_t parent, std::uintptr_t pc) {
  const busy_guard busy;
  IPC_ASSERT(parent < frames_.size());
  const auto [found, inserted] =
      frame_index_.try_emplace({parent, pc}, static_cast<std::uint32_t>(frames_.size()));
  if (inserted) {
    frames_.push_back(frame{parent, pc});
  }
  return found->second;
}

std::uint32_t race_detector::parent_of(std::uint32_t node) const noexcept {
  return node < frames_.size() ? frames_[node].parent : 0;
}

std::vector<std::uintptr_t> race_detector::frames_of(std::uint32_t node) const {
  std::vector<std::uintptr_t> pcs;
  while (node != 0 && node < frames_.size() && pcs.size() < 64) {
    pcs.push_back(frames_[node].pc);
    node = frames_[node].parent;
  }
  return pcs;
}

}  // namespace ipcsim::instr
