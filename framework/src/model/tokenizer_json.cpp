// Reading tokenizer.json (see tokenizer_json.h).
#include "model/tokenizer_json.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "remix/errors.h"

namespace remix::model {

namespace {

using json = nlohmann::json;

json read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw DataError(fmt::format("{}: cannot read the tokenizer file", path));
  try {
    return json::parse(in);
  } catch (const json::exception& e) {
    throw DataError(fmt::format("{}: not valid JSON: {}", path, e.what()));
  }
}

std::string type_of(const json& j) { return j.is_object() ? j.value("type", std::string("?")) : std::string("?"); }

// Each component of a Sequence (or the component itself).
std::vector<json> parts(const json& j, const char* list_key) {
  if (j.is_null()) return {};
  if (type_of(j) == "Sequence") return j.at(list_key).get<std::vector<json>>();
  return {j};
}

class Reader {
 public:
  Reader(const std::string& path, TokenizerPipeline& p) : path_(path), p_(p) {}

  DataError unsupported(const std::string& what, const json& j) const {
    auto text = j.dump();
    if (text.size() > 160) text = text.substr(0, 160) + "...";
    return DataError(fmt::format("{}: {} is not supported by remix: {}", path_, what, text));
  }

  void model(const json& m) {
    if (type_of(m) != "BPE") throw unsupported("the model (remix runs BPE)", m);
    for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"})
      if (m.contains(key) && !m[key].is_null() && m[key] != "") throw unsupported(fmt::format("model.{}", key), m[key]);
    if (m.contains("dropout") && !m["dropout"].is_null() && m["dropout"].get<double>() != 0.0)
      throw unsupported("model.dropout", m["dropout"]);
    std::vector<std::string> pieces;
    for (const auto& [piece, id] : m.at("vocab").items()) {
      const auto i = id.get<std::int64_t>();
      if (i < 0 || i > (1 << 24)) throw DataError(fmt::format("{}: vocab id {} of '{}' is out of range", path_, i, piece));
      if (static_cast<std::size_t>(i) >= pieces.size()) pieces.resize(static_cast<std::size_t>(i) + 1);
      pieces[static_cast<std::size_t>(i)] = piece;
    }
    std::vector<std::pair<std::string, std::string>> merges;
    for (const auto& mg : m.at("merges")) {
      if (mg.is_array() && mg.size() == 2) {
        merges.emplace_back(mg[0].get<std::string>(), mg[1].get<std::string>());
      } else if (mg.is_string()) {
        const auto s = mg.get<std::string>();
        const auto space = s.find(' ', 1);
        if (space == std::string::npos) throw unsupported("a merge without a space", mg);
        merges.emplace_back(s.substr(0, space), s.substr(space + 1));
      } else {
        throw unsupported("a merge", mg);
      }
    }
    p_.bpe = BpeModel(std::move(pieces), BpeModel::Order::MergeRanks, {}, merges, path_);
    p_.bpe.byte_fallback = m.value("byte_fallback", false);
    p_.bpe.ignore_merges = m.value("ignore_merges", false);
    if (m.contains("unk_token") && m["unk_token"].is_string())
      p_.bpe.unk_id = p_.bpe.id_of(m["unk_token"].get<std::string>()).value_or(-1);
  }

  void normalizer(const json& n) {
    for (const auto& part : parts(n, "normalizers")) {
      const auto t = type_of(part);
      if (t == "NFC") {
        p_.nfc = true;
      } else if (t == "Prepend" && part.value("prepend", "") == kMetaspace) {
        p_.prepend_metaspace = true;
      } else if (t == "Replace" && part.value("content", "") == kMetaspace &&
                 part.at("pattern").value("String", "") == " ") {
        p_.spaces_to_metaspace = true;
      } else {
        throw unsupported("the normalizer", part);
      }
    }
  }

