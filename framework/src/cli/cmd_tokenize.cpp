// `remix tokenize --model PATH [--ids-only] [--with-special] TEXT...`: each TEXT as the model's tokenizer splits it,
// one line per text: the ids, then (without --ids-only) each id's piece. PATH is a model folder, a .gguf file or a
// tokenizer.json. BOS (where the model adds one) and EOS only with --with-special. How a researcher checks that
// remix tokenizes their model's text as the model expects, against any other implementation.
#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join (fmt 11 keeps it here)

#include "cli/commands.h"
#include "model/model_path.h"
#include "model/unicode_text.h"

namespace remix::cli {

namespace {

struct TokenizeOptions {
  std::string model;
  bool ids_only = false, with_special = false;
  std::vector<std::string> texts;
};

// A piece made readable on one line: control characters, the separator and bytes that are not whole UTF-8
// characters (one token of a multi-byte character) escaped.
std::string printable(const std::string& piece) {
  std::string out;
  for (const auto& cp : model::decode_utf8(piece)) {
    if (cp.value == 0xFFFD && cp.size == 1) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(piece[cp.begin]));
      continue;
    }
    if (cp.size > 1) {
      out += piece.substr(cp.begin, cp.size);
      continue;
    }
    const auto c = static_cast<unsigned char>(piece[cp.begin]);
    if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c == '\r') out += "\\r";
    else if (c == '|') out += "\\|";
    else if (c < 0x20 || c == 0x7f) out += fmt::format("\\x{:02x}", c);
    else out += static_cast<char>(c);
  }
  return out;
}

int tokenize(const TokenizeOptions& o) {
  auto tokenizer = model::load_tokenizer_from(o.model);
  for (const auto& text : o.texts) {
    auto ids = tokenizer->encode(text, o.with_special, o.with_special);
    fmt::print("{}\n", fmt::join(ids, " "));
    if (!o.ids_only) {
      std::vector<std::string> pieces;
      for (auto id : ids) pieces.push_back(printable(tokenizer->decode({id}).empty() ? tokenizer->piece(id)
                                                                                     : tokenizer->decode({id})));
      fmt::print("  {}\n", fmt::join(pieces, "|"));
    }
  }
  return 0;
}

}  // namespace

void add_tokenize_command(CLI::App& app, const GlobalOptions&, Action& action) {
  auto o = std::make_shared<TokenizeOptions>();
  auto* cmd = app.add_subcommand("tokenize", "print the token ids (and pieces) a model's tokenizer gives each TEXT");
  cmd->add_option("--model", o->model, "a model folder, a .gguf file or a tokenizer.json")->required();
  cmd->add_flag("--ids-only", o->ids_only, "print only the ids");
  cmd->add_flag("--with-special", o->with_special, "add BOS (where the model does) and EOS");
  cmd->add_option("texts", o->texts, "the texts")->required();
  cmd->callback([o, &action] { action = [o] { return tokenize(*o); }; });
}

}  // namespace remix::cli
