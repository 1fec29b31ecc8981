// Every atomic hook against the operation it stands for: each size, each operation, a spread of
// operand pairs (zero, one, all ones, sign bit, mixed bits), checked against plain arithmetic on
// copies. The std::atomic calls reach the hooks the compiler emits (clang: compare_exchange_val;
// g++: compare_exchange_strong/weak); the hooks of the other family and the 128-bit ones are
// called directly. Exits non-zero (through a failed check) on the first mismatch.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstdint>

extern "C" {
int __tsan_atomic32_compare_exchange_strong(volatile int*, int*, int, int, int);
int __tsan_atomic32_compare_exchange_weak(volatile int*, int*, int, int, int);
int __tsan_atomic32_compare_exchange_val(volatile int*, int, int, int, int);
long __tsan_atomic64_compare_exchange_val(volatile long*, long, long, int, int);
__extension__ typedef __int128 int128;
int128 __tsan_atomic128_load(const volatile int128*, int);
void __tsan_atomic128_store(volatile int128*, int128, int);
int128 __tsan_atomic128_fetch_add(volatile int128*, int128, int);
int128 __tsan_atomic128_exchange(volatile int128*, int128, int);
int128 __tsan_atomic128_compare_exchange_val(volatile int128*, int128, int128, int, int);
}

namespace {

int failures = 0;

void check(bool ok, const char* what, int size, long long a, long long b) {
  if (!ok) {
    std::fprintf(stderr, "mismatch: %s size %d operands %lld %lld\n", what, size, a, b);
    ++failures;
  }
}

template <class T>
void check_pair(T a, T b) {
  using U = std::make_unsigned_t<T>;
  const int size = static_cast<int>(sizeof(T));
  std::atomic<T> cell{a};
  check(cell.load(std::memory_order_acquire) == a, "load", size, a, b);
  cell.store(b, std::memory_order_release);
  check(cell.load(std::memory_order_relaxed) == b, "store", size, a, b);
  cell.store(a);
  check(cell.exchange(b) == a && cell.load() == b, "exchange", size, a, b);
  cell.store(a);
  check(cell.fetch_add(b) == a && cell.load() == static_cast<T>(U(a) + U(b)), "fetch_add", size,
        a, b);
  cell.store(a);
  check(cell.fetch_sub(b) == a && cell.load() == static_cast<T>(U(a) - U(b)), "fetch_sub", size,
        a, b);
  cell.store(a);
  check(cell.fetch_and(b) == a && cell.load() == static_cast<T>(a & b), "fetch_and", size, a, b);
  cell.store(a);
  check(cell.fetch_or(b) == a && cell.load() == static_cast<T>(a | b), "fetch_or", size, a, b);
  cell.store(a);
  check(cell.fetch_xor(b) == a && cell.load() == static_cast<T>(a ^ b), "fetch_xor", size, a, b);
  T raw = a;
  check(__atomic_fetch_nand(&raw, b, __ATOMIC_SEQ_CST) == a && raw == static_cast<T>(~(a & b)),
        "fetch_nand", size, a, b);
  cell.store(a);
  T expected = a;
  check(cell.compare_exchange_strong(expected, b) && expected == a && cell.load() == b,
        "cas strong success", size, a, b);
  expected = static_cast<T>(a ^ 1);
  cell.store(a);
  check(!cell.compare_exchange_strong(expected, b) && expected == a && cell.load() == a,
        "cas strong failure", size, a, b);
  expected = a;
  bool swapped = false;
  for (int attempt = 0; attempt < 8 && !swapped; ++attempt) {
    swapped = cell.compare_exchange_weak(expected, b, std::memory_order_acq_rel,
                                         std::memory_order_acquire);
  }
  check(swapped && cell.load() == b, "cas weak", size, a, b);
}

template <class T>
void check_type() {
  using U = std::make_unsigned_t<T>;
  const T values[] = {0, 1, static_cast<T>(-1), static_cast<T>(U(1) << (sizeof(T) * 8 - 1)),
                      static_cast<T>(0x5a), static_cast<T>(~U(0x5a)), 2, static_cast<T>(-7)};
  for (T a : values) {
    for (T b : values) {
      check_pair<T>(a, b);
    }
  }
}

void check_direct_hooks() {
  volatile int word = 5;
  int expected = 5;
  check(__tsan_atomic32_compare_exchange_strong(&word, &expected, 9, 5, 5) == 1 && word == 9,
        "direct strong", 4, 5, 9);
  expected = 4;
  check(__tsan_atomic32_compare_exchange_weak(&word, &expected, 1, 5, 5) == 0 && expected == 9,
        "direct weak failure", 4, 4, 1);
  check(__tsan_atomic32_compare_exchange_val(&word, 9, 3, 5, 5) == 9 && word == 3, "direct val",
        4, 9, 3);
  check(__tsan_atomic32_compare_exchange_val(&word, 8, 1, 5, 5) == 3 && word == 3,
        "direct val failure", 4, 8, 1);
  volatile long wide = -2;
  check(__tsan_atomic64_compare_exchange_val(&wide, -2, 7, 5, 5) == -2 && wide == 7, "direct 64",
        8, -2, 7);
  volatile int128 huge = 0;
  const int128 big = static_cast<int128>(1) << 100;
  __tsan_atomic128_store(&huge, big, 3);
  check(__tsan_atomic128_load(&huge, 2) == big, "128 load/store", 16, 1, 0);
  check(__tsan_atomic128_fetch_add(&huge, 1, 5) == big && huge == big + 1, "128 fetch_add", 16, 1,
        1);
  check(__tsan_atomic128_exchange(&huge, 3, 5) == big + 1 && huge == 3, "128 exchange", 16, 3, 0);
  check(__tsan_atomic128_compare_exchange_val(&huge, 3, big, 5, 5) == 3 && huge == big, "128 cas",
        16, 3, 0);
}

}  // namespace

int main() {
  check_type<signed char>();
  check_type<short>();
  check_type<int>();
  check_type<long>();
  check_direct_hooks();
  std::atomic_thread_fence(std::memory_order_seq_cst);
  std::printf("atomics: %d mismatches\n", failures);
  return failures == 0 ? 0 : 2;
}
