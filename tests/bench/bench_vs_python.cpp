// Benchmark: remix's finetuning step against a plain PyTorch script of the same step (tests/bench/reference_step.py,
// Debian's python3-torch, loading the same OpenBLAS build as this process), from the same weights on the same batch,
// in one run; and each on one thread against every core. Before timing, the first two steps' answer losses of both
// are compared (a reference that computed something else would be no yardstick). Targets (performance issue):
// remix <= 0.8x the Python step for single LoRA, softmax and ReMix M=4; all cores >= 1.6x one thread (2 cores).
//
//   build/tests/bench/bench_vs_python [rounds]     (default 3 rounds of 5 repetitions per side and thread count)
//   build/tests/bench/bench_vs_python --profile DIR THREADS   Chrome traces of both sides' steps (autograd profiler)
//                                                             into DIR, for tests/bench/profile_summary.py
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/csrc/autograd/profiler_legacy.h>

#include "common/library_environment.h"
#include "bench_steps.h"
#include "common/compute_threads.h"
#include "common/machine.h"

namespace {

using namespace remix;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

const char* kPython = "/usr/bin/python3";  // Debian's, where python3-torch is (not a pyenv or venv python)

nlohmann::json rows_of(const torch::Tensor& t) {
  auto c = t.to(torch::kLong).contiguous();
  nlohmann::json rows = nlohmann::json::array();
  for (std::int64_t i = 0; i < c.size(0); ++i)
    rows.push_back(std::vector<std::int64_t>(c[i].data_ptr<std::int64_t>(), c[i].data_ptr<std::int64_t>() + c.size(1)));
  return rows;
}

struct Variant {
  std::string name, router;
  nlohmann::json adapter;
  std::int64_t samples;
};

// The answer loss of one whole step (forward, backward, AdamW) of `v`.
double step_loss(bench::StepVariant& v, const train::SequenceBatch& batch) {
  adapter::RoutingTrace trace;
  v.optimizer->zero_grad();
  auto losses = train::forward_backward(v.model, batch, v.samples, train::Estimator::Rloo, trace);
  v.optimizer->step();
  return losses.loss.item<double>();
}

nlohmann::json run_python(const fs::path& spec, const fs::path& weights) {
  // The same OpenBLAS build as this process: its folder first on the loader's path.
  auto blas_dir = fs::path(machine::blas_library()).parent_path().string();
  auto out = spec.parent_path() / "python.json";
  auto cmd = "LD_LIBRARY_PATH=" + blas_dir + " " + kPython + " " + REMIX_BENCH_DIR + "/reference_step.py " +
             spec.string() + " " + weights.string() + " > " + out.string();
  if (std::system(cmd.c_str()) != 0) {
    std::fprintf(stderr, "bench_vs_python: the Python reference failed: %s\n", cmd.c_str());
    std::exit(2);
  }
  return nlohmann::json::parse(std::ifstream(out));
}

}  // namespace

