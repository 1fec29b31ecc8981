// The PCT budget report's arithmetic: bounds shrink with runs, only deep-enough runs count, and
// strategy names map to the right depth.
#include <catch2/catch.hpp>

#include <cmath>

#include "tools/cli/pct_budget.hpp"

using ipcsim::cli::pct_budget;

TEST_CASE("pct budget reads the depth from a strategy name", "[pct_budget]") {
  CHECK(pct_budget::depth_of("pct:2") == 2);
  CHECK(pct_budget::depth_of("pct:3@120") == 3);
  CHECK(pct_budget::depth_of("pct") == 3);
  CHECK(pct_budget::depth_of("random") == 0);
  CHECK(pct_budget::depth_of("pos") == 0);
}

TEST_CASE("pct budget multiplies the per-run miss probabilities", "[pct_budget]") {
  pct_budget budget(1);
  for (int run = 0; run < 100; ++run) {
    budget.note(0, "pct:2", 4, 50);
  }
  // Each depth-2 run finds a depth-2 bug with probability >= 1/(4*50).
  const double expected = std::pow(1.0 - 1.0 / 200.0, 100.0);
  CHECK(budget.miss_probability_bound(0, 2) == Approx(expected));
  // A depth-3 bug needs depth-3 runs: none ran.
  CHECK(budget.miss_probability_bound(0, 3) < 0);
  // Depth-1 bugs are covered by depth-2 runs too, with the depth-2 per-run bound.
  CHECK(budget.miss_probability_bound(0, 1) == Approx(expected));
}

TEST_CASE("pct budget ignores other strategies and uses the largest run seen", "[pct_budget]") {
  pct_budget budget(2);
  budget.note(1, "random", 8, 1000);
  CHECK(budget.miss_probability_bound(1, 1) < 0);
  budget.note(1, "pct:3", 2, 10);
  // n and k are the largest seen in the scenario, including the random run: 8 fibers, k = 1000.
  const double hit = 1.0 / (8.0 * 1000.0 * 1000.0);
  CHECK(budget.miss_probability_bound(1, 3) == Approx(1.0 - hit));
  CHECK(budget.miss_probability_bound(0, 1) < 0);
}
