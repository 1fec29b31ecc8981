#pragma once
//! The reactor scenario family (`reactor.*`): run_reactor from core/reactor over the in-memory
//! test transport, with handlers that answer in every way the reactor's contract allows (an
//! echo, a zero-length response, an exception, a responder dropped unanswered), inline or later
//! from a pool fiber. The world-state service never throws and never answers with zero bytes, so
//! these are the catalog scenarios that reach the reactor's error and zero-length paths.

#include <cstdint>
#include <vector>

#include "scenarios/scenario.hpp"

namespace ipcsim::scenarios {

/// What passing `reactor.handler_edges` runs exercised, summed over runs, so a test can show that
/// a sweep was not vacuous. Written by the simulated program after a run passed its checks.
struct handler_edge_tally {
  std::uint64_t runs = 0;
  std::uint64_t echoes = 0;          ///< requests answered with their own bytes
  std::uint64_t empties = 0;         ///< requests answered with zero bytes
  std::uint64_t throws = 0;          ///< requests whose handler threw
  std::uint64_t drops_inline = 0;    ///< responders dropped unanswered by the handler itself
  std::uint64_t drops_on_pool = 0;   ///< responders dropped unanswered on a pool fiber
  std::uint64_t reordered_runs = 0;  ///< runs where a connection's answers came out of order
};

/// `reactor.handler_edges`; when `tally` is given (tests), passing runs add to it. The tally must
/// outlive every program the scenario makes.
scenario make_handler_edges_scenario(handler_edge_tally* tally = nullptr);

/// Registration of the reactor family for the command line's catalog.
void add_reactor_scenarios(std::vector<scenario>& into);

}  // namespace ipcsim::scenarios
