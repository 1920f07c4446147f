"""Scorer speed: open time (cold: the file's pages are evicted first) and LM query throughput, pyds vs the
`kenlm` package on the same model. Usage: python benchmarks/bench_scorer.py [SCORER] [ALPHABET]"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
from pathlib import Path

import kenlm

from pyds import _core

SHARED = Path(os.environ.get("PYDS_SHARED", Path(__file__).resolve().parents[2] / "shared"))
LOG10_TO_LN = 0.4342944819


def evict(path: str) -> None:
    """Drop the file's pages from the page cache so the next open is cold."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def kenlm_cond_prob(model, words: list[str], bos: bool) -> float:
    state, out = kenlm.State(), kenlm.State()
    (model.BeginSentenceWrite if bos else model.NullContextWrite)(state)
    prob = 0.0
    for w in words:
        if w not in model:
            return -1000.0
        prob = model.BaseScore(state, w, out)
        state, out = out, state
    return prob / LOG10_TO_LN


def main() -> None:
    scorer_path = sys.argv[1] if len(sys.argv) > 1 else str(SHARED / "golden/decoder/pruned_lm.scorer")
    alphabet_path = sys.argv[2] if len(sys.argv) > 2 else str(SHARED / "golden/decoder/alphabet.txt")
    alphabet = _core.Alphabet.from_file(alphabet_path)
    _core.Scorer(str(SHARED / "golden/decoder/pruned_lm.bytes.scorer"), _core.Alphabet.utf8())  # warm the code
    evict(scorer_path)
    t0 = time.perf_counter()
    scorer = _core.Scorer(scorer_path, alphabet)
    open_ms = 1e3 * (time.perf_counter() - t0)

    data = Path(scorer_path).read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        lm = Path(tmp) / "lm.binary"
        lm.write_bytes(data[: data.find(b"EIRT\x06\x00\x00\x00")])
        evict(str(lm))
        t0 = time.perf_counter()
        model = kenlm.Model(str(lm))
        kenlm_open_ms = 1e3 * (time.perf_counter() - t0)

        words = ["the", "of", "and", "to", "a", "in", "that", "was", "he", "it", "his", "is", "with", "for"]
        rng = random.Random(0)
        queries = [[rng.choice(words) for _ in range(rng.randint(1, scorer.max_order))] for _ in range(20000)]
        t0 = time.perf_counter()
        ours = [scorer.log_cond_prob(q, bos=len(q) < scorer.max_order) for q in queries]
        ours_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        ref = [kenlm_cond_prob(model, q, len(q) < scorer.max_order) for q in queries]
        ref_s = time.perf_counter() - t0
    worst = max(abs(a - b) for a, b in zip(ours, ref))
    size = len(data) / 1e6
    print(f"{'':10} {'open ms':>9} {'queries/s':>11}   model {scorer_path} ({size:.1f} MB)")
    print(f"{'pyds':10} {open_ms:9.2f} {len(queries) / ours_s:11.0f}")
    print(f"{'kenlm':10} {kenlm_open_ms:9.2f} {len(queries) / ref_s:11.0f}   max |diff| {worst:.2e} (ln)")
    print("(both timed through Python; the query rate includes the per-call binding overhead)")


if __name__ == "__main__":
    main()
