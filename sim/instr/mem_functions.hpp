#pragma once
//! glibc's memcpy, memmove and memset, reached without going through the interposed definitions
//! in mem_functions.cpp (which would record the copy a second time).

#include <cstddef>
#include <cstdint>

namespace ipcsim::instr {

void* real_memcpy(void* target, const void* source, std::size_t size) noexcept;
void* real_memmove(void* target, const void* source, std::size_t size) noexcept;
void* real_memset(void* target, int value, std::size_t size) noexcept;

/// Records a copy of `size` bytes made by program code at `pc`: a read of `source` (unless null)
/// and a write of `target`, each a hooked access. Call only when `hooks_hot`.
void record_program_copy(void* target, const void* source, std::size_t size, std::uintptr_t pc);

}  // namespace ipcsim::instr
