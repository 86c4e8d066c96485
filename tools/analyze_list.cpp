#include "tools/analyze_list.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "dist/communicator.h"
#include "faceptor/model_io.h"
#include "tools/analysis_report.h"
#include "tools/cli_args.h"
#include "weights/atomic_file.h"

namespace fs = std::filesystem;

namespace fc::tools {

namespace {

struct ListEntry {
  std::string path;
  std::string output;  // file name inside json_dir
};

// One picture path per line; blank lines and lines starting with '#' are skipped.
std::vector<ListEntry> read_input_list(const std::string& list_path) {
  std::ifstream in(list_path);
  FC_CHECK(in, list_path, ": cannot read the input list");
  std::vector<ListEntry> entries;
  std::map<std::string, int> stem_uses;
  std::string line;
  int line_number = 0;
  std::vector<int> lines;
  while (std::getline(in, line)) {
    ++line_number;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    entries.push_back({line, fs::path(line).stem().string()});
    lines.push_back(line_number);
    ++stem_uses[entries.back().output];
  }
  FC_CHECK(!entries.empty(), list_path, ": the input list names no pictures");
  for (size_t i = 0; i < entries.size(); ++i) {
    ListEntry& e = entries[i];
    if (stem_uses[e.output] > 1) e.output = str_cat(e.output, ".", lines[i]);
    e.output += ".json";
  }
  return entries;
}

void write_atomically(const std::string& path, const std::string& text) {
  AtomicFileWriter out(path);
  out.write(text.data(), text.size());
  out.commit();
}

}  // namespace

int analyze_input_list(const InputListJob& job) {
  std::unique_ptr<dist::Communicator> comm = dist::open_communicator({.timeout_seconds = job.dist_timeout_seconds});
  const int rank = comm->rank(), world = comm->world_size();
  try {
    // Every rank reads the whole list (cheap) so all agree on the split and the output names.
    const std::vector<ListEntry> entries = read_input_list(job.list_path);
    std::error_code ec;
    fs::create_directories(job.json_dir, ec);
    FC_CHECK(fs::is_directory(job.json_dir), "--json-dir ", job.json_dir, ": cannot create the directory");

    std::unique_ptr<faceptor::FaceModel> model = faceptor::load_face_model(job.weights);
    faceptor::AnalyzeOptions options = job.options;
    try {
      options.tasks = faceptor::resolve_tasks(model->config, job.task_words);
    } catch (const Error& e) {
      throw UsageError(std::string("--tasks: ") + e.what());
    }

    nlohmann::ordered_json mine = nlohmann::ordered_json::array();
    for (size_t i = static_cast<size_t>(rank); i < entries.size(); i += static_cast<size_t>(world)) {
      const ListEntry& e = entries[i];
      nlohmann::ordered_json record = {{"index", i}, {"input", e.path}};
      try {
        faceptor::Analysis analysis = faceptor::analyze(*model, load_image(e.path), options);
        write_atomically((fs::path(job.json_dir) / e.output).string(),
                         analysis_json(e.path, analysis, options.region, false).dump(2) + "\n");
        record["status"] = "ok";
        record["json"] = e.output;
      } catch (const std::exception& error) {
        std::cerr << "faceptor analyze: " << e.path << ": skipped: " << error.what() << std::endl;
        record["status"] = "failed";
        record["error"] = error.what();
      }
      record["rank"] = rank;
      mine.push_back(record);
    }

    const std::vector<std::string> parts = comm->gather(mine.dump());
    if (rank != 0) return 0;
    std::vector<nlohmann::ordered_json> by_index(entries.size());
    for (const std::string& part : parts)
      for (auto& record : nlohmann::ordered_json::parse(part)) by_index[record["index"].get<size_t>()] = record;
    nlohmann::ordered_json index = {{"list", job.list_path}, {"ranks", world}, {"inputs", entries.size()}};
    nlohmann::ordered_json results = nlohmann::ordered_json::array();
    size_t failed = 0;
    for (size_t i = 0; i < entries.size(); ++i) {
      // A rank that returned no record for its picture is a bug, and still must not drop it.
      FC_CHECK(!by_index[i].is_null(), entries[i].path, ": no rank reported a result");
      nlohmann::ordered_json record = by_index[i];
      record.erase("index");
      if (record["status"] != "ok") ++failed;
      results.push_back(record);
    }
    index["failed"] = failed;
    index["results"] = results;
    write_atomically((fs::path(job.json_dir) / "index.json").string(), index.dump(2) + "\n");
    std::cerr << "analyzed " << entries.size() - failed << " of " << entries.size() << " pictures on " << world
              << (world == 1 ? " process" : " ranks") << (failed ? ", " + std::to_string(failed) + " failed" : "")
              << "; index: " << (fs::path(job.json_dir) / "index.json").string() << std::endl;
    return failed == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    if (world == 1) throw;
    std::cerr << "faceptor analyze: rank " << rank << ": " << e.what() << std::endl;
    comm->abort(1);
    return 1;
  }
}

}  // namespace fc::tools