int main(int argc, char** argv) {
  remix::reexec_with_library_environment(argv);  // the OpenMP spin and BLAS kernel remix runs with
  const int all = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  int rounds = 3, profile_threads = 1;
  const int reps = 5;
  std::string profile_dir;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--profile" && i + 2 < argc) {
      profile_dir = argv[++i];
      profile_threads = std::max(1, std::atoi(argv[++i]));
    } else if (std::atoi(a.c_str()) > 0) {
      rounds = std::atoi(a.c_str());
    } else {
      std::fprintf(stderr, "usage: bench_vs_python [rounds] [--profile DIR THREADS]\n");
      return 2;
    }
  }
  if (std::system((std::string(kPython) + " -c 'import torch' 2>/dev/null").c_str()) != 0) {
    std::fprintf(stderr, "bench_vs_python: %s cannot import torch (Debian's python3-torch; ./setup.sh installs it)\n",
                 kPython);
    return 2;
  }
  set_compute_threads(all);
  std::printf("LibTorch %s\n%s\n", TORCH_VERSION, machine::summary().c_str());
  bench::StepSetup setup;
  const auto& shape = setup.shape;
  const auto& batch = setup.batch;
  const auto& base_weights = setup.base_weights;

  const nlohmann::json mixture = {{"num_experts", 8}, {"top_k", 2}, {"r", 4}};
  const std::vector<Variant> specs = {{"lora", "lora", {{"num_experts", 1}, {"top_k", 1}, {"r", 8}}, 1},
                                      {"softmax", "softmax", mixture, 1},
                                      {"remix M=4", "remix", mixture, 4}};
  std::vector<bench::StepVariant> v;
  c10::Dict<std::string, torch::Tensor> weights;
  for (const auto& p : base_weights->named_parameters()) weights.insert("base/" + p.key(), p.value().detach());
  nlohmann::json spec = {{"dim", shape.dim()},           {"n_layers", shape.n_layers()},
                         {"n_heads", shape.n_heads()},   {"n_kv_heads", shape.n_kv_heads()},
                         {"norm_eps", shape.norm_eps()}, {"rope_theta", shape.rope_theta()},
                         {"max_seq_len", shape.max_seq_len()},
                         {"rope_style", shape.rope_style() == model::RopeStyle::Half ? "half" : "interleaved"},
                         {"inputs", rows_of(batch.inputs)},   {"targets", rows_of(batch.targets)},
                         {"valid", rows_of(batch.valid_mask)}, {"loss_mask", rows_of(batch.loss_mask)},
                         {"warmup", 1},                        {"reps", reps}};
  for (const auto& s : specs) {
    v.push_back(bench::make_step_variant(s.name, s.router, s.adapter, s.samples, base_weights, shape));
    for (const auto& p : v.back().model.model->named_parameters())
      if (p.key().find(".adapter.") != std::string::npos)
        weights.insert(s.name + "/" + p.key(), p.value().detach().clone());
    const auto& o = v.back().model.mixture.options;
    spec["variants"].push_back({{"name", s.name}, {"router", s.router}, {"n", o.num_experts()}, {"k", o.top_k()},
                                {"r", o.r()}, {"alpha", o.lora_alpha()}, {"samples", s.samples}, {"aux_coef", 0.001}});
  }
  auto dir = fs::temp_directory_path() / ("bench_vs_python." + std::to_string(::getpid()));
  fs::create_directories(dir);
  {
    auto bytes = torch::pickle_save(weights);
    std::ofstream(dir / "weights.pt", std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }

  // Same computation? The first two steps' answer losses (the first is the base's: B starts at zero; the second
  // follows one AdamW step; ReMix's second depends on its random draws, so it is not compared).
  std::map<std::string, std::vector<double>> remix_losses;
  for (auto& var : v) remix_losses[var.name] = {step_loss(var, batch), step_loss(var, batch)};

  if (!profile_dir.empty()) {  // Chrome traces of 3 steps per variant, both sides; no timing
    set_compute_threads(profile_threads);
    for (auto& var : v) {
      var.run(batch);
      auto trace = fs::path(profile_dir) / ("remix_" + var.name + ".json");
      torch::autograd::profiler::RecordProfile guard(trace.string());
      for (int i = 0; i < 3; ++i) var.run(batch);
    }
    spec["threads"] = profile_threads;
    spec["profile_dir"] = fs::absolute(profile_dir).string();
    std::ofstream(dir / "spec.json") << spec.dump();
    run_python(dir / "spec.json", dir / "weights.pt");
    fs::remove_all(dir);
    std::printf("traces in %s (remix_*.json, python_*.json): tests/bench/profile_summary.py A.json B.json\n",
                profile_dir.c_str());
    return 0;
  }
  // name -> threads -> times (s)
  std::map<std::string, std::map<int, std::vector<double>>> remix_s, python_s;
  nlohmann::json python_out;
  for (int threads : {1, all}) {
    set_compute_threads(threads);
    spec["threads"] = threads;
    std::ofstream(dir / "spec.json") << spec.dump();
    for (int round = 0; round < rounds; ++round) {
      for (auto& var : v) var.run(batch);  // warm-up
      for (int r = 0; r < reps; ++r)
        for (auto& var : v) {
          auto t = Clock::now();
          var.run(batch);
          remix_s[var.name][threads].push_back(std::chrono::duration<double>(Clock::now() - t).count());
        }
      python_out = run_python(dir / "spec.json", dir / "weights.pt");
      for (auto& [name, r] : python_out["variants"].items())
        for (double ms : r["ms"]) python_s[name][threads].push_back(ms / 1e3);
    }
  }
  fs::remove_all(dir);

  auto best = [](const std::vector<double>& s) { return *std::min_element(s.begin(), s.end()); };
  std::printf("\nfinetuning step, quickstart model (dim %lld, %lld layers), batch 16 (%lld tokens), "
              "gate/up/down adapted\n"
              "remix against reference_step.py (torch %s, same weights, batch and OpenBLAS); %d rounds x %d "
              "repetitions per side, interleaved by round, best\n",
              static_cast<long long>(shape.dim()), static_cast<long long>(shape.n_layers()),
              static_cast<long long>(batch.tokens), python_out["torch"].get<std::string>().c_str(), rounds, reps);
  std::printf("\n  first two answer losses     remix                  python\n");
  bool same = true;
  for (const auto& s : specs) {
    auto py = python_out["variants"][s.name]["losses"];
    const auto& rx = remix_losses[s.name];
    bool equal = std::abs(rx[0] - py[0].get<double>()) < 1e-4 &&
                 (s.samples > 1 || std::abs(rx[1] - py[1].get<double>()) < 1e-4);
    same = same && equal;
    std::printf("  %-26s %.6f %.6f   %.6f %.6f  %s\n", s.name.c_str(), rx[0], rx[1], py[0].get<double>(),
                py[1].get<double>(), equal ? "equal" : "DIFFERENT");
  }
  std::printf("\n  threads  variant        remix ms   python ms   remix/python\n");
  for (int threads : {1, all})
    for (const auto& s : specs) {
      double rx = best(remix_s[s.name][threads]), py = best(python_s[s.name][threads]);
      std::printf("  %7d  %-12s %9.1f %11.1f   %6.2fx  (target <= 0.8x: %s)\n", threads, s.name.c_str(), rx * 1e3,
                  py * 1e3, rx / py, rx / py <= 0.8 ? "met" : "NOT met");
    }
  std::printf("\n  %d threads against 1        remix     python\n", all);
  for (const auto& s : specs) {
    double rx = best(remix_s[s.name][1]) / best(remix_s[s.name][all]);
    double py = best(python_s[s.name][1]) / best(python_s[s.name][all]);
    std::printf("  %-26s %5.2fx    %5.2fx   (remix target >= 1.6x: %s)\n", s.name.c_str(), rx, py,
                rx >= 1.6 ? "met" : "NOT met");
  }
  if (!same)
    std::printf("\nthe two implementations computed different losses: the times above compare different work\n");
  return same ? 0 : 1;
}
