"""Fuzzing the scorer readers with a seeded random mutator: truncations, byte flips, corrupted size fields and
insertions over real and synthetic scorers (KenLM trie, quantized trie, probing, ARPA). Every mutant must
either load and answer queries, or raise InvalidScorerError: never crash, hang or read out of bounds (run this
file under ASan to check the last point; see the report in the scorer branch).

The CI run is short (2000 mutants). Set PYDS_FUZZ_ITERATIONS (e.g. 100000) to run the long, opt-in test.
"""

from __future__ import annotations

import os
import random
import struct
import subprocess
from pathlib import Path

import pytest
import references
from conftest import generated
from test_scorer import BINARY_KINDS, write_arpa

from pyds import _core
from pyds.errors import InvalidScorerError

QUERY_WORDS = ["the", "of", "and", "a", "<s>", "</s>", "i", "was", "xyzzy", "e", "t"]


def _fields(data: bytes) -> list[tuple[int, int]]:
    """(offset, width) of the size/offset fields worth corrupting: KenLM header and counts, vocabulary size,
    scorer header, FST header and the first states."""
    fields = [(0x58, 1), (0x5C, 4), (0x60, 4), (0x64, 1), (0x68, 4)]
    order = data[0x58] if len(data) > 0x58 else 0
    fields += [(0x6C + 8 * i, 8) for i in range(min(order, 8))]
    header = (0x6C + 8 * order + 7) & ~7
    fields += [(header, 8), (header + 4, 4)]
    t = data.find(b"EIRT\x06\x00\x00\x00")
    if t > 0:
        fields += [(t + 4, 4), (t + 8, 1), (t + 9, 8), (t + 17, 8)]
        fst = t + 25
        after_types = fst + 4 + 4 + 5 + 4 + 8
        fields += [
            (fst + 4, 4),
            (fst + 13, 4),
            (after_types, 4),
            (after_types + 4, 4),
            (after_types + 8, 8),
            (after_types + 16, 8),
            (after_types + 24, 8),
            (after_types + 32, 8),
        ]
        states = (after_types + 40 + 15) & ~15
        fields += [(states + 20 * i + j, 4) for i in range(4) for j in (0, 4, 8)]
    return [(o, w) for o, w in fields if o + w <= len(data)]


