// `faceptor convert`: an official PyTorch checkpoint (Faceptor or FaRL) -> our safetensors model
// file, through faceptor/convert.h, with a progress bar on stderr and a report on stdout.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "faceptor/convert.h"
#include "faceptor/model_io.h"
#include "tools/cli_args.h"
#include "tools/commands.h"
#include "tools/model_summary.h"

namespace fc::tools {

using namespace faceptor;

namespace {

const std::vector<OptionSpec> kOptions = {
    {"encoder-heads", "N", "encoder attention heads (default by width: 768 -> 12, 1024/1280 -> 16)"},
    {"decoder-heads", "N", "decoder attention heads (default: hidden / 32)"},
    {"levels", "LIST", "encoder layers read by input_proj, e.g. 11 (default: inferred)"},
    {"new-levels", "LIST", "encoder layers of the stage-2 new_input_proj, e.g. 1,3,5,7,9\n(default: inferred)"},
    {"keep-training-tensors", "", "also keep losses.* (e.g. the ~190 MB CosFace class matrix)"},
};

constexpr const char* kUsage =
    "usage: faceptor convert IN OUT.safetensors [options]\n"
    "\n"
    "Converts an official Faceptor checkpoint (*.pth.tar; stage 1, stage 2 Layer-Attention, or\n"
    "all-levels) or a FaRL checkpoint into a model file for `faceptor analyze`. No pickle code\n"
    "is executed. OUT is written atomically: it appears complete or not at all.\n"
    "IN may also be a `faceptor train` checkpoint (*.safetensors): OUT is then the model alone,\n"
    "without the optimizer state and the loss tensors (e.g. the CosFace class matrix).\n"
    "\n"
    "options:\n";

// "\rwriting [#########...........]  45% (164/364 tensors)" on stderr, redrawn in place when
// stderr is a terminal at each new percent; a log file only gets the final line.
struct ProgressBar {
  int last_percent = -1;
  void operator()(size_t done, size_t total) {
    const int percent = total ? static_cast<int>(100 * done / total) : 100;
    if (done != total && (percent == last_percent || !::isatty(STDERR_FILENO))) return;
    last_percent = percent;
    constexpr int kWidth = 30;
    const int filled = total ? static_cast<int>(kWidth * done / total) : kWidth;
    std::fprintf(stderr, "\rwriting [%s%s] %3d%% (%zu/%zu tensors)", std::string(filled, '#').c_str(),
                 std::string(kWidth - filled, '.').c_str(), percent, done, total);
    if (done == total) std::fputc('\n', stderr);
    std::fflush(stderr);
  }
};

}  // namespace

int convert_command(const std::vector<std::string>& argv) {
  ParsedArgs args = parse_args("faceptor convert", argv, kOptions);
  if (args.help) {
    std::cout << kUsage << options_help(kOptions);
    return 0;
  }
  if (args.positional.size() != 2)
    throw UsageError("faceptor convert: expected IN and OUT.safetensors, got " +
                     std::to_string(args.positional.size()) + " arguments");
  ConvertOptions options;
  if (auto v = args.value("encoder-heads")) options.encoder_heads = parse_int("--encoder-heads", *v, 1, 1024);
  if (auto v = args.value("decoder-heads")) options.decoder_heads = parse_int("--decoder-heads", *v, 1, 1024);
  if (auto v = args.value("levels")) options.levels = parse_ints("--levels", *v);
  if (auto v = args.value("new-levels")) options.new_levels = parse_ints("--new-levels", *v);
  options.keep_training_tensors = args.has("keep-training-tensors");
  options.progress = ProgressBar{};

  const std::string& in = args.positional[0];
  const std::string& out = args.positional[1];
  if (in.size() > 12 && in.compare(in.size() - 12, 12, ".safetensors") == 0) {
    // load_face_model skips the checkpoint's optimizer.* and losses.* tensors, so saving what it
    // loaded is the export (make demo-model writes weights/faceptor_demo.safetensors this way).
    std::unique_ptr<FaceModel> model = load_face_model(in);
    save_model(*model, out);
    std::cout << "exported the model of " << in << " -> " << out << "\n";
    std::cout << architecture_summary(model->config) << task_table(model->config);
    return 0;
  }
  ConversionReport report = convert_checkpoint(in, out, options);

  std::cout << "converted " << in << " -> " << out << "\n";
  std::cout << "source: " << report.source_kind << " checkpoint\n";
  std::cout << architecture_summary(report.config) << task_table(report.config);
  std::cout << "written: " << report.tensors_written << " tensors, " << with_commas(report.parameters_written)
            << " values (parameters and BatchNorm statistics)\n";
  std::cout << "dropped: " << report.dropped.size() << " tensors\n";
  for (const std::string& d : report.dropped) std::cout << "  " << d << "\n";
  return 0;
}

}  // namespace fc::tools
