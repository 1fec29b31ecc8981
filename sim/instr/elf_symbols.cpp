// elf_symbols: a minimal reader of the executable's ELF symbol table (64-bit, little-endian, as on
// the machines ipcsim supports). Symbols are sorted by address once and searched by bisection.

#include "sim/instr/elf_symbols.hpp"

#include <cxxabi.h>
#include <elf.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

namespace ipcsim::instr {

namespace {

struct symbol {
  std::uintptr_t begin = 0;
  std::uintptr_t size = 0;
  std::string name;
};

std::vector<char> read_executable() {
  std::ifstream file("/proc/self/exe", std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
}

/// The FUNC and OBJECT symbols of .symtab, sorted by address.
std::vector<symbol> load_symbols() {
  std::vector<symbol> symbols;
  const std::vector<char> image = read_executable();
  if (image.size() < sizeof(Elf64_Ehdr) || std::memcmp(image.data(), ELFMAG, SELFMAG) != 0) {
    return symbols;
  }
  Elf64_Ehdr header;
  std::memcpy(&header, image.data(), sizeof header);
  if (header.e_shoff == 0 || header.e_shoff + header.e_shnum * sizeof(Elf64_Shdr) > image.size()) {
    return symbols;
  }
  std::vector<Elf64_Shdr> sections(header.e_shnum);
  std::memcpy(sections.data(), image.data() + header.e_shoff, header.e_shnum * sizeof(Elf64_Shdr));
  for (const Elf64_Shdr& table : sections) {
    if (table.sh_type != SHT_SYMTAB || table.sh_link >= sections.size()) {
      continue;
    }
    const Elf64_Shdr& strings = sections[table.sh_link];
    if (table.sh_offset + table.sh_size > image.size() ||
        strings.sh_offset + strings.sh_size > image.size()) {
      continue;
    }
    for (std::size_t at = 0; at + sizeof(Elf64_Sym) <= table.sh_size; at += sizeof(Elf64_Sym)) {
      Elf64_Sym entry;
      std::memcpy(&entry, image.data() + table.sh_offset + at, sizeof entry);
      const int type = ELF64_ST_TYPE(entry.st_info);
      if ((type != STT_FUNC && type != STT_OBJECT) || entry.st_value == 0 ||
          entry.st_name >= strings.sh_size) {
        continue;
      }
      symbols.push_back(symbol{entry.st_value, entry.st_size,
                               std::string(image.data() + strings.sh_offset + entry.st_name)});
    }
  }
  std::sort(symbols.begin(), symbols.end(),
            [](const symbol& a, const symbol& b) { return a.begin < b.begin; });
  return symbols;
}

std::string demangle(const std::string& name) {
  int status = 0;
  char* plain = abi::__cxa_demangle(name.c_str(), nullptr, nullptr, &status);
  std::string result = status == 0 && plain != nullptr ? plain : name;
  std::free(plain);
  return result;
}

}  // namespace

std::string executable_symbol(std::uintptr_t module_offset) {
  static const std::vector<symbol> symbols = load_symbols();
  auto after = std::upper_bound(
      symbols.begin(), symbols.end(), module_offset,
      [](std::uintptr_t offset, const symbol& entry) { return offset < entry.begin; });
  if (after == symbols.begin()) {
    return "";
  }
  const symbol& found = *std::prev(after);
  const std::uintptr_t into = module_offset - found.begin;
  if (into >= std::max<std::uintptr_t>(found.size, 1)) {
    return "";
  }
  char offset_text[32];
  std::snprintf(offset_text, sizeof offset_text, "+0x%lx", static_cast<unsigned long>(into));
  return demangle(found.name) + offset_text;
}

}  // namespace ipcsim::instr
