// The table of core config keys (see core_schema.h). Adding a key here makes it valid in YAML and
// overrides, gives it a default, documents it, and (unless marked not_in_key) puts it in the trial key.
#include "config/core_schema.h"

#include "config/limits.h"

namespace remix::config {

namespace {

using T = ParamType;

const std::vector<ParamSpec> kCore = {
    // --- experiment: where results go; none of it changes what a trial computes, but the name is in the trial
    // key, so identical configs are one trial within an experiment and separate trials across experiments ---
    param("experiment.name", T::String, "default", "experiment name; runs are grouped under it"),
    param("experiment.db", T::String, "results/remix.db", "SQLite results database (its directory must exist)")
        .not_in_key(),
    param("experiment.output_dir", T::String, "results/runs", "checkpoints and artifacts, one folder per run")
        .not_in_key(),
    param("experiment.description", T::String, "", "free text recorded with the runs").not_in_key(),
    param("seed", T::Int, "0", "seed of everything random in a trial").at_least(0),
    param("plugin_paths", T::StringList, "[]", "extra folders searched for plugins, before REMIX_PLUGIN_PATH")
        .not_in_key(),

    // --- runtime: how, not what ---
    param("runtime.threads", T::Int, "0", "intra-op threads for LibTorch (0 = all cores)").at_least(0).not_in_key(),
    param("runtime.device", T::String, "cpu", "where to train: cpu, auto, cuda or cuda:N (checked by trial/runtime.h)")
        .not_in_key(),
    param("runtime.dist_timeout", T::Float, "300",
          "seconds data-parallel ranks wait for each other (rendezvous, each collective) before the trial stops")
        .range(1, 86400)
        .not_in_key(),

    // --- base model ---
    param("base.source", T::Choice, "pretrain",
          "pretrain the built-in model, or load a llama2.c / remix checkpoint, a Hugging Face folder or a GGUF file")
        .one_of("pretrain|llama2c|checkpoint|hf|gguf"),
    param("base.path", T::String, "", "checkpoint file (llama2c, checkpoint, gguf) or model folder (hf)"),
    param("base.tokenizer", T::String, "", "llama2.c tokenizer.bin for source llama2c"),
    param("base.prompt_format", T::Choice, "plain",
          "plain: prompts as the tasks write them; chat: in the model's chat template (hf, gguf; model/chat_template.h)")
        .one_of("plain|chat")
        .in_key_when_set(),
    param("base.cache_dir", T::String, "results/base_cache", "where pretrained base models are cached by hash")
        .not_in_key(),
    param("base.pretrain.steps", T::Int, "2000", "pretraining steps of the built-in base").at_least(1),
    param("base.pretrain.batch_size", T::Int, "32", "pretraining batch size (sequences)").at_least(1),
    param("base.pretrain.lr", T::Float, "3e-3", "pretraining peak learning rate").range(0, 10),
    param("base.pretrain.warmup_steps", T::Int, "100", "pretraining warmup steps").at_least(0),
    param("base.pretrain.seed", T::Int, "1234", "seed of the base model (shared by every trial)").at_least(0),

    // --- model shape (built-in base; a loaded checkpoint must agree) ---
    param("model.tokenizer", T::Choice, "byte", "byte-level, or llama2.c BPE (from base.tokenizer)").one_of("byte|bpe"),
    param("model.dtype", T::Choice, "float32",
          "storage of the frozen base's weight matrices; bfloat16 halves their memory, compute stays float32")
        .one_of("float32|bfloat16")
        .in_key_when_set(),
    param("model.dim", T::Int, "128", "model width").range(8, 65536),
    param("model.n_layers", T::Int, "4", "transformer blocks").range(1, 1024),
    param("model.n_heads", T::Int, "4", "attention heads").range(1, 1024),
    param("model.n_kv_heads", T::Int, "4", "key/value heads (grouped-query attention)").range(1, 1024),
    param("model.ffn_dim", T::Int, "344", "SwiGLU hidden width").range(1, 1 << 20),
    param("model.max_seq_len", T::Int, "96", "context length").range(2, 1 << 20),
    param("model.norm_eps", T::Float, "1e-5", "RMSNorm epsilon").range(0, 1),
    param("model.rope_theta", T::Float, "10000", "rotary embedding base").at_least(1),
    param("model.tie_embeddings", T::Bool, "true", "output head shares the token embedding"),

    // --- adapters: PEFT names for the LoRA part, MixLoRA names for the mixture ---
    param("adapter.r", T::Int, "4", "rank of each LoRA expert").range(1, 4096),
    param("adapter.lora_alpha", T::Float, "8", "LoRA scaling numerator (scale = lora_alpha / r)").at_least(0),
    param("adapter.lora_dropout", T::Float, "0.0", "dropout on the LoRA input").range(0, 0.99),
    param("adapter.target_modules", T::StringList, "[gate, up, down]", "projections that get a mixture of LoRAs (PEFT names q_proj, ... also)")
        .one_of("q|k|v|o|gate|up|down|q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj"),
    param("adapter.num_experts", T::Int, "8", "experts per adapted projection (n)").range(1, 1024),
    param("adapter.top_k", T::Int, "2", "experts active per token (k)").range(1, 1024),
    param("adapter.router_scope", T::Choice, "auto",
          "one router per sub-block (attention, FFN) or per adapted projection; auto takes what the router needs, "
          "else block")
        .one_of("auto|block|module"),
    param("adapter.layout", T::Choice, "auto", "expert bank layout; auto takes what the router needs")
        .one_of("auto|independent|shared_a"),
    param("adapter.expert_combine", T::Choice, "projection",
          "projection: each adapted projection adds its chosen experts' weighted LoRA outputs; ffn: the FFN block's "
          "output mixes whole expert FFNs down_e(silu(gate_e x) * up_e x) (MixLoRA's experts)")
        .one_of("projection|ffn")
        .in_key_when_set(),

    // --- training ---
    param("train.steps", T::Int, "400", "optimizer steps").at_least(1),
    param("train.batch_size", T::Int, "16", "sequences per step (before ReMix replication)").at_least(1),
    param("train.lr", T::Float, "3e-3", "adapter learning rate (peak)").range(0, 10),
    param("train.router_lr", T::Float, "null", "router learning rate; null = train.lr").range(0, 10),
    param("train.weight_decay", T::Float, "0.0", "AdamW weight decay").range(0, 10),
    param("train.adam_eps", T::Float, "1e-8",
          "AdamW's epsilon: gradients far below it move a weight by less than lr (1e-6 in many LLM recipes)")
        .range(1e-12, 1)
        .in_key_when_set(),
    param("train.warmup_steps", T::Int, "20", "linear warmup steps").at_least(0),
    param("train.schedule", T::Choice, "cosine", "learning-rate decay after warmup").one_of("cosine|linear|constant"),
    param("train.grad_clip", T::Float, "1.0", "gradient-norm clip (0 = off)").at_least(0),
    param("train.grad_clip_scope", T::Choice, "group",
          "group: LoRA and routers clipped each by its own norm; global: one norm over both (ReMix's noisy router "
          "gradient then throttles its experts' updates)")
        .one_of("global|group")
        .in_key_when_set(),
    param("train.samples", T::Int, "4", "M: routing samples per sequence for policy-gradient routers").at_least(1),
    param("train.estimator", T::Choice, "rloo",
          "policy-gradient estimator; rloo-shuffled: RLOO's advantages given to other sequences (a zero-signal control)")
        .one_of("rloo|reinforce|rloo-shuffled"),
    param("train.credit", T::Choice, "sequence",
          "what a routing decision is credited with: sequence = its sequence's loss (the paper's); to-go = only the "
          "losses it can change (targets at and after its position; the last block's FFN: its own position)")
        .one_of("sequence|to-go")
        .in_key_when_set(),
    // Added after trials were recorded: in the trial key only when set otherwise (their defaults do what
    // earlier trials did).
    param("train.optimizer", T::Choice, "adamw",
          "adamw, or ivon (variational online Newton: its Hessian is recorded as a precision for previews)")
        .one_of("adamw|ivon")
        .in_key_when_set(),
    param("train.precision", T::Choice, "none",
          "after training, record a diagonal precision of the trainable parameters by squared gradients (sg), for "
          "multitask previews")
        .one_of("none|sg")
        .in_key_when_set(),
    param("train.precision_examples", T::Int, "0", "training examples the sg precision sums (0 = all)")
        .at_least(0)
        .in_key_when_set(),
    param("train.ivon.ess", T::Float, "0", "IVON's effective sample size (0 = the training examples of the weighted "
                                           "tasks)")
        .at_least(0)
        .in_key_when_set(),
    param("train.ivon.hess_init", T::Float, "0.01", "IVON's initial Hessian estimate").range(1e-12, 1e6).in_key_when_set(),
    param("train.ivon.beta1", T::Float, "0.9", "IVON's momentum of the gradient").range(0, 0.999999).in_key_when_set(),
    param("train.ivon.beta2", T::Float, "0.99999", "IVON's momentum of the Hessian").range(0, 0.99999999).in_key_when_set(),
    param("train.ivon.weight_decay", T::Float, "1e-4", "IVON's weight decay δ (its prior precision per example)")
        .range(1e-12, 10)
        .in_key_when_set(),
    param("train.log_every", T::Int, "10", "steps between metric records").at_least(1).not_in_key(),
    param("train.eval_every", T::Int, "100", "steps between evaluations (0 = only at the end)").at_least(0),
    param("train.checkpoint_every", T::Int, "50", "steps between checkpoints (0 = never)").at_least(0).not_in_key(),

    // --- evaluation ---
    param("eval.batch_size", T::Int, "32", "sequences per evaluation batch").at_least(1).not_in_key(),
    param("eval.max_new_tokens", T::Int, "48", "generation budget per answer").at_least(1),
    param("eval.max_examples", T::Int, "200", "eval examples per task (0 = all)").at_least(0),
    param("eval.validation", T::Int, "0",
          "training examples per task held out as a validation split, evaluated as val/<task>/... (0 = none)")
        .at_least(0)
        .in_key_when_set(),

    // --- sweeps (docs/architecture.md §9); `sweep.parameters` is a free map ---
    param("sweep.method", T::Choice, "grid", "how sweep.parameters expand").one_of("grid|random").not_in_key(),
    param("sweep.seeds", T::IntList, "[]", "seeds every trial is run with (empty = the config's seed)")
        .at_least(0)
        .not_in_key(),
    param("sweep.samples", T::Int, "8", "trials drawn by the random method")
        .range(1, static_cast<double>(kConfigLimits.sweep_trials))
        .not_in_key(),
    param("sweep.random_seed", T::Int, "0", "seed of the random method's draws").at_least(0).not_in_key(),
    param("sweep.name", T::String, "null", "sweep name (default: experiment.name)").not_in_key(),
};

// Defaults changed after trials were recorded (newest last). Keys omit the old value, so a config that pins it keeps
// the key its trials were recorded under, and one that takes the new default gets a new key instead of silently
// reusing results computed the old way.
const std::vector<ChangedDefault> kChangedDefaults = {
    {"train.grad_clip_scope", "global", "issue 19: the router's gradient norm throttled ReMix's LoRA updates"},
};

}  // namespace

const std::vector<ParamSpec>& core_schema() { return kCore; }

const std::vector<ChangedDefault>& changed_defaults() { return kChangedDefaults; }

const char* key_neutral_value(const ParamSpec& spec) {
  for (const auto& c : kChangedDefaults)
    if (std::string(spec.name) == c.key) return c.old_value;
  return spec.default_value;
}

const ParamSpec* find_core_spec(const std::string& dotted_key) {
  for (const auto& s : kCore)
    if (dotted_key == s.name) return &s;
  return nullptr;
}

}  // namespace remix::config
