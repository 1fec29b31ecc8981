// Unit tests of URW/SURW: weights from estimated remaining events (with a fake view), the
// selective restriction to conflicting fibers, learning estimates across runs, the spec syntax,
// and that describe() rebuilds a strategy that repeats a run exactly.

#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/platform/atomic.hpp"
#include "sim/surw_strategy.hpp"
#include "sim/world.hpp"

namespace pf = ipcsim::platform;
using ipcsim::sim::decision_source;
using ipcsim::sim::op_kind;
using ipcsim::sim::pending_op;
using ipcsim::sim::schedule_view;
using ipcsim::sim::surw_strategy;

namespace {

/// Answers from a script (reduced modulo the bound) and remembers every bound asked.
class scripted_source final : public decision_source {
 public:
  std::uint32_t choose(std::uint32_t bound) noexcept override {
    bounds.push_back(bound);
    const std::uint32_t answer = next < answers.size() ? answers[next] : 0;
    ++next;
    return answer % bound;
  }
  const char* name() const noexcept override { return "scripted"; }

  std::vector<std::uint32_t> answers;
  std::vector<std::uint32_t> bounds;
  std::size_t next = 0;
};

/// Three fibers a, b, c, all runnable, each about to touch its own object unless a test says so.
struct fake_view {
  std::vector<std::uint32_t> runnable{0, 1, 2};
  std::vector<pending_op> ops{
      {op_kind::store, 1, "", 0}, {op_kind::store, 2, "", 0}, {op_kind::store, 3, "", 0}};
  std::vector<std::string_view> names{"a", "b", "c"};

  schedule_view view(std::uint64_t decision = 0) const {
    return schedule_view{runnable, 0, decision, ops, names};
  }
};

/// Counts the draws that reach an inner source.
class counting_source final : public decision_source {
 public:
  explicit counting_source(std::uint64_t seed) : inner(seed) {}
  std::uint32_t choose(std::uint32_t bound) noexcept override {
    ++draws;
    return inner.choose(bound);
  }
  const char* name() const noexcept override { return "counting"; }

  ipcsim::sim::prng_source inner;
  std::uint64_t draws = 0;
};

/// Three workers of different lengths sharing a counter, each also writing a word of its own.
struct uneven_workers {
  pf::atomic<std::uint32_t> shared{0};
  std::array<pf::atomic<std::uint32_t>, 3> own{};

  void start(ipcsim::sim::world& target) {
    for (std::uint32_t i = 0; i < 3; ++i) {
      target.spawn("worker-" + std::to_string(i), [this, i] {
        for (std::uint32_t n = 0; n < 2 + 3 * i; ++n) {
          shared.fetch_add(1);
          own[i].store(n);
        }
      });
    }
  }
};

ipcsim::sim::run_result run_workers(ipcsim::sim::strategy& chooser, decision_source& source) {
  ipcsim::sim::world simulation({}, chooser, source);
  uneven_workers program;
  program.start(simulation);
  return simulation.run();
}

}  // namespace

TEST_CASE("surw_strategy: urw weights each fiber by its estimated remaining events", "[sim]") {
  surw_strategy urw(false, {{"a", 10}, {"b", 3}});
  scripted_source source;
  fake_view fake;
  urw.begin_run(source);
  const schedule_view view = fake.view();
  CHECK(urw.weight(view, 0) == 10);
  CHECK(urw.weight(view, 1) == 3);
  CHECK(urw.weight(view, 2) == surw_strategy::default_estimate);

  // First draw: 0..9 pick a, 10..12 pick b, 13..28 pick c; later ranges shrink as fibers run.
  source.answers = {12, 13, 9, 10, 9, 9};
  CHECK(urw.pick(view, source) == 1);
  CHECK(source.bounds.back() == 29);
  CHECK(urw.executed(1) == 1);
  CHECK(urw.weight(view, 1) == 2);
  CHECK(urw.pick(view, source) == 2);
  CHECK(urw.pick(view, source) == 0);
  CHECK(urw.weight(view, 0) == 9);
  CHECK(urw.pick(view, source) == 1);
  CHECK(urw.pick(view, source) == 1);
  CHECK(urw.executed(1) == 3);
  SECTION("a fiber past its estimate keeps weight 1") {
    CHECK(urw.weight(view, 1) == 1);
    CHECK(urw.pick(view, source) == 1);
    CHECK(urw.weight(view, 1) == 1);
  }
}

