// The code executor against hostile programs, under bubblewrap and under rlimits alone: an endless loop, a
// fork bomb, a memory hog, a huge file, writes outside its folder, exit(0) / os._exit(0) before the asserts,
// killing its parent or its group, reading stdin for the marker, walking the interpreter's frames back to
// the runner for it, printing 100 MB, leaving a process behind, and leaving files in /tmp, /var/tmp and
// /dev/shm. Each must fail its sample within its time limit, this test process must survive, nothing of the
// sample may still run or be left on disk afterwards (where the sandbox can know: bubblewrap, or root), and an
// honest program must still pass.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "remix/errors.h"
#include "support/test_env.h"
#include "tasks/code/executor.h"
#include "tasks/code/python.h"

namespace remix::tasks::code {
namespace {

namespace fs = std::filesystem;

constexpr double kWallSeconds = 2.0;

std::string random_token() {
  std::random_device rd;
  return std::to_string(rd()) + std::to_string(rd());
}

ExecutorOptions options(const std::string& sandbox, const std::string& label) {
  ExecutorOptions o;
  o.sandbox = sandbox;
  o.workers = 4;
  o.settings.label = label;
  ProcessLimits& l = o.settings.limits;
  l.wall_seconds = kWallSeconds;
  l.cpu_seconds = kWallSeconds;
  l.memory_bytes = 512 << 20;
  l.processes = 16;
  l.file_bytes = 16 << 20;
  l.open_files = 256;
  l.output_bytes = 64 << 10;
  return o;
}

// Processes whose command line contains `needle` (zombies have none, so only live processes count).
std::vector<std::string> processes_with(const std::string& needle) {
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (cmdline.find(needle) != std::string::npos && entry.path().filename() != std::to_string(getpid()))
      found.push_back(entry.path().filename().string() + ": " + cmdline.substr(0, 120));
  }
  return found;
}

// A program: `body` inside add() (or at the top level, unindented lines after it), then the tests.
std::string program(const std::string& body, const std::string& top_level = "") {
  return "def add(a, b):\n" + body + "    return a + b\n" + top_level +
         "\nassert add(1, 2) == 3\nassert add(2, 2) == 4\n";
}

struct Hostile {
  std::string name, program;
  std::vector<Outcome> allowed;  // empty: any failing outcome
};

void run_hostile_suite(const std::string& sandbox) {
  bool root = geteuid() == 0;
  if (sandbox == "bubblewrap" && find_on_path("bwrap").empty()) GTEST_SKIP() << "bwrap is not installed";
  std::string label = "remix-hostile-" + random_token(), sleeper = "4321." + std::to_string(getpid());
  std::unique_ptr<Executor> executor;
  try {
    executor = std::make_unique<Executor>(options(sandbox, label));
  } catch (const EnvironmentError& e) {
    if (sandbox == "bubblewrap") GTEST_SKIP() << "bubblewrap does not work here: " << e.what();
    throw;
  }
  bool isolated_writes = sandbox == "bubblewrap" || root;
  test::TempDir outside;  // the harness's own folder: a sample must not write here
  std::string canary = outside.file("canary"), source_canary = test::source_dir() + "/hostile-canary-" + label;

  std::vector<Hostile> hostile = {
      {"endless loop", program("    while True:\n        pass\n"), {Outcome::TimedOut, Outcome::Killed}},
      {"fork bomb", "import os\n" + program("    while True:\n        os.fork()\n"), {}},
      {"memory hog", program("    hog = []\n    while True:\n        hog.append(bytearray(1 << 20))\n"), {}},
      {"huge file",
       program("    with open('big', 'wb') as f:\n        while True:\n            f.write(b'0' * (1 << 20))\n"),
       {}},
      {"writes outside its folder",
       program("    for p in [" + nlohmann::json(canary).dump() + ", " + nlohmann::json(source_canary).dump() +
               "]:\n        open(p, 'w').write('pwned')\n"),
       {Outcome::Failed}},
      {"exit(0) in the function", program("    import sys\n    sys.exit(0)\n"), {Outcome::EarlyExit}},
      {"os._exit(0) before the asserts", program("", "import os\nos._exit(0)\n"), {Outcome::EarlyExit}},
      {"kills its parent, then exits 0",
       program("    import os, signal\n    os.kill(os.getppid(), signal.SIGKILL)\n    os._exit(0)\n"),
       {Outcome::EarlyExit, Outcome::Killed}},
      // Under bubblewrap the program is its pid namespace's init, which signals from inside cannot kill.
      {"kills its process group, then exits 0",
       program("    import os, signal\n    os.killpg(0, signal.SIGKILL)\n    os._exit(0)\n"),
       {Outcome::Killed, Outcome::EarlyExit}},
      {"reads stdin for the marker",
       program("    import os, sys\n    print(sys.stdin.read())\n    os._exit(0)\n"),
       {Outcome::EarlyExit}},
      {"waits on stdin", program("    return int(input())\n"), {Outcome::Failed}},
      // The marker is in no frame, local or constant while the program runs: this finds nothing to print.
      {"walks the frames back to the runner for the marker",
       program("    import os, sys\n    f = sys._getframe()\n    while f is not None:\n"
               "        for v in list(f.f_locals.values()) + list(f.f_code.co_consts):\n"
               "            if isinstance(v, bytes): v = v.decode('latin-1')\n"
               "            if isinstance(v, str): print(v)\n"
               "        f = f.f_back\n    os._exit(0)\n"),
       {Outcome::EarlyExit}},
      {"leaves files in /tmp, /var/tmp and /dev/shm",
       program("    import os, tempfile\n"
               "    for d in ['/tmp', '/var/tmp', '/dev/shm']:\n"
               "        try:\n            open(d + '/" + label + "-file', 'w').write('x' * 1000)\n"
               "            os.makedirs(d + '/" + label + "-dir', exist_ok=True)\n"
               "            for i in range(200): open(d + '/" + label + "-dir/%d' % i, 'w').write('y')\n"
               "        except OSError:\n            pass\n"
               "    tempfile.mkstemp(prefix='" + label + "-')\n    os._exit(0)\n"),
       {Outcome::EarlyExit}},
      {"prints 100 MB", program("    import sys\n    sys.stdout.write('x' * (100 << 20))\n"), {Outcome::OutputLimit}},
      {"leaves a process behind",
       program(
           "    import os\n    if os.fork() == 0:\n        os.setsid()\n        os.execv('/bin/sleep', ['sleep', '" +
           sleeper + "'])\n    os._exit(0)\n"),
       {Outcome::EarlyExit}},
  };
  std::vector<std::string> programs;
  for (const auto& h : hostile) programs.push_back(h.program);
  programs.push_back(program(""));                    // honest
  programs.push_back(program("    return a * b\n"));  // honest but wrong

  auto start = std::chrono::steady_clock::now();
  auto results = executor->run(programs);
  double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (std::size_t i = 0; i < hostile.size(); ++i) {
    const auto& r = results[i];
    SCOPED_TRACE(hostile[i].name + " (" + outcome_name(r.outcome) + ", exit " + std::to_string(r.exit_code) +
                 ", signal " + std::to_string(r.signal) + "): " + r.output.substr(0, 300));
    EXPECT_FALSE(r.passed());
    EXPECT_LT(r.seconds, kWallSeconds + 1.5);
    if (!hostile[i].allowed.empty() && (isolated_writes || hostile[i].name != "writes outside its folder"))
      EXPECT_NE(std::find(hostile[i].allowed.begin(), hostile[i].allowed.end(), r.outcome), hostile[i].allowed.end());
    EXPECT_LE(r.output.size(), std::size_t{64 << 10});
  }
  EXPECT_EQ(results[hostile.size()].outcome, Outcome::Passed) << results[hostile.size()].output;
  EXPECT_EQ(results[hostile.size() + 1].outcome, Outcome::Failed);
  EXPECT_NE(results[hostile.size() + 1].output.find("AssertionError"), std::string::npos);
  // 17 samples on 4 workers, the slowest bounded by the time limit.
  EXPECT_LT(total, 4 * (kWallSeconds + 1.5));

  // What a sample wrote to the shared temporary folders is gone with it (bubblewrap: they were private).
  std::vector<std::string> temp_left;
  for (const char* dir : {"/tmp", "/var/tmp", "/dev/shm"}) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec))
      if (entry.path().filename().string().rfind(label, 0) == 0) temp_left.push_back(entry.path().string());
  }
  if (isolated_writes) {
    EXPECT_FALSE(fs::exists(canary));
    EXPECT_FALSE(fs::exists(source_canary));
    EXPECT_TRUE(temp_left.empty()) << temp_left.size() << " left, e.g. " << (temp_left.empty() ? "" : temp_left[0]);
  } else {
    for (const auto& path : temp_left) fs::remove_all(path);
    std::cerr << "note: rlimits as a normal user leaves what a sample writes to /tmp, /var/tmp and /dev/shm\n";
    fs::remove(source_canary);
    std::cerr << "note: rlimits as a normal user cannot stop writes outside the sample's folder\n";
  }
  // Nothing of the samples still runs (the kernel may take a moment to finish off a pid namespace).
  bool escaped_group_is_killed = sandbox == "bubblewrap" || root;
  std::vector<std::string> left;
  for (int wait = 0; wait < 30; ++wait) {
    left = processes_with(label);
    if (escaped_group_is_killed)
      for (const auto& p : processes_with(sleeper)) left.push_back(p);
    if (left.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(left.empty()) << left.size() << " left, e.g. " << (left.empty() ? "" : left[0]);
  if (!escaped_group_is_killed)
    for (const auto& p : processes_with(sleeper)) kill(std::stoi(p.substr(0, p.find(':'))), SIGKILL);
  // And the machine still runs samples.
  EXPECT_TRUE(executor->run_one(program(""), 0).passed());
}

TEST(CodeExecutor, HostileProgramsFailUnderBubblewrap) { run_hostile_suite("bubblewrap"); }
TEST(CodeExecutor, HostileProgramsFailUnderRlimits) { run_hostile_suite("rlimits"); }

TEST(CodeExecutor, AutoPrefersBubblewrapAndSaysWhatRan) {
  std::vector<std::string> warnings;
  auto o = options("auto", "remix-auto-" + random_token());
  o.warn = [&](const std::string& w) { warnings.push_back(w); };
  Executor executor(o);
  auto facts = executor.describe();
  bool bwrap = !find_on_path("bwrap").empty();
  if (bwrap && executor.sandbox_kind() == SandboxKind::Rlimits)
    std::cerr << "note: bwrap is installed but does not work here; warnings: " << warnings.size() << "\n";
  EXPECT_EQ(facts.at("sandbox"), sandbox_name(executor.sandbox_kind()));
  EXPECT_EQ(facts.at("python"), executor.python().executable);
  EXPECT_EQ(facts.at("sandbox_user").rfind(geteuid() == 0 ? "uid " : "this process", 0), 0u)
      << facts.at("sandbox_user");
  if (executor.sandbox_kind() == SandboxKind::Rlimits) {
    bool warned = false;
    for (const auto& w : warnings)
      warned = warned || w.find("without filesystem or network isolation") != std::string::npos;
    EXPECT_TRUE(warned);
  }
  // No network inside bubblewrap.
  if (executor.sandbox_kind() == SandboxKind::Bubblewrap) {
    auto r = executor.run_one("import socket\ns = socket.socket()\ns.settimeout(1)\ns.connect(('127.0.0.1', 22))\n", 0);
    EXPECT_FALSE(r.passed());
    EXPECT_NE(r.output.find("Error"), std::string::npos) << r.output;
  }
}

TEST(CodeExecutor, MissingPythonIsAnEnvironmentError) {
  auto o = options("rlimits", "remix-nopython");
  o.python = "/nonexistent/python3";
  o.param_prefix = "tasks.code";
  try {
    Executor executor(o);
    FAIL() << "no error";
  } catch (const EnvironmentError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("python interpreter /nonexistent/python3 does not exist"), std::string::npos) << m;
    EXPECT_NE(m.find("apt-get install python3"), std::string::npos) << m;
    EXPECT_NE(m.find("tasks.code.python"), std::string::npos) << m;
  }
  o.python = "python3-not-installed-anywhere";
  try {
    Executor executor(o);
    FAIL() << "no error";
  } catch (const EnvironmentError& e) {
    EXPECT_NE(std::string(e.what()).find("python3-not-installed-anywhere is not installed: it is not on PATH"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace remix::tasks::code