  void pre_tokenizer(const json& pre) {
    for (const auto& part : parts(pre, "pretokenizers")) {
      const auto t = type_of(part);
      if (t == "ByteLevel") {
        p_.byte_level = true;
        p_.byte_level_prefix_space = part.value("add_prefix_space", false);
        if (part.value("use_regex", true)) p_.splits.push_back(SplitPattern::Gpt2);
      } else if (t == "Split") {
        const auto regex = part.at("pattern").value("Regex", "");
        auto pattern = split_pattern_of_regex(regex);
        if (!pattern || part.value("behavior", "") != "Isolated" || part.value("invert", false))
          throw unsupported("the Split pre-tokenizer (remix knows the GPT-2, Llama-3 and Qwen2 patterns, Isolated)",
                            part);
        p_.splits.push_back(*pattern);
      } else if (t == "Digits" && part.value("individual_digits", false)) {
        p_.splits.push_back(SplitPattern::Digits);
      } else if (t == "Metaspace" && part.value("replacement", "") == kMetaspace && !part.value("split", false)) {
        const auto scheme = part.value("prepend_scheme", part.value("add_prefix_space", true) ? "always" : "never");
        p_.spaces_to_metaspace = true;
        p_.prepend_metaspace = scheme != "never";
        p_.prepend_only_first = scheme == "first";
        p_.prepend_unless_present = true;
      } else {
        throw unsupported("the pre-tokenizer", part);
      }
    }
  }

  void decoder(const json& d) {
    for (const auto& part : parts(d, "decoders")) {
      const auto t = type_of(part);
      if (t == "ByteLevel" || t == "ByteFallback" || t == "Fuse") continue;  // decode() does these
      if (t == "Replace" && part.at("pattern").value("String", "") == kMetaspace && part.value("content", "") == " ")
        continue;
      if (t == "Strip" && part.value("content", "") == " " && part.value("stop", 0) == 0) {
        p_.strip_leading_spaces = part.value("start", 0);
        continue;
      }
      if (t == "Metaspace") {
        p_.strip_leading_spaces = part.value("prepend_scheme", "always") != "never" ? 1 : 0;
        continue;
      }
      throw unsupported("the decoder", part);
    }
  }

  void added_tokens(const json& list) {
    for (const auto& a : list) {
      AddedToken t;
      t.content = a.at("content").get<std::string>();
      t.id = a.at("id").get<std::int64_t>();
      t.special = a.value("special", false);
      t.lstrip = a.value("lstrip", false);
      t.rstrip = a.value("rstrip", false);
      if (t.id < 0 || t.id > (1 << 24)) throw unsupported("an added token id", a);
      p_.added.push_back(t);
    }
  }

 private:
  std::string path_;
  TokenizerPipeline& p_;
};

// "bos_token": "<s>" or {"content": "<s>", ...} -> its id.
std::int64_t special_id(const json& config, const char* key, const TokenizerPipeline& p) {
  if (!config.contains(key) || config[key].is_null()) return -1;
  const auto& v = config[key];
  const auto text = v.is_string() ? v.get<std::string>() : v.value("content", std::string());
  for (const auto& a : p.added)
    if (a.content == text) return a.id;
  return p.bpe.id_of(text).value_or(-1);
}

}  // namespace

std::shared_ptr<PipelineTokenizer> load_tokenizer_json(const std::string& path) {
  const auto j = read_json(path);
  TokenizerPipeline p;
  p.source = path;
  p.kind = "hf";
  Reader r(path, p);
  try {
    r.model(j.at("model"));
    r.normalizer(j.value("normalizer", json()));
    r.pre_tokenizer(j.value("pre_tokenizer", json()));
    r.decoder(j.value("decoder", json()));
    r.added_tokens(j.value("added_tokens", json::array()));
  } catch (const json::exception& e) {
    throw DataError(fmt::format("{}: malformed tokenizer: {}", path, e.what()));
  }
  const auto config_path = (std::filesystem::path(path).parent_path() / "tokenizer_config.json").string();
  if (std::filesystem::exists(config_path)) {
    const auto config = read_json(config_path);
    try {
      p.bos = special_id(config, "bos_token", p);
      p.eos = special_id(config, "eos_token", p);
      p.pad = special_id(config, "pad_token", p);
      p.add_bos = config.value("add_bos_token", false) && p.bos >= 0;
    } catch (const json::exception& e) {
      throw DataError(fmt::format("{}: a special token or add_bos_token has the wrong type: {}", config_path, e.what()));
    }
  }
  return std::make_shared<PipelineTokenizer>(std::move(p));
}

}  // namespace remix::model
