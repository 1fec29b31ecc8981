#pragma once
//! Test support: a service on its own fork scheduler, called synchronously. `call_bytes` hands a
//! request to the service on the calling thread (the scheduling thread) and blocks until the
//! response arrives, whether the work ran inline or on the pool. With `force_pool` the
//! scheduler's pending predicate always says a request is waiting, so no work runs inline and
//! every command goes through the pool and its completion path.

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/platform/assert.hpp"
#include "core/platform/clock.hpp"
#include "core/platform/condition_variable.hpp"
#include "core/platform/mutex.hpp"
#include "core/sched/fork_scheduler.hpp"
#include "core/service/codec.hpp"
#include "core/service/service.hpp"
#include "core/wire/envelope.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::service {

class service_harness {
 public:
  explicit service_harness(const service_limits& limits = {}, bool force_pool = false)
      : scheduler_(sched::fork_scheduler_options{}, [force_pool] { return force_pool; }),
        service_(scheduler_, limits) {}
  service_harness(const service_harness&) = delete;
  service_harness& operator=(const service_harness&) = delete;
  ~service_harness() { scheduler_.wait_idle(); }

  /// Sends one request payload and waits (at most 10 s, then asserts) for its response.
  wire::bytes call_bytes(const wire::bytes& request) {
    auto slot = std::make_shared<response_slot>();
    service_.handle(request, [slot](wire::bytes response) { slot->fill(std::move(response)); });
    return slot->take();
  }

  /// Encodes `request`, runs it and decodes the response envelope.
  template <class Request>
  wire::message call(const Request& request) {
    wire::bytes payload;
    encode_request(payload, request);
    return decode(call_bytes(payload));
  }

  /// Runs `request`; the typed response, or the error response's text.
  template <class Request>
  result<response_of_t<Request>, std::string> run(const Request& request) {
    const wire::message response = call(request);
    if (wire::is_error_response(response, service_name)) {
      return unexpected(std::string(response.fields().get_string("message").value()));
    }
    IPC_ASSERT(wire::response_tag(service_name, Request::command).equals(response.tag()));
    auto typed = decode_fields<response_of_t<Request>>(response.fields());
    IPC_ASSERT(typed.has_value());
    return std::move(typed).value();
  }

  /// Runs `request`, which must fail; its error text.
  template <class Request>
  std::string error_of(const Request& request) {
    auto outcome = run(request);
    IPC_ASSERT(!outcome.has_value());
    return outcome.error();
  }

  static wire::message decode(const wire::bytes& payload) {
    auto message = wire::decode_response(payload);
    IPC_ASSERT(message.has_value());
    return std::move(message).value();
  }

  service& target() noexcept { return service_; }
  sched::fork_scheduler& scheduler() noexcept { return scheduler_; }

 private:
  /// One response, filled by whichever thread completes the request.
  class response_slot {
   public:
    void fill(wire::bytes response) {
      {
        std::lock_guard lock(mutex_);
        IPC_ASSERT(!response_.has_value());
        response_ = std::move(response);
      }
      filled_.notify_all();
    }
    wire::bytes take() {
      std::unique_lock lock(mutex_);
      const auto deadline = platform::deadline_after(std::chrono::seconds(10));
      const bool filled = filled_.wait_until(lock, deadline, [&] { return response_.has_value(); });
      IPC_ASSERT(filled);
      return std::move(*response_);
    }

   private:
    platform::mutex mutex_;
    platform::condition_variable filled_;
    std::optional<wire::bytes> response_;
  };

  sched::fork_scheduler scheduler_;
  service service_;
};

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::service
