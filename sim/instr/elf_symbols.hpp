#pragma once
//! Names for code and data addresses of the main executable that dladdr cannot name: symbols with
//! internal linkage (static functions, anonymous namespaces) are only in the ELF .symtab, not in
//! the dynamic symbol table. The table is read once from /proc/self/exe when a report needs it.

#include <cstdint>
#include <string>

namespace ipcsim::instr {

/// The name of the .symtab symbol containing `module_offset` of the main executable (an offset
/// from its load base), with the offset into it ("worker+0x1c"); empty if none.
std::string executable_symbol(std::uintptr_t module_offset);

}  // namespace ipcsim::instr
