// docs/WALKTHROUGH.md cannot go stale: its ```sh blocks run, in order, as one bash script (with
// FACEPTOR, REPO and OUT pointed at the built binary, the source tree and a temporary directory),
// every "# writes: FILE..." line becomes a check that those files exist, and every picture the
// document links (../build/walkthrough/... from a command, img/... committed) must exist.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <filesystem>
#include <regex>
#include <sstream>

#include "tests/support/temp_dir.h"

namespace fs = std::filesystem;
using fc::test::read_file;
using fc::test::TempDir;

namespace {

const std::string kDoc = std::string(FC_SOURCE_DIR) + "/docs/WALKTHROUGH.md";
// Where the document's OUT points, as its picture links spell it (relative to docs/).
const std::string kDocOut = "build/walkthrough";

struct Script {
  std::string text;
  int blocks = 0;
  int written_files = 0;  // names on "# writes:" lines
  std::vector<std::string> set_variables;
};

// The sh blocks with the three variables replaced and "# writes:" lines turned into checks.
Script walkthrough_script(const std::string& doc, const std::string& out) {
  Script s;
  // One thread: the tiny models gain nothing from more, and a loaded test machine loses a lot.
  s.text = "set -euo pipefail\nexport OMP_NUM_THREADS=1\n";
  std::istringstream lines(doc);
  std::string line;
  bool in_block = false;
  const std::map<std::string, std::string> values = {
      {"FACEPTOR", FC_FACEPTOR_BINARY}, {"REPO", FC_SOURCE_DIR}, {"OUT", out}};
  while (std::getline(lines, line)) {
    if (!in_block) {
      if (line == "```sh") {
        in_block = true;
        ++s.blocks;
      }
      continue;
    }
    if (line == "```") {
      in_block = false;
      continue;
    }
    const size_t eq = line.find('=');
    if (eq != std::string::npos && values.count(line.substr(0, eq))) {
      const std::string name = line.substr(0, eq);
      if (name == "OUT") CHECK(line.substr(eq + 1, kDocOut.size()) == kDocOut);  // the picture links assume it
      s.set_variables.push_back(name);
      s.text += name + "='" + values.at(name) + "'\n";
      continue;
    }
    if (line.rfind("# writes:", 0) == 0) {
      std::istringstream files(line.substr(9));
      std::string file;
      while (files >> file) {
        ++s.written_files;
        s.text += "test -s \"" + file + "\" || { echo \"walkthrough: " + file + " was not written\" >&2; exit 3; }\n";
      }
      continue;
    }
    s.text += line + "\n";
  }
  CHECK_MESSAGE(!in_block, "an ```sh block of docs/WALKTHROUGH.md is not closed");
  return s;
}

}  // namespace

TEST_CASE("walkthrough: docs/WALKTHROUGH.md's commands run and write what they say") {
  const std::string doc = read_file(kDoc);
  TempDir dir;
  const std::string out = dir.path("walkthrough");
  const Script script = walkthrough_script(doc, out);
  CHECK(script.blocks >= 5);
  CHECK(script.written_files >= 10);
  CHECK(script.set_variables == std::vector<std::string>{"FACEPTOR", "REPO", "OUT"});
  fc::test::write_file(dir.path("walkthrough.sh"), script.text);

  const std::string log = dir.path("walkthrough.log");
  const std::string cmd = "cd '" + dir.root() + "' && bash walkthrough.sh >'" + log + "' 2>&1";
  const int raw = std::system(cmd.c_str());
  const int status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  INFO("script:\n", script.text, "\noutput:\n", read_file(log));
  REQUIRE(status == 0);

  // Every picture the document shows exists: command outputs under OUT, committed ones in docs/.
  const std::regex image_link(R"(!\[[^\]]*\]\(([^)]+)\))");
  int pictures = 0;
  for (auto it = std::sregex_iterator(doc.begin(), doc.end(), image_link); it != std::sregex_iterator(); ++it) {
    const std::string target = (*it)[1];
    const std::string prefix = "../" + kDocOut + "/";
    const std::string path = target.rfind(prefix, 0) == 0 ? out + "/" + target.substr(prefix.size())
                                                          : std::string(FC_SOURCE_DIR) + "/docs/" + target;
    CHECK_MESSAGE(fs::is_regular_file(path), "docs/WALKTHROUGH.md shows ", target, ", which no command wrote");
    ++pictures;
  }
  CHECK(pictures >= 4);
}
