#include "sim/stack_pool.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include "core/platform/assert.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define IPCSIM_ASAN_STACKS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define IPCSIM_ASAN_STACKS 1
#endif
#endif
#if defined(IPCSIM_ASAN_STACKS)
#include <sanitizer/asan_interface.h>
#endif

namespace ipcsim::inline sim {

stack_pool::stack_pool(std::size_t stack_bytes)
    : page_bytes_(static_cast<std::size_t>(::sysconf(_SC_PAGESIZE))) {
  IPC_ASSERT(page_bytes_ >= 4096);
  IPC_ASSERT(stack_bytes >= 16 * 1024);
  stack_bytes_ = (stack_bytes + page_bytes_ - 1) / page_bytes_ * page_bytes_;
}

stack_pool::~stack_pool() {
  IPC_ASSERT(in_use_ == 0);
  for (void* mapping : all_) {
    ::munmap(mapping, stack_bytes_ + page_bytes_);
  }
}

boost::context::stack_context stack_pool::allocate() {
  void* base = nullptr;
  if (!free_.empty()) {
    base = free_.back();
    free_.pop_back();
  } else {
    void* mapping = ::mmap(nullptr, stack_bytes_ + page_bytes_, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    IPC_ASSERT(mapping != MAP_FAILED);
    // The guard page sits below the stack (stacks grow down), so an overflow faults at once.
    IPC_ASSERT(::mprotect(mapping, page_bytes_, PROT_NONE) == 0);
    all_.push_back(mapping);
    base = static_cast<char*>(mapping) + page_bytes_;
  }
  ++in_use_;
#if defined(IPCSIM_ASAN_STACKS)
  // A stack abandoned mid-run (killed process, deadlock) keeps ASan's poisoning of its dead frames;
  // the next fiber on it starts with clean shadow memory.
  ASAN_UNPOISON_MEMORY_REGION(base, stack_bytes_);
#endif
  boost::context::stack_context stack;
  stack.size = stack_bytes_;
  stack.sp = static_cast<char*>(base) + stack_bytes_;
  return stack;
}

void stack_pool::deallocate(boost::context::stack_context& stack) noexcept {
  IPC_ASSERT(in_use_ > 0);
  IPC_ASSERT(stack.size == stack_bytes_);
  --in_use_;
  free_.push_back(static_cast<char*>(stack.sp) - stack_bytes_);
}

}  // namespace ipcsim::inline sim
