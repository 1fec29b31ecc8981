// ipcsim-bench: dispatches `ipcsim-bench <suite> [--json]` to the executable built for that suite
// (one per platform flavour, since one executable holds one flavour): ipcsim-bench-<suite> beside
// this one. Exit 2 for an unknown or unbuilt suite.

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0) {
    std::fprintf(stderr, "usage: ipcsim-bench sim|server|fuzz [--json]\n");
    return argc < 2 ? 2 : 0;
  }
  const std::string suite = argv[1];
  if (suite != "sim" && suite != "server" && suite != "fuzz" && suite != "instr") {
    std::fprintf(stderr, "ipcsim-bench: unknown suite '%s' (sim, server, fuzz)\n", suite.c_str());
    return 2;
  }
  std::string self = argv[0];
  const std::size_t slash = self.rfind('/');
  const std::string directory = slash == std::string::npos ? "." : self.substr(0, slash);
  const std::string target = directory + "/ipcsim-bench-" + suite;
  std::vector<char*> arguments;
  arguments.push_back(const_cast<char*>(target.c_str()));
  for (int i = 2; i < argc; ++i) {
    arguments.push_back(argv[i]);
  }
  arguments.push_back(nullptr);
  ::execv(target.c_str(), arguments.data());
  std::fprintf(stderr, "ipcsim-bench: suite '%s' is not built in this preset (%s missing)%s\n",
               suite.c_str(), target.c_str(),
               suite == "fuzz" ? "; it lives in the fuzz preset" : "");
  return 2;
}
