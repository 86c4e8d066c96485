#include "tests/support/cli_run.h"

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>

namespace fc::test {

CliRun run_faceptor(const TempDir& dir, const std::string& args) {
  const std::string out = dir.path(".stdout"), err = dir.path(".stderr");
  const std::string cmd = std::string("'") + FC_FACEPTOR_BINARY + "' " + args + " >'" + out + "' 2>'" + err + "'";
  const int raw = std::system(cmd.c_str());
  CliRun r;
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  r.out = read_file(out);
  r.err = read_file(err);
  std::filesystem::remove(out);
  std::filesystem::remove(err);
  return r;
}

}  // namespace fc::test
