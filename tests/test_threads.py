"""Python threads sharing one stateful core object (issue 18): ``CtcBeamSearch`` and ``FeatureStream`` release
the GIL while they compute, so the object itself must serialize its calls. Every scenario runs in a child
process, so a crash (a segmentation fault) is a failed test with its exit status, not a dead test run.

The threads all feed the same chunk, so the interleaving cannot change the outcome: the shared object must end
exactly where feeding the chunks one after the other ends."""

from __future__ import annotations

import json
import subprocess
import sys

THREADS = 4

SEARCH = r"""
import json, sys, threading
import numpy as np
from pyds import decoder

threads, rounds = int(sys.argv[1]), int(sys.argv[2])
alphabet = decoder.Alphabet([chr(ord("a") + i) for i in range(26)] + [" "])
rng = np.random.default_rng(18)
logits = rng.normal(size=(24, alphabet.num_classes)).astype(np.float32) * 3
chunk = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
shared = decoder.CtcBeamSearch(alphabet, 48, num_results=3)
start = threading.Barrier(threads)
errors = []

def work():
    try:
        start.wait()
        for _ in range(rounds):
            shared.next(chunk)
            shared.decode()
            shared.frames
    except BaseException as exc:  # reported, so a failure is not a silent thread death
        errors.append(repr(exc))

pool = [threading.Thread(target=work) for _ in range(threads)]
for t in pool:
    t.start()
for t in pool:
    t.join()
alone = decoder.CtcBeamSearch(alphabet, 48, num_results=3)
for _ in range(threads * rounds):
    alone.next(chunk)
rows = lambda s: [(t.text, t.confidence, t.timesteps) for t in s.decode()]
print(json.dumps({"errors": errors, "frames": [shared.frames, alone.frames], "same": rows(shared) == rows(alone)}))
"""

FEATURES = r"""
import json, sys, threading
import numpy as np
from pyds import features

threads, rounds = int(sys.argv[1]), int(sys.argv[2])
chunk = (np.random.default_rng(18).normal(size=1234) * 3000).astype(np.int16)
shared = features.FeatureStream()
start = threading.Barrier(threads)
errors, got = [], []

def work():
    try:
        start.wait()
        mine = []
        for _ in range(rounds):
            mine.append(shared.accept(chunk))
            shared.buffered_samples
        got.extend(mine)
    except BaseException as exc:
        errors.append(repr(exc))

pool = [threading.Thread(target=work) for _ in range(threads)]
for t in pool:
    t.start()
for t in pool:
    t.join()
alone = features.FeatureStream()
expected = np.concatenate([alone.accept(chunk) for _ in range(threads * rounds)])
frames = np.concatenate(got) if got else np.zeros((0, expected.shape[1]), np.float32)
key = lambda a: sorted(row.tobytes() for row in a)
print(json.dumps({
    "errors": errors,
    "frames": [len(frames), len(expected)],
    "same": key(frames) == key(expected),  # each thread gets some of the frames; together, all of them
    "buffered": [shared.buffered_samples, alone.buffered_samples],
}))
"""


def _run(script: str, rounds: int) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", script, str(THREADS), str(rounds)], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"the child process died (exit status {done.returncode}):\n{done.stderr[-3000:]}"
    return json.loads(done.stdout)


def test_threads_share_one_beam_search():
    out = _run(SEARCH, rounds=150)
    assert out["errors"] == []
    assert out["frames"][0] == out["frames"][1] == THREADS * 150 * 24
    assert out["same"]


def test_threads_share_one_feature_stream():
    out = _run(FEATURES, rounds=300)
    assert out["errors"] == []
    assert out["frames"][0] == out["frames"][1]
    assert out["same"]
    assert out["buffered"][0] == out["buffered"][1]
