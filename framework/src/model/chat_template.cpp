// Recognising chat templates and the tokenizer that ends turns with their token (see chat_template.h).
#include "model/chat_template.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "model/gguf_file.h"
#include "model/model_path.h"
#include "remix/errors.h"

namespace remix::model {

namespace {

namespace fs = std::filesystem;

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A folder's template: chat_template.jinja (transformers ≥ 4.43 writes it there), else tokenizer_config.json's.
std::string folder_template(const fs::path& dir) {
  if (fs::exists(dir / "chat_template.jinja")) return read_text(dir / "chat_template.jinja");
  const auto config = dir / "tokenizer_config.json";
  if (!fs::exists(config)) return "";
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_text(config));
  } catch (const nlohmann::json::exception& e) {
    throw DataError(fmt::format("{}: not valid JSON: {}", config.string(), e.what()));
  }
  const auto t = j.value("chat_template", nlohmann::json());
  if (t.is_string()) return t.get<std::string>();
  if (t.is_array())  // [{"name": "default", "template": ...}, {"name": "tool_use", ...}]
    for (const auto& named : t)
      if (named.is_object() && named.value("name", "") == "default" &&
          named.value("template", nlohmann::json()).is_string())
        return named["template"].get<std::string>();
  return "";
}

// Jinja string-literal escapes as they appear in templates: \n, \', \".
std::string unescape(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      ++i;
      out += s[i] == 'n' ? '\n' : s[i];
    } else {
      out += s[i];
    }
  }
  return out;
}

// A newline inside a template's string literal: the character itself or the escape \n.
const char* const kNewline = R"((?:\n|\\n))";

ChatFormat chatml(const std::string& t) {
  ChatFormat f{"chatml", has(t, "bos_token"), "<|im_start|>user\n", "<|im_end|>\n<|im_start|>assistant\n",
               "<|im_end|>"};
  // The default system message: a literal '<|im_start|>system\n...<|im_end|>' with no expression inside.
  static const std::regex system(std::string(R"(<\|im_start\|>system)") + kNewline + R"(([^'"{}]*?)<\|im_end\|>)");
  std::smatch m;
  if (std::regex_search(t, m, system)) f.prefix = "<|im_start|>system\n" + unescape(m[1]) + "<|im_end|>\n" + f.prefix;
  return f;
}

bool trims(const std::string& t) { return has(t, "| trim") || has(t, "|trim") || has(t, ".strip()"); }

ChatFormat llama3(const std::string& t) {
  ChatFormat f{"llama3", has(t, "bos_token"), "<|start_header_id|>user<|end_header_id|>\n\n",
               "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n", "<|eot_id|>", trims(t)};
  std::smatch m;
  static const std::regex cutoff(R"(Cutting Knowledge Date: ([A-Za-z]+ [0-9]{4}))");
  if (std::regex_search(t, m, cutoff)) {
    static const std::regex fallback(R"(set date_string = ["']([^"']+)["'])");
    std::smatch d;
    const std::string date = std::regex_search(t, d, fallback) ? d[1].str() : "26 Jul 2024";
    f.prefix = fmt::format("<|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: {}\nToday Date: "
                           "{}\n\n<|eot_id|>{}",
                           m[1].str(), date, f.prefix);
  }
  return f;
}

ChatFormat inst(const std::string& t) {
  const bool spaced = has(t, "'[INST] '") || has(t, "\"[INST] \"");
  return {"inst", has(t, "bos_token"), spaced ? "[INST] " : "[INST]", spaced ? " [/INST]" : "[/INST]", "", trims(t)};
}

ChatFormat phi3(const std::string& t) {
  return {"phi3", has(t, "bos_token"), "<|user|>\n", "<|end|>\n<|assistant|>\n", "<|end|>"};
}

