"""The reference remix's chat prompts are checked against: transformers renders chat templates with its own Jinja
environment (the one apply_chat_template uses), for a user message alone with the generation prompt, and for the
user message followed by the assistant's answer.

usage: reference_chat.py REQUEST.json OUT.json
REQUEST.json: {"templates": {name: template}, "prompts": [text, ...], "answer": text,
               "bos_token": text, "eos_token": text, "date_string": text}
               "model_dir": DIR (optional)}
OUT.json: {name: {"prompt": [rendered, ...], "exchange": [rendered, ...]}} or {name: {"error": message}}, and with
model_dir "ids": [[token ids of the prompt with the generation prompt, as apply_chat_template tokenizes it], ...]
"""
import json
import sys

from transformers.utils.chat_template_utils import render_jinja_template


def main():
    request = json.load(open(sys.argv[1]))
    specials = {k: request[k] for k in ("bos_token", "eos_token", "date_string")}
    out = {}
    for name, template in request["templates"].items():
        try:
            prompts, exchanges = [], []
            for text in request["prompts"]:
                user = [{"role": "user", "content": text}]
                prompts.append(render_jinja_template([user], chat_template=template, add_generation_prompt=True,
                                                     **specials)[0][0])
                both = user + [{"role": "assistant", "content": request["answer"]}]
                exchanges.append(render_jinja_template([both], chat_template=template, **specials)[0][0])
            out[name] = {"prompt": prompts, "exchange": exchanges}
        except Exception as e:  # a template that cannot render a plain exchange
            out[name] = {"error": str(e)}
    if "model_dir" in request:
        from transformers import AutoTokenizer
        tokenizer = AutoTokenizer.from_pretrained(request["model_dir"])
        out["ids"] = [tokenizer.apply_chat_template([{"role": "user", "content": text}], add_generation_prompt=True)
                      for text in request["prompts"]]
    json.dump(out, open(sys.argv[2], "w"))


if __name__ == "__main__":
    main()
