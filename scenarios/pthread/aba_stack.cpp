// Lock-free stack with ABA (Treiber's stack with node reuse). Nodes live in a fixed pool and are
// named by index; `head` holds the index of the top node. pop() reads head = A and A.next = B,
// then compare-and-swaps head from A to B. If, between the read and the CAS, another thread pops
// A, pops B and pushes A back, head is A again and the CAS succeeds, installing B as the top even
// though B is now owned by the other thread: B is then both on the stack and in a thread's hands.
//
// Thread 1 pops once; thread 2 pops twice and pushes its first node back. main then checks that
// every node is in exactly one place (on the stack or held by a thread); the ABA schedule puts B
// in two places and the check aborts. Every shared word is a std::atomic, so this is not a data
// race: it is a logic error that only one interleaving shows.
// The fix (-DFIXED): a tagged head. The top index and a version tag share one 64-bit word and
// every successful CAS increments the tag, so a head that went A -> ... -> A no longer compares
// equal and the stale CAS fails and retries.
#include <pthread.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

constexpr std::uint32_t node_count = 3;
constexpr std::uint32_t none = 0xffffffffU;

struct node {
  std::atomic<std::uint32_t> next{none};
};

node pool[node_count];
// Low 32 bits: index of the top node (or `none`); high 32 bits: the version tag (FIXED only).
std::atomic<std::uint64_t> head{none};

std::uint32_t top_of(std::uint64_t word) { return static_cast<std::uint32_t>(word); }

std::uint64_t with_top(std::uint64_t old_word, std::uint32_t top) {
#ifdef FIXED
  const std::uint64_t tag = (old_word >> 32) + 1;
  return (tag << 32) | top;
#else
  (void)old_word;
  return top;
#endif
}

void push(std::uint32_t index) {
  std::uint64_t old_word = head.load(std::memory_order_acquire);
  do {
    pool[index].next.store(top_of(old_word), std::memory_order_relaxed);
  } while (!head.compare_exchange_weak(old_word, with_top(old_word, index),
                                       std::memory_order_acq_rel, std::memory_order_acquire));
}

std::uint32_t pop() {
  std::uint64_t old_word = head.load(std::memory_order_acquire);
  for (;;) {
    const std::uint32_t top = top_of(old_word);
    if (top == none) {
      return none;
    }
    const std::uint32_t next = pool[top].next.load(std::memory_order_relaxed);
    if (head.compare_exchange_weak(old_word, with_top(old_word, next),
                                   std::memory_order_acq_rel, std::memory_order_acquire)) {
      return top;
    }
  }
}

std::uint32_t held_by_first = none;
std::uint32_t held_by_second = none;

void* pop_once(void*) {
  held_by_first = pop();
  return nullptr;
}

void* pop_pop_push(void*) {
  const std::uint32_t a = pop();
  const std::uint32_t b = pop();
  if (a != none) {
    push(a);
  }
  held_by_second = b;
  return nullptr;
}

/// Every node must be in exactly one place: on the stack or held by one thread.
void check_ownership() {
  int places[node_count] = {};
  int steps = 0;
  for (std::uint32_t at = top_of(head.load()); at != none && steps < 10; ++steps) {
    ++places[at];
    at = pool[at].next.load();
  }
  for (std::uint32_t held : {held_by_first, held_by_second}) {
    if (held != none) {
      ++places[held];
    }
  }
  for (std::uint32_t i = 0; i < node_count; ++i) {
    if (places[i] != 1) {
      std::fprintf(stderr, "aba_stack: node %u is in %d places (ABA on the head)\n", i,
                   places[i]);
      std::abort();
    }
  }
}

int main() {
  for (std::uint32_t i = node_count; i-- > 0;) {
    push(i);
  }
  pthread_t first;
  pthread_t second;
  pthread_create(&first, nullptr, pop_once, nullptr);
  pthread_create(&second, nullptr, pop_pop_push, nullptr);
  pthread_join(first, nullptr);
  pthread_join(second, nullptr);
  check_ownership();
  std::printf("aba_stack: every node in exactly one place\n");
  return 0;
}
