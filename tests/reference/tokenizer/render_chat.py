#!/usr/bin/python3
"""tests/reference/tokenizer/render_chat.py: renders the chat-template fixtures with Debian's
python3-jinja2, set up exactly as transformers' apply_chat_template does (transformers
utils/chat_template_utils.py, _compile_jinja_template and render_jinja_template):
ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True) with the loopcontrols
extension, a tojson filter that neither sorts keys nor escapes HTML, raise_exception, and
strftime_now (fixed here to 15 Jan 2025 so the fixtures do not change with the date); the
template gets messages, tools=None, documents=None, add_generation_prompt, the tokenizer's
special tokens (special_tokens_map) and any extra kwargs (date_string, enable_thinking).

    /usr/bin/python3 tests/reference/tokenizer/render_chat.py

Writes tests/data/tokenizers/chat/<tokenizer dir>.jsonl and chat/plain.jsonl (plain templates
with {question}, filled with Python's str.format as a YAML prompt template is)."""
import json
import os
from datetime import datetime

import jinja2
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "../../data/tokenizers"))
FIXED_NOW = datetime(2025, 1, 15, 9, 30)
TEMPLATES = ["qwen2.5-0.5b-instruct", "qwen2.5-math-1.5b", "qwen3-4b", "llama-3.2-3b-instruct",
             "deepseek-r1-distill-qwen-32b"]

R1_ZERO = ("A conversation between User and Assistant. The user asks a question, and the Assistant "
           "solves it. The assistant first thinks about the reasoning process in the mind and then "
           "provides the user with the answer. The reasoning process and answer are enclosed within "
           "<think> </think> and <answer> </answer> tags, respectively, i.e., <think> reasoning "
           "process here </think> <answer> answer here </answer>. User: {question}. Assistant:")


def make_env():
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators,
                          sort_keys=sort_keys)

    def strftime_now(fmt):
        return FIXED_NOW.strftime(fmt)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def special_tokens_map(cfg):
    out = {}
    for k in ("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token",
              "mask_token"):
        v = cfg.get(k)
        if isinstance(v, dict):
            v = v.get("content")
        if isinstance(v, str):
            out[k] = v
    if cfg.get("additional_special_tokens"):
        out["additional_special_tokens"] = cfg["additional_special_tokens"]
    return out


def M(role, content):
    return {"role": role, "content": content}


THINK = "<think>\nFirst, 12 * 3 = 36.\nThen 36 + 6 = 42.\n</think>\n\nThe answer is \\boxed{42}."
CONVERSATIONS = [
    [M("user", "What is 6 * 7?")],
    [M("system", "You are a careful math tutor."), M("user", "What is 6 * 7?")],
    [M("user", "Solve x + 3 = 5."), M("assistant", "x = 2."), M("user", "And x + 4 = 5?")],
    [M("system", "Be brief."), M("user", "Hi"), M("assistant", "Hello! How can I help?"),
     M("user", "Compute 12 * 3 + 6.")],
    [M("user", "Compute 12 * 3 + 6."), M("assistant", THINK)],
    [M("user", "Compute 12 * 3 + 6."), M("assistant", THINK), M("user", "Now double it.")],
    [M("user", "Q1"), M("assistant", "<think>a</think>A1"), M("user", "Q2"),
     M("assistant", "<think>\n\nb\n\n</think>\n\nA2"), M("assistant", "no think here")],
    [M("user", "   padded with spaces \n\t"), M("assistant", "  answer with spaces  ")],
    [M("system", "  System with spaces.\n"), M("user", "\u00a0nbsp\u3000ideographic\u2003")],
    [M("user", "日本語の質問です。答えは？"), M("assistant", "答えは42です。🙂")],
    [M("user", "Braces {question} and {{double}} and \\boxed{}")],
    [M("system", "first system"), M("user", "u1"), M("system", "second system"), M("user", "u2")],
    [M("user", "a</think>b</think>c"), M("assistant", "x</think>y</think>z")],
    [M("user", "")],
    [M("assistant", "Only an assistant turn.")],
    [M("user", "Call the tool."), M("assistant", "Calling."), M("tool", "{\"result\": 42}"),
     M("tool", "line\nwith \"quotes\" and \\ backslash\tand tab"), M("user", "Thanks")],
    [M("user", "<tool_response>x</tool_response>"), M("assistant", "<think>r</think>ok")],
    [M("user", "Q"), M("tool", "only tool after user")],
    [M("system", "sys"), M("user", "multi\nline\n\nquestion"),
     M("assistant", "<think>\nreason\n</think>\nanswer"), M("user", "follow-up"),
     M("assistant", "<think>more</think>final")],
]


def main():
    env = make_env()
    os.makedirs(os.path.join(ROOT, "chat"), exist_ok=True)
    for name in TEMPLATES:
        with open(os.path.join(ROOT, name, "tokenizer_config.json"), encoding="utf-8") as f:
            cfg = json.load(f)
        tmpl = env.from_string(cfg["chat_template"])
        lines = []
        for conv in CONVERSATIONS:
            variants = [{"add_generation_prompt": False}, {"add_generation_prompt": True}]
            if name.startswith("llama"):
                variants.append({"add_generation_prompt": True, "date_string": "01 Feb 2025"})
            if name.startswith("qwen3"):
                variants.append({"add_generation_prompt": True, "enable_thinking": False})
                variants.append({"add_generation_prompt": True, "enable_thinking": True})
            for v in variants:
                if name.startswith("llama") and conv[0]["role"] == "tool":
                    continue
                kwargs = dict(special_tokens_map(cfg))
                kwargs.update(v)
                text = tmpl.render(messages=conv, tools=None, documents=None, **kwargs)
                rec = {"messages": conv, **v, "text": text}
                if name.startswith("llama") and "date_string" not in v:
                    rec["strftime_now"] = FIXED_NOW.strftime("%d %b %Y")
                lines.append(json.dumps(rec, ensure_ascii=False))
        with open(os.path.join(ROOT, "chat", name + ".jsonl"), "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        print(f"{name}: {len(lines)} renderings")
    plain = []
    templates = [R1_ZERO, "Question: {question}\nAnswer:",
                 "{question}\nPlease reason step by step, and put your final answer within \\boxed{{}}.",
                 "Solve: {question} {{literal braces}} done"]
    questions = ["What is 6 * 7?", "Braces {x} inside", "日本語", "", "multi\nline"]
    for t in templates:
        for q in questions:
            plain.append(json.dumps({"template": t, "question": q, "text": t.format(question=q)},
                                    ensure_ascii=False))
    with open(os.path.join(ROOT, "chat", "plain.jsonl"), "w", encoding="utf-8") as f:
        f.write("\n".join(plain) + "\n")
    print(f"plain: {len(plain)} renderings")


if __name__ == "__main__":
    main()
