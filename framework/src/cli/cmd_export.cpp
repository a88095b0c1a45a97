// `remix export RUN_OR_CHECKPOINT [--db DB] --format peft -o DIR`: a finetuned trial's adapters in another
// library's format (interop/peft_export.h): a checkpoint file, or with --db the run (id or trial key) whose final
// checkpoint it is. Prints what it wrote and how to load it.
#include <fmt/format.h>

#include <memory>

#include "cli/commands.h"
#include "interop/peft_export.h"
#include "plugin/registry.h"
#include "remix/errors.h"
#include "trial/finetuned_trial.h"

namespace remix::cli {

namespace {

struct ExportOptions {
  std::string source, db, format = "peft", out;
};

int run_export(const ExportOptions& o, const GlobalOptions& global) {
  auto lookup = plugin::schema_lookup(global.plugin_paths);
  auto trial = o.db.empty() ? trial::finetuned_from_checkpoint(o.source, lookup)
                            : trial::finetuned_from_run(o.db, o.source, lookup);
  auto written = interop::export_peft(trial, o.out);
  for (const auto& f : written.files) fmt::print("{}/{}\n", o.out, f);
  const bool mixture = trial.config.get_int("adapter.num_experts") > 1;
  fmt::print("exported {} ({}) as {}; in Python: PeftModel.from_pretrained(model, \"{}{}\"){}\n", trial.label,
             trial.checkpoint, mixture ? "one PEFT adapter per expert" : "a PEFT LoRA adapter", o.out,
             mixture ? "/expert_0" : "", mixture ? "; the routing is described in remix_export.json" : "");
  return 0;
}

}  // namespace

void add_export_command(CLI::App& app, const GlobalOptions& global, Action& action) {
  auto o = std::make_shared<ExportOptions>();
  auto* cmd = app.add_subcommand("export", "write a finetuned trial's adapters in another library's format");
  cmd->add_option("source", o->source, "a trial checkpoint file, or with --db a run's id or trial key")->required();
  cmd->add_option("--db", o->db, "results database the run is in (a file or postgresql:// URI)");
  cmd->add_option("--format", o->format, "the format: peft (Hugging Face PEFT LoRA adapters)")
      ->check(CLI::IsMember({"peft"}))
      ->capture_default_str();
  cmd->add_option("-o,--output", o->out, "folder to write into (created)")->required();
  cmd->callback([o, &global, &action] { action = [o, &global] { return run_export(*o, global); }; });
}

}  // namespace remix::cli
