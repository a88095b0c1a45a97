// Benchmark: loading a real model. SmolLM2-135M-Instruct from its Q4_1 GGUF (dequantized to float32) and from the
// Hugging Face folder (float32 safetensors), each in a fresh process: wall time of the load and the peak resident
// memory it added, against the float32 weights' size (targets: under 2 s, at most 1.3x the weights).
//   build/tests/bench/bench_load            (fetches the model with tests/reference/fetch_smollm2.sh if needed)
//   build/tests/bench/bench_load gguf|hf PATH    (one load in this process; what the default runs twice)
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include "common/library_environment.h"
#include "common/machine.h"
#include "model/model_path.h"
#include "support/reference_data.h"
#include "support/test_env.h"

namespace {

double rss_mb(const char* field) {  // VmRSS or VmHWM from /proc/self/status
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind(field, 0) == 0) return std::stod(line.substr(std::string(field).size() + 1)) / 1024.0;
  return -1;
}

int load_once(const std::string& kind, const std::string& path) {
  torch::Tensor warm = torch::ones({8}) * 2;  // LibTorch's own start-up is not the loader's
  const double before = rss_mb("VmRSS:");
  auto t0 = std::chrono::steady_clock::now();
  auto model = remix::model::load_model_from(path);
  auto tokenizer = remix::model::load_tokenizer_from(path);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double peak = rss_mb("VmHWM:") - before;
  double weights = 0;
  for (const auto& p : model->parameters()) weights += static_cast<double>(p.numel()) * 4 / (1 << 20);
  std::printf("%-5s load %.2f s (target < 2 s), peak RSS added %.0f MB = %.2fx the %.0f MB of float32 weights "
              "(target <= 1.3x), tokenizer %lld tokens\n",
              kind.c_str(), seconds, peak, peak / weights, weights, static_cast<long long>(tokenizer->vocab_size()));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  remix::reexec_with_library_environment(argv);  // the OpenMP spin and BLAS kernel remix runs with
  if (argc == 3) return load_once(argv[1], argv[2]);
  std::printf("%s\n", remix::machine::summary().c_str());
  const auto dir = remix::test::smollm2_dir();
  for (const auto& [kind, path] : {std::pair<std::string, std::string>{"gguf", dir + "/SmolLM2-135M-Instruct.Q4_1.gguf"},
                                   {"hf", dir + "/hf"}}) {
    auto r = remix::test::run_command({"/proc/self/exe", kind, path});
    std::fputs(r.out.c_str(), stdout);
    if (r.exit_code != 0) std::fprintf(stderr, "%s", r.err.c_str());
  }
  return 0;
}
