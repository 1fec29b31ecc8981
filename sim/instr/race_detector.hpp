#pragma once
//! Happens-before data-race detection for the instrumentation runtime.
//!
//! How it works. Memory is shadowed per 8-byte word (a "cell"): the last write and up to four
//! reads from distinct fibers, each with the accessing fiber, its clock component at the time
//! (its epoch), the bytes touched, whether it was atomic, the access PC and the shadow-stack node.
//! An access by fiber F conflicts with a recorded access by another fiber G when the byte ranges
//! overlap, at least one of them writes, not both are atomic, and G's epoch is not covered by F's
//! vector clock (FastTrack's test). Cells live in 512-byte pages found through an ordered map keyed
//! by page number (with a one-page cache); addresses locate data but never decide anything that
//! a run does. Sync clocks of atomics live in a second map keyed by address.
//!
//! Shadow stacks are nodes of a trie (parent, call PC) so that an access records its whole call
//! stack in one integer; a report walks the trie back to the root.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "sim/instr/vector_clock.hpp"

namespace ipcsim::instr {

struct instr_fiber;

/// True while a race_detector method runs. free() consults it: the detector's own containers
/// free memory in the middle of an update, and forgetting that memory's shadow then would
/// re-enter the detector.
extern bool shadow_busy;

/// One side of a race, as recorded in the shadow.
struct access_record {
  std::uint32_t fiber = UINT32_MAX;  ///< UINT32_MAX: empty slot
  std::uint32_t epoch = 0;
  std::uint32_t stack = 0;
  std::uint8_t offset = 0;  ///< first byte within the cell
  std::uint8_t size = 0;    ///< bytes within the cell
  bool write = false;
  bool atomic = false;
  std::uintptr_t pc = 0;
  std::uintptr_t address = 0;  ///< the access's own start address
  std::uint32_t access_size = 0;  ///< the access's full size (may span cells)
};

/// A detected race: the earlier access and the current one.
struct race_pair {
  access_record earlier;
  access_record later;
};

class race_detector {
 public:
  race_detector();
  /// Forgets every shadow cell, sync clock and stack (a new run).
  void reset();

  /// Checks and records an access of `size` bytes at `address` by `fiber`. Returns the first race
  /// found, if any.
  std::optional<race_pair> on_access(const instr_fiber& fiber, std::uintptr_t address,
                                     std::size_t size, bool write, bool atomic,
                                     std::uintptr_t pc);
  /// The last write recorded in the cell holding `address` (for an atomic location: the last
  /// store or read-modify-write), if there is one.
  std::optional<access_record> last_write_at(std::uintptr_t address);
  /// Forgets the shadow of [address, address + size): freed memory, a reused stack.
  void forget(std::uintptr_t address, std::size_t size);

  /// The sync clock of an atomic location (created empty on first use).
  vector_clock& sync_clock(std::uintptr_t address);

  /// The trie node for a call to `pc` from `parent`.
  std::uint32_t push_frame(std::uint32_t parent, std::uintptr_t pc);
  std::uint32_t parent_of(std::uint32_t node) const noexcept;
  /// The call PCs of `node`, innermost first.
  std::vector<std::uintptr_t> frames_of(std::uint32_t node) const;

 private:
  static constexpr std::size_t page_shift = 9;
  static constexpr std::size_t cells_per_page = (1u << page_shift) / 8;
  static constexpr std::size_t reads_per_cell = 4;

  struct cell {
    access_record write;
    access_record reads[reads_per_cell];
    bool has_reads = false;
  };
  struct page {
    cell cells[cells_per_page];
  };
  struct frame {
    std::uint32_t parent = 0;
    std::uintptr_t pc = 0;
  };
  struct frame_key_hash {
    std::size_t operator()(const std::pair<std::uint32_t, std::uintptr_t>& key) const noexcept {
      return std::hash<std::uintptr_t>{}(key.second * 31 + key.first);
    }
  };

  cell& cell_at(std::uintptr_t address);
  std::optional<race_pair> check_cell(cell& target, const instr_fiber& fiber,
                                      const access_record& access);
  static void record_read(cell& target, const instr_fiber& fiber, const access_record& access);

  page& fresh_page();

  /// Ordered so that forget() visits only the pages inside its range.
  std::map<std::uintptr_t, std::unique_ptr<page>> pages_;
  std::vector<std::unique_ptr<page>> spare_pages_;  ///< released pages, reused before allocating
  /// A direct-mapped cache of page lookups (by the page number's low bits), so that accesses
  /// alternating between a few pages skip the map.
  static constexpr std::size_t page_cache_slots = 64;
  struct cached_page {
    std::uintptr_t number = UINTPTR_MAX;
    page* found = nullptr;
  };
  cached_page page_cache_[page_cache_slots];
  std::unordered_map<std::uintptr_t, vector_clock> sync_;
  std::vector<frame> frames_;
  std::unordered_map<std::pair<std::uint32_t, std::uintptr_t>, std::uint32_t, frame_key_hash>
      frame_index_;
};

}  // namespace ipcsim::instr
