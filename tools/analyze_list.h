// `faceptor analyze --input-list FILES.txt --json-dir OUT/`: a large list of pictures, split
// over the ranks of an MPI job (`mpirun -np N faceptor analyze ...`; one process without it).
// Rank r of N takes the list's entries r, r + N, r + 2N, ... and writes OUT/<stem>.json for each
// (a stem used twice in the list becomes <stem>.<line>.json); rank 0 then gathers every rank's
// record and writes OUT/index.json: one entry per listed picture, in list order, either
// {"input", "status": "ok", "json", "rank"} or {"input", "status": "failed", "error", "rank"}. A
// missing or broken picture is reported on stderr, recorded in the index and skipped: it never
// stops the others and never vanishes from the index.
#pragma once

#include <string>
#include <vector>

#include "faceptor/analyze.h"

namespace fc::tools {

struct InputListJob {
  std::string list_path, json_dir, weights;
  std::vector<std::string> task_words;
  faceptor::AnalyzeOptions options;  // region and box_scale set; tasks resolved from task_words
  double dist_timeout_seconds = 600;
};

// Returns the exit status: 0 when every picture succeeded, 1 when some failed (all recorded).
int analyze_input_list(const InputListJob& job);

}  // namespace fc::tools
