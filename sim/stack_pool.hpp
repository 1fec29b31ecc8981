#pragma once
//! Fixed-size fiber stacks, each with an inaccessible guard page below it, reused across fibers and
//! runs. mmap + mprotect cost microseconds, a schedule costs about one, so stacks are never
//! returned to the kernel until the pool is destroyed.

#include <cstddef>
#include <vector>

#include <boost/context/stack_context.hpp>

namespace ipcsim::inline sim {

class stack_pool {
 public:
  explicit stack_pool(std::size_t stack_bytes);
  ~stack_pool();
  stack_pool(const stack_pool&) = delete;
  stack_pool& operator=(const stack_pool&) = delete;

  boost::context::stack_context allocate();
  void deallocate(boost::context::stack_context& stack) noexcept;

  std::size_t stack_bytes() const noexcept { return stack_bytes_; }
  /// Stacks handed out and not yet returned.
  std::size_t in_use() const noexcept { return in_use_; }

 private:
  std::size_t stack_bytes_;
  std::size_t page_bytes_;
  std::vector<void*> free_;   ///< usable-region bases of idle stacks
  std::vector<void*> all_;    ///< mapping bases (guard page included), for unmapping
  std::size_t in_use_ = 0;
};

/// The StackAllocator concept Boost.Context expects, forwarding to a pool.
class pooled_stack_allocator {
 public:
  explicit pooled_stack_allocator(stack_pool& pool) noexcept : pool_(&pool) {}
  boost::context::stack_context allocate() { return pool_->allocate(); }
  void deallocate(boost::context::stack_context& stack) noexcept { pool_->deallocate(stack); }

 private:
  stack_pool* pool_;
};

}  // namespace ipcsim::inline sim
