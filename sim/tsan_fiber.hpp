#pragma once
// ThreadSanitizer fiber annotations. Under TSan every context switch must be announced, or TSan's
// per-thread shadow call stack keeps growing across switches (millions per sweep) until memory
// runs out. Without TSan these are empty inline functions.

#if defined(__SANITIZE_THREAD__)
#define IPCSIM_TSAN_FIBERS 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define IPCSIM_TSAN_FIBERS 1
#endif
#endif

#if defined(IPCSIM_TSAN_FIBERS)
#include <sanitizer/tsan_interface.h>
#endif

namespace ipcsim::inline sim::tsan {

#if defined(IPCSIM_TSAN_FIBERS)
inline void* current_fiber() noexcept { return __tsan_get_current_fiber(); }
inline void* create_fiber() noexcept { return __tsan_create_fiber(0); }
inline void destroy_fiber(void* fiber) noexcept { __tsan_destroy_fiber(fiber); }
// Flag 0 (synchronising switch): with no_sync TSan reports races inside Boost's own hand-over.
inline void switch_to_fiber(void* fiber) noexcept { __tsan_switch_to_fiber(fiber, 0); }
#else
inline void* current_fiber() noexcept { return nullptr; }
inline void* create_fiber() noexcept { return nullptr; }
inline void destroy_fiber(void*) noexcept {}
inline void switch_to_fiber(void*) noexcept {}
#endif

}  // namespace ipcsim::inline sim::tsan