TEST_CASE("surw_strategy: surw weights only fibers whose pending operation conflicts", "[sim]") {
  surw_strategy surw(true, {{"a", 10}, {"b", 3}, {"c", 7}});
  scripted_source source;
  fake_view fake;
  surw.begin_run(source);
  SECTION("a store and a load of one object conflict; c's own object does not") {
    fake.ops[1] = pending_op{op_kind::load, 1, "", 0};
    const schedule_view view = fake.view();
    CHECK(surw.weight(view, 0) == 10);
    CHECK(surw.weight(view, 1) == 3);
    CHECK(surw.weight(view, 2) == 1);
    source.answers = {13};
    CHECK(surw.pick(view, source) == 2);
    CHECK(source.bounds.back() == 14);
  }
  SECTION("two loads of one object do not conflict") {
    fake.ops[0] = pending_op{op_kind::load, 1, "", 0};
    fake.ops[1] = pending_op{op_kind::load, 1, "", 0};
    const schedule_view view = fake.view();
    for (std::uint32_t position = 0; position < 3; ++position) {
      CHECK(surw.weight(view, position) == 1);
    }
  }
  SECTION("without any conflict the walk is uniform") {
    const schedule_view view = fake.view();
    source.answers = {2};
    CHECK(surw.pick(view, source) == 2);
    CHECK(source.bounds.back() == 3);
  }
}

TEST_CASE("surw_strategy: estimates are the largest counts seen and apply from the next run",
          "[sim]") {
  surw_strategy urw(false);
  scripted_source source;
  fake_view fake;
  fake.runnable = {0, 1};
  fake.names = {"a", "b", "c"};  // c exists but is never runnable at a decision
  auto run = [&](std::uint32_t a_events, std::uint32_t b_events) {
    urw.begin_run(source);
    const schedule_view view = fake.view();
    for (std::uint32_t i = 0; i < a_events + b_events; ++i) {
      // Answer 0 picks a; the last answer below the total weight picks b.
      const auto total = static_cast<std::uint32_t>(urw.weight(view, 0) + urw.weight(view, 1));
      source.answers.assign(1, i < a_events ? 0 : total - 1);
      source.next = 0;
      CHECK(urw.pick(view, source) == (i < a_events ? 0U : 1U));
    }
    urw.end_run(a_events + b_events);
  };
  run(5, 2);
  CHECK(urw.describe() == "urw");  // the first run used only the default guess
  run(3, 4);
  CHECK(urw.describe() == "urw@a=5,b=2,c=1");
  run(1, 1);
  CHECK(urw.describe() == "urw@a=5,b=4,c=1");
  CHECK(urw.estimates().at("b") == 4);
}

TEST_CASE("surw_strategy: specs round trip through make_strategy", "[sim]") {
  for (const char* spec : {"surw", "urw", "surw@a%2Cb=3,worker-1=12", "urw@x%40y%3Dz=16777216"}) {
    const auto made = ipcsim::sim::make_strategy(spec);
    REQUIRE(made != nullptr);
    CHECK(made->describe() == spec);
  }
  const auto escaped = surw_strategy::parse_estimates("a%2Cb=3,%25=1");
  REQUIRE(escaped.has_value());
  CHECK(escaped->at("a,b") == 3);
  CHECK(escaped->at("%") == 1);
  for (const char* bad :
       {"surw@a", "surw@a=0", "surw@a=1,", "surw@a=x", "surw@%zz=1", "surw@a=1,a=2",
        "surw@a=16777217", "surw@a b=1", "surwx", "urw@=", "surw@a%2=1"}) {
    INFO(bad);
    CHECK(ipcsim::sim::make_strategy(bad) == nullptr);
  }
}

TEST_CASE("surw_strategy: describe() rebuilds a strategy that repeats the run", "[sim]") {
  for (const char* name : {"surw", "urw"}) {
    auto learner = ipcsim::sim::make_strategy(name);
    REQUIRE(learner != nullptr);
    for (std::uint64_t seed = 1; seed <= 6; ++seed) {
      counting_source source(seed);
      const auto result = run_workers(*learner, source);
      REQUIRE(result.ok());
      // One draw per decision and nothing else: every choice comes from the source.
      CHECK(source.draws == result.decisions);
      const std::string spec = learner->describe();
      INFO(name << " seed " << seed << " spec " << spec);
      CHECK((seed == 1) == (spec.find('@') == std::string::npos));
      auto rebuilt = ipcsim::sim::make_strategy(spec);
      REQUIRE(rebuilt != nullptr);
      counting_source again(seed);
      CHECK(run_workers(*rebuilt, again).trace_hash == result.trace_hash);
    }
  }
}
