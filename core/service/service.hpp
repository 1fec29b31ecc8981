#pragma once
//! The world-state service (design.md §4 "service"): decodes a request, dispatches it by tag,
//! schedules it on the fork scheduler with the ordering its command declares (ordering.hpp),
//! runs it against the store and encodes the response. Every failure is an error response
//! `["WsdbErrorResponse", {"message"}]`; nothing a peer sends can crash it:
//! - an undecodable payload: "bad request: <decode message>";
//! - an unknown tag: "unknown command: <tag>";
//! - a missing or mistyped field: "<tag>: <field message>", e.g.
//!   "WsdbGetLeafValue: field 'leafIndex': expected u64, found str";
//! - a failed command: the store's message, e.g. "fork 7 not found".
//! Those first three, and Ping, are answered inline and unordered; every other command is
//! answered by its scheduled work.

#include <string_view>

#include "core/platform/flavour.hpp"
#include "core/reactor/reactor.hpp"
#include "core/sched/fork_scheduler.hpp"
#include "core/sched/unique_function.hpp"
#include "core/service/store.hpp"
#include "core/service/types.hpp"
#include "core/wire/bytes.hpp"
#include "core/wire/field_map.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::service {

class service {
 public:
  /// Receives the response payload of one request; called exactly once.
  using completion = sched::unique_function<void(wire::bytes)>;

  /// A service in the genesis state that schedules its work on `scheduler`, which must outlive
  /// it and must be idle (wait_idle) before the service is destroyed.
  explicit service(sched::fork_scheduler& scheduler, const service_limits& limits = {});
  service(const service&) = delete;
  service& operator=(const service&) = delete;

  /// Handles one request payload. `done` is called exactly once with the response payload:
  /// inline for Ping and for requests that fail to decode, otherwise from the scheduled work
  /// (inline or on a pool thread, as the scheduler decides). Call from the scheduler's
  /// scheduling thread only (the reactor). `request` need only live during the call.
  void handle(wire::byte_view request, completion done);

  /// The reactor handler: handle() answering through the responder.
  reactor::async_handler async_handler();
  /// The reactor's error maker: `["WsdbErrorResponse", {"message": message}]`. Thread-safe.
  static reactor::error_maker error_maker();

  /// The state, for tests that inspect it between requests.
  const world_store& store() const noexcept { return store_; }

 private:
  using dispatch_function = void (service::*)(const wire::field_map& fields,
                                              std::string_view tag, completion done);
  struct command_entry {
    std::string_view command;
    dispatch_function dispatch;
  };

  template <class Request>
  void dispatch(const wire::field_map& fields, std::string_view tag, completion done);
  void dispatch_ping(const wire::field_map& fields, std::string_view tag, completion done);
  static const command_entry* find_command(std::string_view tag) noexcept;

  sched::fork_scheduler& scheduler_;
  world_store store_;
};

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::service
