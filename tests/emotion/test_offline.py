"""The neural engine loads and reads with torch unimportable and no network."""

from __future__ import annotations

import json
import os
import subprocess
import sys

SCRIPT = """
import json, socket, sys
sys.modules["torch"] = None  # any `import torch` now raises ImportError

def no_network(*a, **k):
    raise OSError("network disabled in this test")

socket.socket.connect = no_network
socket.create_connection = no_network
from heartline.emotion import get_engine
eng = get_engine("neural")
r = eng.analyze_many(["This is the worst service ever"])[0]
print(json.dumps({"model": r.model, "sentiment": r.sentiment,
                  "torch": sys.modules.get("torch") is not None,
                  "transformers": "transformers" in sys.modules}))
"""


def test_runs_without_torch_and_network() -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    env.pop("HEARTLINE_EMOTION_ENGINE", None)
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res["model"].startswith("heartline-minilm-int8@")
    assert res["sentiment"] == "negative"
    assert not res["torch"] and not res["transformers"]
