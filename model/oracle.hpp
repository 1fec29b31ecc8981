#pragma once
//! Oracles check a run online: each observes history events as they happen and fails at the
//! event where its property breaks, keeping a minimal witness. `oracle_set` fans events out and
//! stops at the first finding. `finish()` runs the end-of-run checks (e.g. every request got a
//! response) once the run is over; `quiesced` says whether the server drained (a run cut short by
//! another finding or a kill must not be blamed for missing responses).

#include <memory>
#include <optional>
#include <vector>

#include "model/history.hpp"

namespace ipcsim::model {

class oracle {
 public:
  virtual ~oracle() = default;
  virtual const char* name() const noexcept = 0;
  /// Sees one event; returns a finding the first time the property breaks.
  virtual std::optional<oracle_finding> observe(const history_event& event) = 0;
  /// End-of-run checks.
  virtual std::optional<oracle_finding> finish(bool quiesced) {
    static_cast<void>(quiesced);
    return std::nullopt;
  }
};

class oracle_set {
 public:
  void add(std::unique_ptr<oracle> check) { oracles_.push_back(std::move(check)); }
  bool empty() const noexcept { return oracles_.empty(); }

  /// Passes `event` to every oracle until one fails; the first finding sticks.
  const std::optional<oracle_finding>& observe(const history_event& event) {
    for (auto& check : oracles_) {
      if (finding_) {
        break;
      }
      finding_ = check->observe(event);
    }
    return finding_;
  }

  const std::optional<oracle_finding>& finish(bool quiesced) {
    for (auto& check : oracles_) {
      if (finding_) {
        break;
      }
      finding_ = check->finish(quiesced);
    }
    return finding_;
  }

  const std::optional<oracle_finding>& finding() const noexcept { return finding_; }

 private:
  std::vector<std::unique_ptr<oracle>> oracles_;
  std::optional<oracle_finding> finding_;
};

}  // namespace ipcsim::model
