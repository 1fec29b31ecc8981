// report: race reports and code-address descriptions. Symbols come from dladdr (the dynamic
// symbol table), so instrumented executables are linked with --export-dynamic; module offsets are
// printed as well because they do not change under ASLR and feed `addr2line -e <module>`.

#include <cxxabi.h>
#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "sim/instr/elf_symbols.hpp"
#include "sim/instr/runtime.hpp"

namespace ipcsim::instr {

namespace {

std::string hex(std::uintptr_t value) {
  char text[32];
  std::snprintf(text, sizeof text, "0x%lx", static_cast<unsigned long>(value));
  return text;
}

std::string demangled(const char* name) {
  int status = 0;
  char* plain = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  std::string result = status == 0 && plain != nullptr ? plain : name;
  std::free(plain);
  return result;
}

std::string base_name(const char* path) {
  const std::string text = path != nullptr ? path : "?";
  const std::size_t slash = text.rfind('/');
  return slash == std::string::npos ? text : text.substr(slash + 1);
}

/// True when `info` describes the main executable (whose .symtab elf_symbols reads).
bool is_main_executable(const Dl_info& info) {
  static const void* const base = [] {
    Dl_info own{};
    return dladdr(reinterpret_cast<void*>(&executable_symbol), &own) != 0 ? own.dli_fbase
                                                                          : nullptr;
  }();
  return base != nullptr && base == info.dli_fbase;
}

std::string describe_data(std::uintptr_t address) {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(address), &info) != 0 && info.dli_sname != nullptr &&
      info.dli_saddr != nullptr) {
    const auto offset = address - reinterpret_cast<std::uintptr_t>(info.dli_saddr);
    return " (global '" + demangled(info.dli_sname) + "'" +
           (offset != 0 ? "+" + std::to_string(offset) : std::string{}) + ")";
  }
  if (info.dli_fbase != nullptr && is_main_executable(info)) {
    const std::string name =
        executable_symbol(address - reinterpret_cast<std::uintptr_t>(info.dli_fbase));
    if (!name.empty()) {
      return " (static '" + name + "')";
    }
  }
  return "";
}

std::string describe_access(const access_record& access) {
  const std::string fiber_name =
      access.fiber < rt.fibers.size() && rt.fibers[access.fiber] ? rt.fibers[access.fiber]->name
                                                                 : "?";
  std::string text = std::string(access.atomic ? "atomic " : "") +
                     (access.write ? "write" : "read") + " of " +
                     std::to_string(access.access_size) + " bytes at " + hex(access.address) +
                     " by fiber '" + fiber_name + "'\n";
  text += "      #0 " + describe_pc(access.pc) + "\n";
  int depth = 1;
  for (const std::uintptr_t pc : shadow.frames_of(access.stack)) {
    text += "      #" + std::to_string(depth++) + " " + describe_pc(pc) + "\n";
  }
  return text;
}

}  // namespace

std::string describe_pc(std::uintptr_t pc) {
  Dl_info info{};
  // A return address points after the call; one byte back lands inside it.
  const std::uintptr_t lookup = pc > 0 ? pc - 1 : pc;
  if (dladdr(reinterpret_cast<void*>(lookup), &info) == 0) {
    return hex(pc);
  }
  std::string text;
  const auto module_offset = pc - reinterpret_cast<std::uintptr_t>(info.dli_fbase);
  if (info.dli_sname != nullptr && info.dli_saddr != nullptr) {
    text = demangled(info.dli_sname) + "+" +
           hex(pc - reinterpret_cast<std::uintptr_t>(info.dli_saddr)) + " ";
  } else if (is_main_executable(info)) {
    const std::string name = executable_symbol(module_offset);
    text = name.empty() ? "" : name + " ";
  }
  return text + "(" + base_name(info.dli_fname) + "+" + hex(module_offset) + ")";
}

std::string format_race(const race_pair& race) {
  std::string text = "data race on " + hex(race.later.address) +
                     describe_data(race.later.address) + "\n";
  text += "    " + describe_access(race.later);
  text += "    previous " + describe_access(race.earlier);
  // A missing release/acquire shows as a data race on the data it should have ordered; the
  // atomic that the later fiber last saw from the earlier one without synchronising with it is
  // usually that publication.
  const std::uint32_t later = race.later.fiber;
  if (later < rt.fibers.size() && rt.fibers[later] && rt.fibers[later]->unsynchronised_read) {
    const race_pair& seen = *rt.fibers[later]->unsynchronised_read;
    if (seen.earlier.fiber == race.earlier.fiber) {
      text += "  an atomic load that read the other fiber's store without synchronising with it "
              "(a missing release or acquire?):\n";
      text += "    " + describe_access(seen.later);
      text += "    which read the " + describe_access(seen.earlier);
    }
  }
  return text;
}

}  // namespace ipcsim::instr
