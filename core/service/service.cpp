#include "core/service/service.hpp"

#include <array>
#include <string>
#include <utility>

#include "core/platform/assert.hpp"
#include "core/service/codec.hpp"
#include "core/service/ordering.hpp"
#include "core/wire/envelope.hpp"
#include "core/wire/ping.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::service {

service::service(sched::fork_scheduler& scheduler, const service_limits& limits)
    : scheduler_(scheduler), store_(limits) {}

template <class Request>
void service::dispatch(const wire::field_map& fields, std::string_view tag, completion done) {
  auto request_result = decode_fields<Request>(fields);
  if (!request_result) {
    done(encode_error(std::string(tag) + ": " + request_result.error().message));
    return;
  }
  const ordering order = ordering_of(*request_result);
  // The work owns the decoded request and the completion; the store outlives it because the
  // scheduler is idle before the service is destroyed.
  sched::fork_scheduler::work_function work = [store = &store_,
                                               request = std::move(*request_result),
                                               done = std::move(done)]() mutable {
    auto response = store->execute(request);
    done(response ? encode_response_for<Request>(*response)
                  : encode_error(response.error().message));
  };
  if (order.kind == sched::op_kind::write) {
    scheduler_.schedule_write(order.fork, std::move(work));
  } else {
    scheduler_.schedule_read(order.fork, order.kind == sched::op_kind::committed_read,
                             std::move(work));
  }
}

void service::dispatch_ping(const wire::field_map& fields, std::string_view tag,
                            completion done) {
  auto request_result = wire::read_ping_request(fields);
  if (!request_result) {
    done(encode_error(std::string(tag) + ": " + request_result.error().message));
    return;
  }
  wire::bytes out;
  wire::append_ping_response(out, service_name, wire::ping_response{request_result->nonce});
  IPC_ASSERT(!out.empty());
  done(std::move(out));
}

const service::command_entry* service::find_command(std::string_view tag) noexcept {
  static constexpr std::array<command_entry, 19> table = {{
      {get_tree_info_request::command, &service::dispatch<get_tree_info_request>},
      {get_leaf_value_request::command, &service::dispatch<get_leaf_value_request>},
      {get_sibling_path_request::command, &service::dispatch<get_sibling_path_request>},
      {find_leaf_index_request::command, &service::dispatch<find_leaf_index_request>},
      {get_status_request::command, &service::dispatch<get_status_request>},
      {append_leaves_request::command, &service::dispatch<append_leaves_request>},
      {batch_insert_request::command, &service::dispatch<batch_insert_request>},
      {create_checkpoint_request::command, &service::dispatch<create_checkpoint_request>},
      {commit_checkpoint_request::command, &service::dispatch<commit_checkpoint_request>},
      {revert_checkpoint_request::command, &service::dispatch<revert_checkpoint_request>},
      {commit_request::command, &service::dispatch<commit_request>},
      {rollback_request::command, &service::dispatch<rollback_request>},
      {sync_block_request::command, &service::dispatch<sync_block_request>},
      {create_fork_request::command, &service::dispatch<create_fork_request>},
      {delete_fork_request::command, &service::dispatch<delete_fork_request>},
      {finalize_request::command, &service::dispatch<finalize_request>},
      {unwind_request::command, &service::dispatch<unwind_request>},
      {remove_historical_blocks_request::command,
       &service::dispatch<remove_historical_blocks_request>},
      {wire::ping_command, &service::dispatch_ping},
  }};
  if (!tag.starts_with(service_name)) {
    return nullptr;
  }
  const std::string_view command = tag.substr(service_name.size());
  for (const command_entry& entry : table) {
    if (entry.command == command) {
      return &entry;
    }
  }
  return nullptr;
}

void service::handle(wire::byte_view request, completion done) {
  IPC_ASSERT(static_cast<bool>(done));
  auto message_result = wire::decode_request(request);
  if (!message_result) {
    done(encode_error("bad request: " + message_result.error().message));
    return;
  }
  const wire::message& message = *message_result;
  const command_entry* entry = find_command(message.tag());
  if (entry == nullptr) {
    done(encode_error("unknown command: " + std::string(message.tag())));
    return;
  }
  IPC_ASSERT(entry->dispatch != nullptr);
  (this->*(entry->dispatch))(message.fields(), message.tag(), std::move(done));
}

reactor::async_handler service::async_handler() {
  return [this](reactor::connection_id, std::span<const std::byte> request,
                reactor::responder respond) {
    handle(request, [respond = std::move(respond)](wire::bytes response) mutable {
      respond.respond(std::move(response));
    });
  };
}

reactor::error_maker service::error_maker() {
  return [](std::string_view message) { return encode_error(message); };
}

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::service
