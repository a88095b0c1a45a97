"""Reference token ids from Hugging Face tokenizers (the Rust `tokenizers` library behind transformers' fast
tokenizers) for remix's tokenizer.json reader to reproduce.

usage: reference_tokenize.py OUT_DIR VOCAB_DIR SMOLLM2_HF_DIR [SHARED_DIR]

Tokenizers: SmolLM2's tokenizer.json; transformers' conversions of llama.cpp's GGUF vocabularies (Llama-3 BPE,
Qwen2, Llama-2 SentencePiece, GPT-2) saved as tokenizer.json files under OUT_DIR; GPT-2's own tokenizer.json from
SHARED_DIR. Corpus: llama.cpp's tokenizer test strings (Unicode, whitespace runs, emoji, code), a few more, and the
prompts and answers of the first records of each benchmark in SHARED_DIR/datasets.
Writes OUT_DIR/reference.json: {"corpus": [...], "tokenizers": [{"name", "path", "ids": [[...], ...]}]}.
"""
import glob
import json
import os
import sys

from transformers import AutoTokenizer


def corpus(vocab_dir, shared):
    sep = "\n__ggml_vocab_test__\n"
    texts = open(os.path.join(vocab_dir, "ggml-vocab-llama-bpe.gguf.inp"), encoding="utf-8").read().split(sep)[:-1]
    texts += ["def f(x):\n\treturn x ** 2  # square\n\n\n", "    indented\r\n\r\nlines", "1234567890 3.14159 -42",
              "naïve café Straße ΑΒΓ русский 中文 日本語 한국어 🙂👍🏽", "I'm you're we'LL THEY'VE", "tabs\t\tand\u00a0nbsp",
              "trailing space ", " leading", ""]
    if shared:
        for path in sorted(glob.glob(os.path.join(shared, "datasets", "*", "*.jsonl")))[:12]:
            with open(path, encoding="utf-8") as f:
                for _, line in zip(range(8), f):
                    record = json.loads(line)
                    texts += [v for v in record.values() if isinstance(v, str)][:4]
    return texts


def main():
    out_dir, vocab_dir, smollm2_hf = sys.argv[1:4]
    shared = sys.argv[4] if len(sys.argv) > 4 else None
    texts = corpus(vocab_dir, shared)
    paths = {"smollm2": os.path.join(smollm2_hf, "tokenizer.json")}
    for name in ["llama-bpe", "qwen2", "llama-spm", "gpt-2"]:
        target = os.path.join(out_dir, name)
        tok = AutoTokenizer.from_pretrained(vocab_dir, gguf_file=f"ggml-vocab-{name}.gguf")
        tok.save_pretrained(target)
        for extra in ["tokenizer.model"]:  # transformers copies the GGUF here; remix reads tokenizer.json only
            if os.path.exists(os.path.join(target, extra)):
                os.remove(os.path.join(target, extra))
        paths[f"{name} (transformers' conversion)"] = os.path.join(target, "tokenizer.json")
    if shared and os.path.exists(os.path.join(shared, "models", "gpt2-tokenizer", "tokenizer.json")):
        paths["gpt2 (tokenizer.json)"] = os.path.join(shared, "models", "gpt2-tokenizer", "tokenizer.json")
    from tokenizers import Tokenizer
    result = {"corpus": texts, "tokenizers": []}
    for name, path in paths.items():
        tok = Tokenizer.from_file(path)
        ids = [tok.encode(t, add_special_tokens=False).ids for t in texts]
        result["tokenizers"].append({"name": name, "path": path, "ids": ids})
    with open(os.path.join(out_dir, "reference.json"), "w", encoding="utf-8") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
