//! Checks that hostile container headers are rejected without a large allocation, by recording
//! the largest single malloc request made while a probe is armed. glibc exposes its allocator as
//! `__libc_*`, so this executable can interpose `malloc` and friends and forward every call; the
//! sanitizers interpose the allocator themselves, so under them the probe is off and the test
//! only checks the error kind.

#include <catch2/catch.hpp>

#include <atomic>
#include <cstddef>
#include <cstdlib>

#include "core/wire/envelope.hpp"

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define IPCSIM_TEST_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define IPCSIM_TEST_SANITIZED 1
#endif

namespace {
std::atomic<bool> probe_armed{false};
std::atomic<std::size_t> probe_largest{0};

[[maybe_unused]] void probe_record(std::size_t size) noexcept {
  if (!probe_armed.load(std::memory_order_relaxed)) {
    return;
  }
  std::size_t seen = probe_largest.load(std::memory_order_relaxed);
  while (size > seen && !probe_largest.compare_exchange_weak(seen, size)) {
  }
}
}  // namespace

#if !defined(IPCSIM_TEST_SANITIZED) && defined(__GLIBC__)
#define IPCSIM_MALLOC_PROBE 1
extern "C" {
void* __libc_malloc(std::size_t size);
void* __libc_calloc(std::size_t count, std::size_t size);
void* __libc_realloc(void* pointer, std::size_t size);
void __libc_free(void* pointer);

void* malloc(std::size_t size) {
  probe_record(size);
  return __libc_malloc(size);
}
void* calloc(std::size_t count, std::size_t size) {
  probe_record(count * size);
  return __libc_calloc(count, size);
}
void* realloc(void* pointer, std::size_t size) {
  probe_record(size);
  return __libc_realloc(pointer, size);
}
void free(void* pointer) { __libc_free(pointer); }
}
#endif

namespace ipcsim::wire {
namespace {

bytes make_bytes(std::initializer_list<unsigned> values) {
  bytes out;
  for (const unsigned value : values) {
    out.push_back(static_cast<std::byte>(value));
  }
  return out;
}

/// Decodes `payload` as a request with the probe armed; returns the largest allocation.
std::size_t largest_allocation_decoding(const bytes& payload, decode_error expected) {
  probe_largest.store(0);
  probe_armed.store(true);
  const auto decode_result = decode_request(payload);
  probe_armed.store(false);
  REQUIRE_FALSE(decode_result);
  CHECK(decode_result.error().kind == expected);
  return probe_largest.load();
}

}  // namespace

TEST_CASE("malloc_probe: the probe sees allocations", "[wire][unit]") {
#if defined(IPCSIM_MALLOC_PROBE)
  probe_largest.store(0);
  probe_armed.store(true);
  void* volatile block = std::malloc(12345);
  probe_armed.store(false);
  std::free(block);
  CHECK(probe_largest.load() >= 12345);
#else
  SUCCEED("allocator probe disabled under sanitizers");
#endif
}

TEST_CASE("malloc_probe: container bombs are rejected without a large allocation",
          "[wire][unit]") {
  constexpr std::size_t small = 64 * 1024;
  const std::size_t map_bomb = largest_allocation_decoding(
      make_bytes({0xdf, 0xff, 0xff, 0xff, 0xff}), decode_error::limit_exceeded);
  const std::size_t array_bomb = largest_allocation_decoding(
      make_bytes({0xdd, 0xff, 0xff, 0xff, 0xff}), decode_error::limit_exceeded);
  // Exactly at the entry limit: msgpack-c alone would allocate 48 MiB (map) or 24 MiB (array).
  const std::size_t map_at_limit = largest_allocation_decoding(
      make_bytes({0xdf, 0x00, 0x10, 0x00, 0x00}), decode_error::truncated);
  const std::size_t nested = largest_allocation_decoding(
      make_bytes({0x91, 0x92, 0xa1, 'x', 0xdf, 0x00, 0x10, 0x00, 0x00}), decode_error::truncated);
#if defined(IPCSIM_MALLOC_PROBE)
  CHECK(map_bomb < small);
  CHECK(array_bomb < small);
  CHECK(map_at_limit < small);
  CHECK(nested < small);
#else
  static_cast<void>(map_bomb + array_bomb + map_at_limit + nested + small);
#endif
}

}  // namespace ipcsim::wire
