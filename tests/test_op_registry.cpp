// Walks ops/registry.cpp: every op must have a PyTorch fixture case (or a dedicated test when its
// note says why not), and every case runs forward, backward and finite differences.
#include <doctest/doctest.h>

#include <set>

#include "ops/registry.h"
#include "tests/support/check.h"

using namespace fc;
using namespace fc::test;

TEST_CASE("every registered op is covered by a PyTorch case or a dedicated test") {
  std::set<std::string> with_case;
  for (const OpCase& c : op_cases()) {
    with_case.insert(c.op);
    CHECK_MESSAGE(find_op(c.op) != nullptr, "case " << c.name << " names op '" << c.op << "', not in ops/registry.cpp");
  }
  for (const OpInfo& op : registered_ops()) {
    std::string name(op.name);
    if (op.fixture_checked) {
      CHECK_MESSAGE(with_case.count(name), "op '" << name << "' has no FC_OP_CASE with PyTorch fixtures");
    } else {
      CHECK_MESSAGE(!op.note.empty(), "op '" << name << "' skips fixtures without a note saying why");
      CHECK_MESSAGE(has_dedicated_test(name), "op '" << name << "' has no dedicated test");
    }
    if (!op.differentiable) CHECK_MESSAGE(!op.note.empty(), "op '" << name << "' is not differentiable: say why");
  }
}

TEST_CASE("op cases match PyTorch (forward, backward) and finite differences") {
  for (const OpCase& c : op_cases()) {
    CAPTURE(c.name);
    SUBCASE(c.name.c_str()) { run_op_case(c); }
  }
}
