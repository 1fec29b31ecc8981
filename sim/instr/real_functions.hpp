#pragma once
//! Access to the glibc functions this runtime interposes, for calls made outside a run (static
//! constructors, the fork server, the harness itself). Condition-variable functions need
//! dlvsym(..., "GLIBC_2.3.2"): plain dlsym would return the old 2.2.5 ABI.

#include <dlfcn.h>

#include "core/platform/assert.hpp"
#include "sim/instr/program_code.hpp"

namespace ipcsim::instr {

template <class Function>
Function real_function(const char* name, const char* version = nullptr) {
  void* const found = version != nullptr ? dlvsym(RTLD_NEXT, name, version)
                                         : dlsym(RTLD_NEXT, name);
  IPC_ASSERT(found != nullptr);
  return reinterpret_cast<Function>(found);
}

}  // namespace ipcsim::instr

/// Declares `real` as the next definition of the global function `name` (resolved once), and
/// marks the rest of the interposed function as the runtime's own code (program_code.hpp), so
/// the copies its containers make are never recorded as the program's.
#define IPCSIM_REAL(name)                                                                 \
  static const auto real = ::ipcsim::instr::real_function<decltype(&::name)>(#name);     \
  const ::ipcsim::instr::runtime_scope ipcsim_runtime_scope
#define IPCSIM_REAL_VERSIONED(name, version)                                                 \
  static const auto real = ::ipcsim::instr::real_function<decltype(&::name)>(#name, version); \
  const ::ipcsim::instr::runtime_scope ipcsim_runtime_scope