def mutate(rng: random.Random, data: bytes, fields: list[tuple[int, int]]) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        kind = rng.random()
        if kind < 0.2 and out:
            cut = rng.choice([rng.randrange(len(out)), rng.randrange(max(1, len(out) - 64), len(out) + 1)])
            del out[cut:]
        elif kind < 0.55 and out:
            hot = [o for o, _ in fields] or [0]
            for _ in range(rng.randint(1, 8)):
                base = rng.choice(hot) if rng.random() < 0.5 else rng.randrange(len(out))
                pos = min(len(out) - 1, max(0, base + rng.randint(-8, 8)))
                out[pos] = rng.randrange(256)
        elif kind < 0.9 and fields:
            offset, width = rng.choice(fields)
            if offset + width > len(out):
                continue
            old = int.from_bytes(out[offset : offset + width], "little")
            choice = rng.random()
            if choice < 0.25:
                new = rng.choice([0, 1, 2, (1 << (8 * width)) - 1, 1 << (8 * width - 1)])
            elif choice < 0.6:
                new = old + rng.randint(-3, 3)
            else:
                new = rng.getrandbits(8 * width)
            out[offset : offset + width] = (new % (1 << (8 * width))).to_bytes(width, "little")
        elif out:
            pos = rng.randrange(len(out))
            out[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
    return bytes(out)


def exercise(scorer, alphabet: _core.Alphabet, rng: random.Random) -> None:
    """Use a loaded mutant: LM queries and bounded trie walks."""
    for _ in range(6):
        words = [rng.choice(QUERY_WORDS) for _ in range(rng.randint(1, 5))]
        scorer.log_cond_prob(words, bos=rng.random() < 0.5, eos=rng.random() < 0.5)
    frontier, seen = [scorer.trie_start], 0
    while frontier and seen < 200:
        state = frontier.pop()
        seen += 1
        scorer.trie_is_final(state)
        for label in rng.sample(range(len(alphabet)), min(len(alphabet), 12)):
            nxt = scorer.trie_next(state, label)
            if nxt is not None:
                frontier.append(nxt)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> list[tuple[str, bytes, _core.Alphabet]]:
    english = _core.Alphabet.from_file(str(generated(references.english_alphabet)))
    d = tmp_path_factory.mktemp("fuzz-seeds")
    arpa = d / "lm.arpa"
    write_arpa(arpa, 3, seed=5, vocab_size=25, n_sentences=20)
    probing = d / "probing.scorer"
    _core.write_scorer_package(str(arpa), str(probing), english, 0.5, 1.5)
    # trie layouts the real scorers do not cover: unquantized with a middle order, with and without Bhiksha
    tries = []
    for kind in ("trie", "array_trie"):
        binary = d / f"{kind}.binary"
        cmd = [str(generated(references.build_binary)), "-S", "16M", *BINARY_KINDS[kind], str(arpa), str(binary)]
        subprocess.run(cmd, check=True, capture_output=True)
        packaged = d / f"{kind}.scorer"
        _core.write_scorer_package(str(binary), str(packaged), english, 0.5, 1.5)
        tries.append((f"{kind}.scorer", packaged.read_bytes(), english))
    return tries + [
        (
            "bytes.scorer",
            (generated(references.scorers) / "lm.bytes.scorer").read_bytes(),
            _core.Alphabet.utf8(),
        ),
        ("english.scorer", (generated(references.scorers) / "lm.scorer").read_bytes(), english),
        ("probing.scorer", probing.read_bytes(), english),
        ("lm.arpa", arpa.read_bytes(), english),
    ]


def run_fuzz(corpus, tmp_path: Path, iterations: int, seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    prepared = [(name, data, alphabet, _fields(data)) for name, data, alphabet in corpus]
    path = tmp_path / "mutant"
    outcomes = {"loaded": 0, "rejected": 0}
    for i in range(iterations):
        name, data, alphabet, fields = prepared[i % len(prepared)]
        mutant = mutate(rng, data, fields)
        path.write_bytes(mutant)
        try:
            scorer = _core.Scorer(str(path), alphabet)
            exercise(scorer, alphabet, rng)
            outcomes["loaded"] += 1
        except InvalidScorerError:
            outcomes["rejected"] += 1
        except Exception as exc:  # anything else is a bug: report how to reproduce it
            pytest.fail(f"mutant {i} of {name} (seed {seed}) raised {type(exc).__name__}: {exc}")
    return outcomes


def test_fuzz_readers_short(corpus, tmp_path):
    outcomes = run_fuzz(corpus, tmp_path, iterations=2000, seed=20261128)
    # the mutator must exercise both paths, or it tests nothing
    assert outcomes["loaded"] > 50 and outcomes["rejected"] > 500, outcomes


@pytest.mark.slow
def test_fuzz_readers_long(corpus, tmp_path):
    iterations = int(os.environ.get("PYDS_FUZZ_ITERATIONS", "0"))
    if iterations <= 0:
        pytest.skip("opt-in: set PYDS_FUZZ_ITERATIONS (e.g. 100000) to run the long fuzz")
    outcomes = run_fuzz(corpus, tmp_path, iterations=iterations, seed=int(os.environ.get("PYDS_FUZZ_SEED", "1")))
    assert outcomes["loaded"] + outcomes["rejected"] == iterations


def test_mutator_is_deterministic(corpus):
    name, data, _alphabet = corpus[0]
    fields = _fields(data)
    a = [mutate(random.Random(3), data, fields) for _ in range(3)]
    b = [mutate(random.Random(3), data, fields) for _ in range(3)]
    assert a == b and any(m != data for m in a)
    assert struct.unpack_from("<i", data, data.find(b"EIRT") + 4)[0] == 6
