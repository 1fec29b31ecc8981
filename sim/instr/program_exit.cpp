//! Interposed ways out of a program: exit(), abort(), __assert_fail() and free()/realloc().
//! Inside a run, exit and a return from main end the run (other simulated threads stop with the
//! process, as they would); abort and failed assertions end it as a finding with status
//! "assert". Static destructors and atexit handlers do not run inside a run: the run's verdict
//! is taken first and the process then leaves through _exit.
//!
//! free and realloc forget the shadow of the released block, so memory that is freed by one fiber
//! and reused by another does not look like a race (TSan's runtime does the same in its malloc).

#include <malloc.h>
#include <stdlib.h>

#include <cstdio>
#include <string>

#include "sim/instr/real_functions.hpp"
#include "sim/instr/runtime.hpp"

extern "C" void __libc_free(void* block);
extern "C" void* __libc_realloc(void* block, size_t size);

using namespace ipcsim::instr;
namespace sim = ipcsim::sim;

extern "C" void exit(int code) {
  IPCSIM_REAL(exit);
  if (!in_simulation()) {
    real(code);
  }
  rt.exit_code = code;
  end_run_with(finding::exited, "exit(" + std::to_string(code) + ")");
}

extern "C" void abort() noexcept {
  IPCSIM_REAL(abort);
  if (!in_simulation()) {
    real();
  }
  end_run_with(finding::assert_failed, "abort() called in fiber '" + self().name + "'");
}

extern "C" void __assert_fail(const char* assertion, const char* file,
                                           unsigned int line, const char* function) noexcept {
  // The report is built by the runtime: its copies are not the program's.
  const runtime_scope scope;
  if (!in_simulation()) {
    std::fprintf(stderr, "%s:%u: %s: Assertion `%s' failed.\n", file, line, function, assertion);
    IPCSIM_REAL(abort);
    real();
  }
  end_run_with(finding::assert_failed, std::string("assertion failed in fiber '") + self().name +
                                           "': " + assertion + " (" + file + ":" +
                                           std::to_string(line) + ", " + function + ")");
}

extern "C" void free(void* block) noexcept {
  if (block != nullptr && rt.running && rt.race_detection && !shadow_busy) {
    shadow.forget(reinterpret_cast<std::uintptr_t>(block), malloc_usable_size(block));
  }
  __libc_free(block);
}

extern "C" void* realloc(void* block, size_t size) noexcept {
  const std::size_t old_size = block != nullptr ? malloc_usable_size(block) : 0;
  void* const moved = __libc_realloc(block, size);
  if (moved != block && moved != nullptr && old_size > 0 && rt.running && rt.race_detection &&
      !shadow_busy) {
    shadow.forget(reinterpret_cast<std::uintptr_t>(block), old_size);
  }
  return moved;
}
