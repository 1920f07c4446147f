"""DeepSpeech's own decoder package (ds_ctcdecoder==0.9.3) as an oracle; runs in its Python 3.9 venv.

Usage (tests/references.py calls it): ``python ds_oracle.py JOB.json OUT.json`` where the job is
- ``{"op": "check", "scorer", "alphabet" (path or "utf8")}``: DeepSpeech's Scorer reads the .scorer (its header,
  KenLM binary and vocabulary trie) and reports its order and mode; it raises on a file DeepSpeech rejects;
- ``{"op": "decode", "cases": [{"id", "probs" (.npy path), "alphabet", "beam_size", "cutoff_prob",
  "cutoff_top_n", "scorer", "alpha", "beta", "hot_words", "num_results"}]}``: ctc_beam_search_decoder's results.
Only numpy and ds_ctcdecoder are imported: this file must stay Python 3.9 compatible and free of pyds.
"""

import json
import sys

import numpy as np
from ds_ctcdecoder import Alphabet, Scorer, UTF8Alphabet, swigwrapper


def _alphabet(spec):
    return UTF8Alphabet() if spec == "utf8" else Alphabet(spec)


def check(job):
    """DeepSpeech's own reader loads a .scorer (header, KenLM binary, trie) and reports what it read."""
    scorer = Scorer(1.0, 1.0, job["scorer"], _alphabet(job["alphabet"]))
    return {"max_order": scorer.get_max_order(), "utf8_mode": bool(scorer.is_utf8_mode())}


def decode(job):
    out = {}
    scorers = {}
    for case in job["cases"]:
        alphabet = _alphabet(case["alphabet"])
        scorer = None
        if case["scorer"]:
            key = (case["scorer"], case["alphabet"])
            if key not in scorers:
                scorers[key] = Scorer(1.0, 1.0, case["scorer"], alphabet)
            scorer = scorers[key]
            scorer.reset_params(*case["alpha_beta_used"])
        probs = np.load(case["probs"]).astype(np.float64)
        hot_words = {w.encode("utf-8"): float(boost) for w, boost in case["hot_words"].items()}
        results = swigwrapper.ctc_beam_search_decoder(
            probs,
            alphabet,
            case["beam_size"],
            case["cutoff_prob"],
            case["cutoff_top_n"],
            scorer,
            hot_words,
            case["num_results"],
        )
        out[case["id"]] = [
            {
                "confidence": r.confidence,
                "labels": [int(t) for t in r.tokens],
                "timesteps": [int(t) for t in r.timesteps],
            }
            for r in results
        ]
    return out


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as f:
        job = json.load(f)
    result = {"check": check, "decode": decode}[job["op"]](job)
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        json.dump(result, f)
