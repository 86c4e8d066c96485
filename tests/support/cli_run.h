// Running the built `faceptor` tool (FC_FACEPTOR_BINARY) from a test, with its exit status and
// what it printed.
//
//   TempDir dir;
//   CliRun r = run_faceptor(dir, "info '" + model + "'");   // ARGS shell-quoted by the caller
//   CHECK(r.status == 0);  CHECK(r.out.find("encoder") != std::string::npos);
//
// stdout and stderr go to files inside `dir` (removed afterwards), so `dir.list()` still shows
// only what the command itself wrote.
#pragma once

#include <string>

#include "tests/support/temp_dir.h"

namespace fc::test {

struct CliRun {
  int status = -1;  // the exit status; -1 if the process did not exit normally
  std::string out, err;
};

// Runs `faceptor ARGS` with the shell (the working directory is the test's own).
CliRun run_faceptor(const TempDir& dir, const std::string& args);

}  // namespace fc::test
