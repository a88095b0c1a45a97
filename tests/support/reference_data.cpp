// Locating the reference data (see reference_data.h).
#include "support/reference_data.h"

#include <stdexcept>

#include "support/test_env.h"

namespace remix::test {

namespace {

std::string run_script(const std::string& name) {
  auto r = run_command({source_dir() + "/tests/reference/" + name});
  if (r.exit_code != 0) throw std::runtime_error(name + " failed:\n" + r.err);
  auto end = r.out.find_last_not_of("\n");
  auto start = r.out.rfind('\n', end);
  start = start == std::string::npos ? 0 : start + 1;
  return r.out.substr(start, end - start + 1);
}

}  // namespace

std::string reference_python() {
  static const std::string p = run_script("setup_env.sh");
  return p;
}

std::string smollm2_dir() {
  static const std::string d = run_script("fetch_smollm2.sh");
  return d;
}

std::string llama_vocab_dir() {
  static const std::string d = run_script("fetch_llama_vocabs.sh");
  return d;
}

}  // namespace remix::test
