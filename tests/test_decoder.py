"""pyds.decoder: DeepSpeech-exact beam search (golden cases), streaming, greedy, results, bad input."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import references
from conftest import generated, import_or_missing
from hypothesis import given, settings
from hypothesis import strategies as st

from pyds import decoder
from pyds.errors import InvalidArgumentError


def _golden() -> Path:
    """The generated golden cases (tests/references.py: DeepSpeech's ds_ctcdecoder 0.9.3 on synthetic posteriors)."""
    return generated(references.decoder_golden)


# The case ids are fixed by references.DECODER_CASES: parametrizing needs no generation.
CASES = [case[0] for case in references.DECODER_CASES]


def _case(case_id: str) -> tuple[dict, np.ndarray, decoder.Alphabet]:
    folder = _golden()
    spec = json.loads((folder / f"{case_id}.json").read_text(encoding="utf-8"))
    probs = np.load(folder / spec["probs_file"])
    if spec["alphabet"] == "utf8":
        alphabet = decoder.Alphabet.utf8()
    else:
        alphabet = decoder.Alphabet.from_file(str(folder / spec["alphabet"]))
    return spec, probs, alphabet


@pytest.fixture(scope="module")
def english() -> decoder.Alphabet:
    return decoder.Alphabet.from_file(str(generated(references.english_alphabet)))


def _scorer_for(spec: dict, alphabet: decoder.Alphabet):
    if not spec["params"]["scorer"]:
        return None
    path = _golden() / spec["params"]["scorer"]
    return decoder.Scorer(str(path), alphabet, alpha=spec["params"]["alpha"], beta=spec["params"]["beta"])


def _assert_matches(results: list[decoder.Transcript], spec: dict) -> None:
    expected = spec["results"]
    assert len(results) == len(expected)
    # Beams whose scores lie within the tolerance may swap places: compare the best exactly, and the rest as
    # a set of (labels, timesteps) within each group of near-equal confidences.
    tol = 1e-3
    best, want = results[0], expected[0]
    assert best.labels == want["labels"]
    assert best.timesteps == want["timesteps"]
    assert best.confidence == pytest.approx(want["confidence"], abs=tol)
    for got, exp in zip(results, expected):
        assert got.confidence == pytest.approx(exp["confidence"], abs=tol)
    for i, exp in enumerate(expected):
        near = [(r.labels, r.timesteps) for r in results if abs(r.confidence - exp["confidence"]) <= tol]
        assert (exp["labels"], exp["timesteps"]) in near, f"result {i} ({exp['text']!r}) missing"
    for got, exp in zip(results, expected):
        if "text_bytes_hex" in exp:
            if got.labels == exp["labels"]:
                assert got.text_bytes.hex() == exp["text_bytes_hex"]
                assert got.text == bytes.fromhex(exp["text_bytes_hex"]).decode("utf-8", errors="replace")
        elif got.labels == exp["labels"]:
            assert got.text == exp["text"]


@pytest.mark.parametrize("case_id", CASES)
def test_golden_case(case_id: str) -> None:
    spec, probs, alphabet = _case(case_id)
    params = spec["params"]
    scorer = _scorer_for(spec, alphabet)
    results = decoder.ctc_beam_search(
        probs,
        alphabet,
        params["beam_size"],
        cutoff_prob=params["cutoff_prob"],
        cutoff_top_n=params["cutoff_top_n"],
        scorer=scorer,
        hot_words=params["hot_words"],
        num_results=params["num_results"],
        alpha=params["alpha"],
        beta=params["beta"],
    )
    _assert_matches(results, spec)


SCORER_CASES = [case[0] for case in references.DECODER_CASES if case[6]]


@pytest.mark.parametrize("case_id", SCORER_CASES)
def test_golden_scorer_case_with_kenlm_oracle(case_id: str) -> None:
    """The LM fusion on DeepSpeech's own scorers, with the LM read by the kenlm module (not by pyds)."""
    import_or_missing("kenlm", "the oracle of this test; pip install .[test] brings it")
    from kenlm_scorer import KenlmScorer

    from pyds import _core

    spec, probs, alphabet = _case(case_id)
    params = spec["params"]
    scorer = _core._PythonScorer(KenlmScorer(_golden() / params["scorer"]))
    results = decoder.ctc_beam_search(
        probs,
        alphabet,
        params["beam_size"],
        cutoff_prob=params["cutoff_prob"],
        cutoff_top_n=params["cutoff_top_n"],
        scorer=scorer,
        hot_words=params["hot_words"],
        num_results=params["num_results"],
        alpha=params["alpha"],
        beta=params["beta"],
    )
    _assert_matches(results, spec)


@pytest.mark.parametrize("case_id", ["a05_beam100", "d01_bytes_noscorer_beam16", "a02_prune_beam16"])
def test_streaming_equals_one_shot(case_id: str) -> None:
    spec, probs, alphabet = _case(case_id)
    p = spec["params"]
    kwargs = dict(cutoff_prob=p["cutoff_prob"], cutoff_top_n=p["cutoff_top_n"], num_results=p["num_results"])
    whole = decoder.ctc_beam_search(probs, alphabet, p["beam_size"], **kwargs)
    rng = np.random.default_rng(7)
    stream = decoder.CtcBeamSearch(alphabet, p["beam_size"], **kwargs)
    for _ in range(3):
        stream.reset()
        cuts = np.sort(rng.choice(np.arange(1, len(probs)), size=12, replace=False))
        for chunk in np.split(probs, cuts):
            stream.next(np.ascontiguousarray(chunk))
            stream.decode(3)  # intermediate results must not disturb the search
        assert stream.frames == len(probs)
        got = stream.decode()
        assert [(r.labels, r.timesteps, r.confidence) for r in got] == [
            (r.labels, r.timesteps, r.confidence) for r in whole
        ]


def test_intermediate_decode_is_a_prefix_search(english: decoder.Alphabet) -> None:
    spec, probs, alphabet = _case("a01_beam16")
    stream = decoder.CtcBeamSearch(alphabet, 16)
    stream.next(probs[:40])
    partial = stream.decode()[0]
    assert partial.labels == decoder.ctc_beam_search(probs[:40], alphabet, 16)[0].labels
    assert all(t < 40 for t in partial.timesteps)


def test_empty_and_all_blank_input(english: decoder.Alphabet) -> None:
    empty = np.zeros((0, english.num_classes), np.float32)
    (only,) = decoder.ctc_beam_search(empty, english, 8, num_results=4)
    assert (only.text, only.confidence, only.tokens) == ("", 0.0, [])
    blank = np.zeros((5, english.num_classes), np.float32)
    blank[:, -1] = 1.0
    (only,) = decoder.ctc_beam_search(blank, english, 8, num_results=4)
    assert (only.text, only.confidence) == ("", 0.0)
    assert decoder.ctc_greedy(blank, english).text == ""


def _ctc_log_likelihood(probs: np.ndarray, labels: list[int]) -> float:
    """Exact CTC log P(labels | probs) by the forward algorithm (float64), blank = last class."""
    blank = probs.shape[1] - 1
    ext = [blank]
    for label in labels:
        ext += [label, blank]
    alpha = np.zeros(len(ext))
    alpha[0] = probs[0, blank]
    if len(ext) > 1:
        alpha[1] = probs[0, ext[1]]
    for t in range(1, len(probs)):
        new = np.zeros_like(alpha)
        for s, c in enumerate(ext):
            total = alpha[s] + (alpha[s - 1] if s >= 1 else 0.0)
            if s >= 2 and c != blank and ext[s - 2] != c:
                total += alpha[s - 2]
            new[s] = total * probs[t, c]
        alpha = new
    final = alpha[-1] + (alpha[-2] if len(ext) > 1 else 0.0)
    return math.log(final)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    frames=st.integers(1, 7),
    classes=st.integers(2, 4),
)
def test_unpruned_beam_is_exact_ctc(seed: int, frames: int, classes: int) -> None:
    """With a beam wider than every possible prefix, the confidence is the exact CTC prefix probability."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(frames, classes)) * 2
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    probs[0, -1] = min(probs[0, -1], 0.5)  # start at frame 0 (no delayed start)
    probs = (probs / probs.sum(axis=1, keepdims=True)).astype(np.float32)
    alphabet = decoder.Alphabet([chr(ord("a") + i) for i in range(classes - 1)])
    results = decoder.ctc_beam_search(probs, alphabet, 10_000, num_results=50)
    assert [r.confidence for r in results] == sorted((r.confidence for r in results), reverse=True)
    for r in results:
        assert len(r.timesteps) == len(r.labels)
        assert all(a < b for a, b in zip(r.timesteps, r.timesteps[1:]))
        if r.confidence > -1e30:  # beams only reached with probability 0 score -FLT_MAX, as in DeepSpeech
            exact = _ctc_log_likelihood(probs.astype(np.float64), r.labels)
            assert r.confidence == pytest.approx(exact, abs=2e-4)


def _greedy_reference(probs: np.ndarray) -> tuple[list[int], list[int]]:
    best = probs.argmax(axis=1)
    labels, steps, previous = [], [], probs.shape[1] - 1
    for t, c in enumerate(best):
        if c != probs.shape[1] - 1 and c != previous:
            labels.append(int(c))
            steps.append(t)
        previous = c
    return labels, steps


def test_greedy_matches_argmax_collapse(english: decoder.Alphabet) -> None:
    _, probs, alphabet = _case("a05_beam1")
    got = decoder.ctc_greedy(probs, alphabet)
    labels, steps = _greedy_reference(probs)
    assert (got.labels, got.timesteps) == (labels, steps)
    assert got.text == alphabet.decode(labels).decode()
    expected_conf = float(np.log(probs.max(axis=1).astype(np.float64)).sum())
    assert got.confidence == pytest.approx(expected_conf, rel=1e-9)


def test_transcript_fields_and_words() -> None:
    spec, probs, alphabet = _case("a01_beam1")
    (r,) = decoder.ctc_beam_search(probs, alphabet, 1, frame_step_seconds=0.03)
    assert r.text == spec["results"][0]["text"]
    assert [t.text for t in r.tokens] == [tok["char"] for tok in spec["results"][0]["tokens"]]
    assert [t.start_time for t in r.tokens] == pytest.approx([0.03 * t for t in r.timesteps])
    assert r.labels == [t.label for t in r.tokens]
    words = r.words
    assert [w.text for w in words] == r.text.split()
    # A word starts at its first token and ends one frame after its last.
    first_len = len(words[0].text)
    assert words[0].start_time == pytest.approx(r.tokens[0].start_time)
    assert words[0].end_time == pytest.approx(r.tokens[first_len - 1].start_time + 0.03)
    assert all(w.start_time < w.end_time for w in words)
    assert all(a.end_time <= b.start_time for a, b in zip(words, words[1:]))


def test_bytes_mode_tokens_are_bytes() -> None:
    spec, probs, alphabet = _case("d02_bytes_noscorer_beam100")
    r = decoder.ctc_beam_search(probs, alphabet, 16)[0]
    assert b"".join(t.text_bytes for t in r.tokens) == r.text_bytes
    assert all(len(t.text_bytes) == 1 for t in r.tokens)
    assert r.text == r.text_bytes.decode("utf-8", errors="replace")


# ---- bad input ---------------------------------------------------------------------------------------


@pytest.fixture
def good(english: decoder.Alphabet) -> np.ndarray:
    probs = np.full((4, english.num_classes), 1.0 / english.num_classes, np.float32)
    return probs


def test_rejects_bad_probs(english: decoder.Alphabet, good: np.ndarray) -> None:
    with pytest.raises(TypeError, match="float32"):
        decoder.ctc_beam_search(good.astype(np.float64), english, 4)
    with pytest.raises(TypeError, match="float32"):
        decoder.ctc_greedy(good.astype(np.float16), english)
    with pytest.raises(InvalidArgumentError, match="2-D"):
        decoder.ctc_beam_search(good[0], english, 4)
    with pytest.raises(InvalidArgumentError, match="2-D"):
        decoder.ctc_beam_search(good[None], english, 4)
    with pytest.raises(InvalidArgumentError, match="29"):
        decoder.ctc_beam_search(good[:, :-1].copy(), english, 4)
    with pytest.raises(InvalidArgumentError, match="contiguous"):
        decoder.ctc_beam_search(np.asfortranarray(good), english, 4)
    for bad_value, word in [(np.nan, "NaN"), (-0.1, "negative"), (np.inf, "infinite")]:
        bad = good.copy()
        bad[2, 5] = bad_value
        with pytest.raises(InvalidArgumentError, match=word):
            decoder.ctc_beam_search(bad, english, 4)
        with pytest.raises(InvalidArgumentError, match=word):
            decoder.ctc_greedy(bad, english)


@pytest.mark.parametrize(
    "kwargs, word",
    [
        ({"beam_width": 0}, "beam_width"),
        ({"beam_width": -3}, "beam_width"),
        ({"num_results": 0}, "num_results"),
        ({"cutoff_prob": 0.0}, "cutoff_prob"),
        ({"cutoff_prob": 1.5}, "cutoff_prob"),
        ({"cutoff_prob": float("nan")}, "cutoff_prob"),
        ({"cutoff_top_n": 0}, "cutoff_top_n"),
        ({"frame_step_seconds": 0.0}, "frame_step_seconds"),
    ],
)
def test_rejects_bad_settings(english: decoder.Alphabet, good: np.ndarray, kwargs: dict, word: str) -> None:
    args = {"beam_width": 4, **kwargs}
    beam = args.pop("beam_width")
    with pytest.raises(InvalidArgumentError, match=word):
        decoder.ctc_beam_search(good, english, beam, **args)
    with pytest.raises(InvalidArgumentError, match=word):
        decoder.CtcBeamSearch(english, beam, **args)


def test_scorer_must_be_a_scorer(english: decoder.Alphabet, good: np.ndarray) -> None:
    with pytest.raises(TypeError, match="Scorer"):
        decoder.ctc_beam_search(good, english, 4, scorer="lm.scorer")


def test_bad_chunk_leaves_stream_unchanged(english: decoder.Alphabet) -> None:
    _, probs, alphabet = _case("a01_beam16")
    stream = decoder.CtcBeamSearch(alphabet, 16)
    stream.next(probs[:30])
    bad = probs[30:40].copy()
    bad[5, 3] = np.nan
    with pytest.raises(InvalidArgumentError):
        stream.next(bad)
    with pytest.raises(InvalidArgumentError):
        stream.next(probs[30:40, :-1].copy())
    with pytest.raises(InvalidArgumentError, match="num_results"):
        stream.decode(0)
    assert stream.frames == 30
    stream.next(probs[30:])
    assert stream.decode()[0].labels == decoder.ctc_beam_search(probs, alphabet, 16)[0].labels


def test_hot_words_without_scorer_change_nothing(english: decoder.Alphabet) -> None:
    _, probs, alphabet = _case("a01_beam16")
    plain = decoder.ctc_beam_search(probs, alphabet, 16, num_results=3)
    hot = decoder.ctc_beam_search(probs, alphabet, 16, num_results=3, hot_words={"thou": 10.0, "not": -5.0})
    assert [(r.labels, r.confidence) for r in plain] == [(r.labels, r.confidence) for r in hot]


def test_options_object_and_keywords_are_one_set_of_settings() -> None:
    """The wrappers take the core's DecoderOptions (defaults defined once, in C++) or its fields as keywords."""
    rng = np.random.default_rng(3)
    alphabet = decoder.Alphabet([" ", "a", "b", "c"])
    probs = rng.dirichlet(np.ones(alphabet.num_classes) * 0.3, size=40).astype(np.float32)
    options = decoder.decoder_options(beam_width=3, num_results=2, cutoff_top_n=2, frame_step_seconds=0.03)
    assert (options.beam_width, options.num_results, options.cutoff_top_n) == (3, 2, 2)
    defaults = decoder.DecoderOptions()
    assert options.cutoff_prob == defaults.cutoff_prob and options.alpha is None  # the rest: the core's defaults
    by_object = decoder.ctc_beam_search(probs, alphabet, options=options)
    by_keywords = decoder.ctc_beam_search(probs, alphabet, 3, num_results=2, cutoff_top_n=2, frame_step_seconds=0.03)
    assert len(by_object) == 2 and by_object == by_keywords
    assert by_object[0].frame_step_seconds == 0.03 and by_object[0].tokens[0].start_time == pytest.approx(
        by_object[0].tokens[0].timestep * 0.03
    )
    wider = decoder.ctc_beam_search(probs, alphabet, options=options, beam_width=50, cutoff_top_n=5)
    assert wider != by_object  # keywords replace the object's fields
    search = decoder.CtcBeamSearch(alphabet, options=options)
    search.next(probs)
    assert search.decode() == by_object
    with pytest.raises(TypeError, match="beam_wdith"):
        decoder.ctc_beam_search(probs, alphabet, beam_wdith=3)
    with pytest.raises(TypeError, match="unknown"):
        decoder.CtcBeamSearch(alphabet, cutoff=0.5)


def test_model_defaults_are_the_cores(armenian_bundle) -> None:
    import pyds

    model = pyds.Model(armenian_bundle)
    assert model.numerics == model.bundle.numerics["mode"]  # "fidelity": the bundle's arithmetic
    assert model.beam_width == model.bundle.beam_width
    assert model._core.device == "CPU"
