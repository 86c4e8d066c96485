// The subcommands of the `faceptor` tool. Each takes the arguments after its name, prints its
// results on stdout, and returns the exit status; usage mistakes throw UsageError (status 2),
// failures fc::Error or another std::exception (status 1). tools/faceptor.cpp dispatches.
#pragma once

#include <string>
#include <vector>

namespace fc::tools {

int analyze_command(const std::vector<std::string>& args);
int convert_command(const std::vector<std::string>& args);
int eval_command(const std::vector<std::string>& args);
int explain_command(const std::vector<std::string>& args);
int info_command(const std::vector<std::string>& args);
int train_command(const std::vector<std::string>& args);

}  // namespace fc::tools
