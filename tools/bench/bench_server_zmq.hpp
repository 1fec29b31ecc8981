#pragma once
//! The ZeroMQ baseline: a DEALER/ROUTER echo over `ipc://` between two processes, with the same
//! message bytes and the same window as the world-state ping it is compared with. The ROUTER
//! process echoes every message back to its sender unchanged; the DEALER process keeps `window`
//! messages in flight (send until `window` are outstanding, then receive one, check it, send the
//! next) for the timed window. Built only when CMake found libzmq and cppzmq; otherwise the
//! figure is reported missing with the reason.

#include <string>

#include "core/wire/bytes.hpp"

namespace ipcsim::bench {

struct zmq_echo_result {
  bool available = false;  ///< false: built without ZeroMQ (`error` says so)
  double messages_per_s = 0;
  std::string error;  ///< non-empty: no figure, and this says why
};

/// Echoes `message` through ROUTER/DEALER with `window` in flight for about `seconds`.
zmq_echo_result zmq_dealer_router_echo(const wire::bytes& message, int window, double seconds);

}  // namespace ipcsim::bench
