//! Unit tests of the real named shared memory: exclusive create with mode 0600, open of the same
//! bytes through a second mapping, unlink semantics (mappings outlive the name), size and name
//! validation, and a stale segment left by a dead creator (Z12) handled by create_or_replace.

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <iostream>
#include <string>

#include "core/platform/shared_memory.hpp"

namespace platform = ipcsim::platform;
using platform::shm_error;

namespace {

std::string unique_name(const char* tag) {
  static std::atomic<int> counter{0};
  return std::string("/ipcsim-test-") + tag + "-" + std::to_string(getpid()) + "-" +
         std::to_string(counter.fetch_add(1));
}

/// Removes the name at the end of a test even when an assertion fails midway.
struct name_guard {
  std::string name;
  ~name_guard() { static_cast<void>(platform::shm_unlink(name)); }
};

}  // namespace

TEST_CASE("shared_memory: create is exclusive, zeroed, 0600, and open maps the same bytes",
          "[unit]") {
  name_guard guard{unique_name("create")};
  auto created = platform::shm_create(guard.name, 4096);
  REQUIRE(created.has_value());
  CHECK(created->size() == 4096);
  CHECK(reinterpret_cast<std::uintptr_t>(created->data()) % 64 == 0);
  for (std::size_t i = 0; i < created->size(); ++i) {
    REQUIRE(created->data()[i] == std::byte{0});
  }
  CHECK(platform::shm_create(guard.name, 4096).error() == shm_error::exists);

  struct stat status {};
  REQUIRE(::stat(("/dev/shm" + guard.name).c_str(), &status) == 0);
  CHECK((status.st_mode & 0777) == 0600);

  auto opened = platform::shm_open_existing(guard.name);
  REQUIRE(opened.has_value());
  CHECK(opened->size() == 4096);
  CHECK(opened->data() != created->data());  // a second mapping of the same memory
  std::memcpy(created->data() + 100, "hello", 5);
  CHECK(std::memcmp(opened->data() + 100, "hello", 5) == 0);
}

TEST_CASE("shared_memory: unlink removes the name but not existing mappings", "[unit]") {
  name_guard guard{unique_name("unlink")};
  auto created = platform::shm_create(guard.name, 8192);
  REQUIRE(created.has_value());
  REQUIRE(platform::shm_unlink(guard.name).has_value());
  CHECK(platform::shm_unlink(guard.name).error() == shm_error::not_found);
  CHECK(platform::shm_open_existing(guard.name).error() == shm_error::not_found);
  created->data()[8191] = std::byte{7};
  CHECK(created->data()[8191] == std::byte{7});
}

TEST_CASE("shared_memory: regions move and unmap once", "[unit]") {
  name_guard guard{unique_name("move")};
  auto created = platform::shm_create(guard.name, 4096);
  REQUIRE(created.has_value());
  platform::shared_region moved(std::move(*created));
  CHECK(created->empty());  // NOLINT(bugprone-use-after-move): moved-from is defined as empty
  CHECK(moved.size() == 4096);
  platform::shared_region assigned;
  assigned = std::move(moved);
  CHECK(moved.empty());  // NOLINT(bugprone-use-after-move)
  CHECK_FALSE(assigned.empty());
  assigned.data()[0] = std::byte{1};
}

TEST_CASE("shared_memory: malformed names and sizes are invalid arguments", "[unit]") {
  for (const char* name : {"", "/", "no-slash", "/a/b", "//x"}) {
    INFO("name '" << name << "'");
    CHECK(platform::shm_create(name, 64).error() == shm_error::invalid_argument);
    CHECK(platform::shm_open_existing(name).error() == shm_error::invalid_argument);
    CHECK(platform::shm_unlink(name).error() == shm_error::invalid_argument);
  }
  CHECK(platform::shm_create("/" + std::string(300, 'x'), 64).error() ==
        shm_error::invalid_argument);
  CHECK(platform::shm_create(unique_name("zero"), 0).error() == shm_error::invalid_argument);
  CHECK(platform::shm_open_existing(unique_name("missing")).error() == shm_error::not_found);
}

TEST_CASE("shared_memory: a segment left by a dead creator is replaced by create_or_replace",
          "[unit]") {
  name_guard guard{unique_name("stale")};
  // The creator dies without unlinking (as a SIGKILLed server would), leaving data behind.
  std::cout << std::flush;  // a forked child must not inherit unflushed output
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    auto created = platform::shm_create(guard.name, 4096);
    if (!created.has_value()) {
      _exit(2);
    }
    created->data()[0] = std::byte{0x5a};
    _exit(0);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);

  CHECK(platform::shm_create(guard.name, 4096).error() == shm_error::exists);
  auto replaced = platform::shm_create_or_replace(guard.name, 8192);
  REQUIRE(replaced.has_value());
  CHECK(replaced->size() == 8192);
  CHECK(replaced->data()[0] == std::byte{0});  // fresh, not the dead creator's bytes
  // With no segment at all, create_or_replace simply creates.
  name_guard other{unique_name("fresh")};
  CHECK(platform::shm_create_or_replace(other.name, 64).has_value());
}