// The tokenizer of a chat format: BOS as the template says, the end of turn as EOS.
class ChatTokenizer : public Tokenizer {
 public:
  ChatTokenizer(std::shared_ptr<Tokenizer> base, bool bos, std::int64_t end_of_turn)
      : base_(std::move(base)), bos_(bos && base_->bos_id() >= 0), eot_(end_of_turn) {}
  std::string kind() const override { return base_->kind(); }
  std::int64_t vocab_size() const override { return base_->vocab_size(); }
  std::int64_t bos_id() const override { return base_->bos_id(); }
  std::int64_t eos_id() const override { return eot_; }
  std::int64_t pad_id() const override { return base_->pad_id(); }
  std::vector<std::int64_t> encode(const std::string& text, bool bos, bool eos) const override {
    std::vector<std::int64_t> ids;
    if (bos && bos_) ids.push_back(base_->bos_id());
    auto body = base_->encode(text, false, false);
    ids.insert(ids.end(), body.begin(), body.end());
    if (eos) ids.push_back(eot_);
    return ids;
  }
  std::string decode(const std::vector<std::int64_t>& ids) const override {
    std::vector<std::int64_t> kept;
    for (auto id : ids)
      if (id != eot_) kept.push_back(id);
    return base_->decode(kept);
  }

 private:
  std::shared_ptr<Tokenizer> base_;
  bool bos_;
  std::int64_t eot_;
};

}  // namespace

std::string ChatFormat::prompt(const std::string& user) const {
  if (!trim) return prefix + user + suffix;
  const auto first = user.find_first_not_of(" \t\n\r"), last = user.find_last_not_of(" \t\n\r");
  return prefix + (first == std::string::npos ? "" : user.substr(first, last - first + 1)) + suffix;
}

std::string read_chat_template(const std::string& model_path) {
  switch (model_path_kind(model_path)) {
    case ModelPathKind::Gguf: {
      GgufFile file(model_path);
      return file.find("tokenizer.chat_template") ? file.get_string("tokenizer.chat_template") : "";
    }
    case ModelPathKind::HfFolder: return folder_template(model_path);
    case ModelPathKind::TokenizerJson: return folder_template(fs::path(model_path).parent_path());
  }
  return "";
}

ChatFormat recognize_chat_template(const std::string& t, const std::string& where) {
  auto refuse = [&](const std::string& why) {
    return ConfigError(
        fmt::format("{}: {}; use base.prompt_format: plain (prompts as the tasks write them)", where, why));
  };
  if (t.empty()) throw refuse("the model has no chat template");
  if (has(t, "<think>") || has(t, "enable_thinking"))
    throw refuse("a template with a thinking mode is not one remix reproduces");
  if (has(t, "for tool in tools") && !has(t, "if tools") && !has(t, "tools is not none") && !has(t, "tools is defined"))
    throw refuse("a template that needs a list of tools (a tool-use template) is not one remix reproduces");
  if (has(t, "default_system_message") || has(t, "set system_prompt") || has(t, "recipient"))
    throw refuse("a template that writes a default system prompt of its own is not one remix reproduces");
  if (has(t, "<|im_start|>")) return chatml(t);
  if (has(t, "<|start_header_id|>")) {
    if (has(t, "Cutting Knowledge Date") && !has(t, "Today Date: "))
      throw refuse("a Llama-3 template with a system block other than Llama 3.1's is not one remix reproduces");
    return llama3(t);
  }
  if (has(t, "[INST]")) return inst(t);
  if (has(t, "<|user|>") && has(t, "<|assistant|>")) return phi3(t);
  throw refuse(fmt::format("not a template of a family remix knows (chatml, llama3, inst, phi3): it begins '{}'",
                           t.substr(0, 60)));
}

std::shared_ptr<Tokenizer> chat_tokenizer(std::shared_ptr<Tokenizer> base, const ChatFormat& format,
                                          const std::string& where) {
  std::int64_t eot = base->eos_id();
  if (!format.end_of_turn.empty()) {
    auto ids = base->encode(format.end_of_turn, false, false);
    if (ids.size() != 1)
      throw ConfigError(fmt::format("{}: the {} template ends a turn with {}, which this tokenizer does not have as "
                                    "one token",
                                    where, format.family, format.end_of_turn));
    eot = ids[0];
  }
  if (eot < 0) throw ConfigError(fmt::format("{}: the tokenizer has no EOS to end the assistant's turn", where));
  return std::make_shared<ChatTokenizer>(std::move(base), format.bos, eot);
}

}  // namespace remix::model
