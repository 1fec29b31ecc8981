#pragma once
//! Which code is running: the simulated program's own, or the runtime's.
//!
//! How it works. `in_program_code` is true exactly while the calling OS thread executes code of
//! the simulated program (a fiber's start routine and what it calls), and false while the runtime
//! or the world runs on its behalf: every hook slow path, every interposed function and every call
//! into the world clears it for its duration and restores it on the way out. Fibers switch only
//! inside calls into the world, and `enter_world` restores the flag the resumed fiber had, so the
//! flag follows whichever fiber runs.
//!
//! Only the interposed memcpy/memmove/memset read it: the runtime's own containers copy memory in
//! the middle of a hook (a vector growing, a string being built) and those copies must not be
//! recorded as the program's accesses, or two fibers would race on the runtime's private memory.
//! A transition the runtime forgets to mark can therefore only hide a program copy, never invent
//! a race. It is thread-local (initial-exec, so one %fs-relative load) so that a real thread
//! running beside a run, outside the simulator, never counts as program code.

namespace ipcsim::instr {

[[gnu::tls_model("initial-exec")]] extern thread_local bool in_program_code;

/// Marks the runtime's own code for the lifetime of the scope (program copies are not recorded).
class runtime_scope {
 public:
  runtime_scope() noexcept : saved_(in_program_code) { in_program_code = false; }
  ~runtime_scope() { in_program_code = saved_; }
  runtime_scope(const runtime_scope&) = delete;
  runtime_scope& operator=(const runtime_scope&) = delete;

 private:
  bool saved_;
};

/// Marks a call from the runtime back into the program (a pthread_once initialiser, a key
/// destructor) for the lifetime of the scope.
class program_scope {
 public:
  program_scope() noexcept : saved_(in_program_code) { in_program_code = true; }
  ~program_scope() { in_program_code = saved_; }
  program_scope(const program_scope&) = delete;
  program_scope& operator=(const program_scope&) = delete;

 private:
  bool saved_;
};

}  // namespace ipcsim::instr
