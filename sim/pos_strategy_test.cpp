// Unit tests of POS's conflict relation, which decides which priorities are re-drawn.

#include <catch2/catch.hpp>

#include "sim/pos_strategy.hpp"

using ipcsim::sim::op_kind;
using ipcsim::sim::pending_op;
using ipcsim::sim::pos_strategy;

TEST_CASE("pos_strategy: accesses conflict only on one object with a write", "[sim]") {
  const pending_op load_a{op_kind::load, 1, "", 0};
  const pending_op load_a2{op_kind::load, 1, "", 0};
  const pending_op store_a{op_kind::store, 1, "", 0};
  const pending_op store_b{op_kind::store, 2, "", 0};
  const pending_op wake_a{op_kind::futex_wake, 1, "", 0};
  const pending_op yield{op_kind::yield, 0, "", 0};
  CHECK_FALSE(pos_strategy::conflicts(load_a, load_a2));
  CHECK(pos_strategy::conflicts(load_a, store_a));
  CHECK(pos_strategy::conflicts(store_a, load_a));
  CHECK_FALSE(pos_strategy::conflicts(store_a, store_b));
  CHECK(pos_strategy::conflicts(load_a, wake_a));
  CHECK_FALSE(pos_strategy::conflicts(yield, yield));
}
