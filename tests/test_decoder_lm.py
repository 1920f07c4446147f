"""LM fusion of pyds.decoder against a literal port of DeepSpeech's decoder (tests/ds_reference.py), with a
small random in-memory n-gram scorer: word and UTF-8 modes, vocabulary trie, hot words, beam cut-off,
class pruning. The golden .scorer cases in test_decoder.py check the same code on DeepSpeech's own LMs."""

from __future__ import annotations

import numpy as np
import pytest
from ds_reference import ReferenceDecoder
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyds import _core, decoder

WORD_LABELS = [" ", "a", "b", "e", "n", "o", "r", "t"]


def _random_lm(
    rng: np.random.Generator,
    alphabet: decoder.Alphabet,
    units: list[str],
    order: int,
    utf8: bool,
    with_trie: bool,
):
    vocabulary = list(dict.fromkeys(units))
    ngrams: dict[tuple[str, ...], float] = {}
    for w in vocabulary:
        ngrams[(w,)] = float(-rng.uniform(0.3, 3.0))
    for _ in range(3 * len(vocabulary) if order > 1 else 0):
        n = int(rng.integers(2, order + 1))
        gram = tuple(str(rng.choice(["<s>"] + vocabulary)) if i == 0 else str(rng.choice(vocabulary)) for i in range(n))
        ngrams[gram] = float(-rng.uniform(0.05, 2.0))
    return _core._TableScorer(
        alphabet,
        ngrams,
        vocabulary,
        order,
        utf8,
        float(rng.uniform(0.3, 1.5)),
        float(rng.uniform(-1.0, 2.5)),
        with_trie=with_trie,
    )


def _posteriors(rng: np.random.Generator, frames: int, classes: int, favoured: list[int]) -> np.ndarray:
    logits = rng.normal(0.0, 1.0, size=(frames, classes))
    for t in range(frames):
        if rng.random() < 0.45:
            logits[t, -1] += rng.uniform(2.0, 6.0)
        else:
            logits[t, int(rng.choice(favoured))] += rng.uniform(2.0, 5.0)
            if rng.random() < 0.5:
                logits[t, int(rng.choice(favoured))] += rng.uniform(1.0, 4.0)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


def _compare(got: list[decoder.Transcript], want: list[tuple[float, list[int], list[int]]]) -> None:
    assert len(got) == len(want)
    for g, (conf, _labels, _steps) in zip(got, want):
        assert g.confidence == pytest.approx(conf, abs=1e-3)
    # Exact labels/timesteps where the reference's neighbours are not within float noise.
    for i, (conf, labels, steps) in enumerate(want):
        close = [j for j, (c, _, _) in enumerate(want) if abs(c - conf) < 1e-3]
        # A beam of probability 0 (-FLT_MAX) ties with every other such beam: DeepSpeech's pick is arbitrary.
        if len(close) == 1 and conf > -1e30:
            assert (got[i].labels, got[i].timesteps) == (labels, steps)


def _run_both(
    probs,
    alphabet,
    labels_bytes,
    space,
    scorer,
    beam,
    cutoff_prob,
    cutoff_top_n,
    hot,
    n_results,
    alpha=None,
    beta=None,
):
    got = decoder.ctc_beam_search(
        probs,
        alphabet,
        beam,
        cutoff_prob=cutoff_prob,
        cutoff_top_n=cutoff_top_n,
        scorer=scorer,
        hot_words=hot,
        num_results=n_results,
        alpha=alpha,
        beta=beta,
    )
    ref = ReferenceDecoder(
        labels_bytes,
        beam,
        cutoff_prob,
        cutoff_top_n,
        scorer,
        alpha=scorer.default_alpha if alpha is None else alpha,
        beta=scorer.default_beta if beta is None else beta,
        hot_words=hot,
        space=space,
    )
    ref.next(probs)
    return got, ref.decode(n_results)


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    beam=st.sampled_from([1, 2, 4, 8, 16]),
    order=st.integers(1, 3),
    pruning=st.sampled_from([(1.0, 40), (0.95, 40), (1.0, 4), (0.99, 3)]),
    with_trie=st.booleans(),
    use_hot=st.booleans(),
)
def test_word_mode_lm_matches_deepspeech(seed, beam, order, pruning, with_trie, use_hot) -> None:
    rng = np.random.default_rng(seed)
    alphabet = decoder.Alphabet(WORD_LABELS)
    letters = WORD_LABELS[1:]
    words = ["".join(rng.choice(letters, size=int(rng.integers(1, 4)))) for _ in range(8)]
    scorer = _random_lm(rng, alphabet, words, order, False, with_trie)
    probs = _posteriors(rng, int(rng.integers(8, 40)), alphabet.num_classes, list(range(len(WORD_LABELS))))
    hot = {str(w): float(rng.uniform(-4, 6)) for w in rng.choice(words, size=2)} if use_hot else {}
    got, want = _run_both(
        probs,
        alphabet,
        [w.encode() for w in WORD_LABELS],
        0,
        scorer,
        beam,
        *pruning,
        hot,
        n_results=int(rng.integers(1, 6)),
    )
    _compare(got, want)


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), beam=st.sampled_from([1, 3, 8]), use_hot=st.booleans())
def test_utf8_mode_lm_matches_deepspeech(seed, beam, use_hot) -> None:
    rng = np.random.default_rng(seed)
    alphabet = decoder.Alphabet.utf8()
    codepoints = ["a", "b", " ", "é", "ж", "€"]
    favoured = sorted({b - 1 for cp in codepoints for b in cp.encode()})
    scorer = _random_lm(rng, alphabet, codepoints[:4] + ["ж"], 2, True, True)
    probs = _posteriors(rng, int(rng.integers(6, 20)), 256, favoured)
    hot = {"é": 3.0, "a": -2.0} if use_hot else {}
    labels = [bytes([b]) for b in range(1, 256)]
    got, want = _run_both(probs, alphabet, labels, 31, scorer, beam, 1.0, 40, hot, n_results=3)
    _compare(got, want)


def test_explicit_weights_override_defaults() -> None:
    rng = np.random.default_rng(3)
    alphabet = decoder.Alphabet(WORD_LABELS)
    scorer = _random_lm(rng, alphabet, ["ab", "to", "net", "bet"], 2, False, True)
    probs = _posteriors(rng, 30, alphabet.num_classes, list(range(len(WORD_LABELS))))
    got, want = _run_both(
        probs, alphabet, [w.encode() for w in WORD_LABELS], 0, scorer, 8, 1.0, 40, {}, 3, alpha=0.5, beta=1.25
    )
    _compare(got, want)
    stream = decoder.CtcBeamSearch(alphabet, 8, scorer=scorer, alpha=0.5, beta=1.25)
    assert (stream.alpha, stream.beta) == (0.5, 1.25)


def test_vocabulary_constrains_output() -> None:
    rng = np.random.default_rng(11)
    alphabet = decoder.Alphabet(WORD_LABELS)
    vocabulary = ["bet", "net", "to", "a"]
    scorer = _random_lm(rng, alphabet, vocabulary, 2, False, True)
    probs = _posteriors(rng, 60, alphabet.num_classes, list(range(len(WORD_LABELS))))
    for r in decoder.ctc_beam_search(probs, alphabet, 16, scorer=scorer, num_results=5):
        words = r.text.split(" ")
        assert "" not in words[:-1]  # no leading or double spaces
        assert all(w in vocabulary for w in words[:-1])  # every complete word is in the vocabulary


def test_streaming_with_scorer_equals_one_shot() -> None:
    rng = np.random.default_rng(5)
    alphabet = decoder.Alphabet(WORD_LABELS)
    scorer = _random_lm(rng, alphabet, ["ab", "to", "net", "bet", "a", "ton"], 3, False, True)
    probs = _posteriors(rng, 80, alphabet.num_classes, list(range(len(WORD_LABELS))))
    hot = {"net": 2.5}
    whole = decoder.ctc_beam_search(probs, alphabet, 12, scorer=scorer, hot_words=hot, num_results=4)
    stream = decoder.CtcBeamSearch(alphabet, 12, scorer=scorer, hot_words=hot, num_results=4)
    for chunk in np.array_split(probs, [3, 4, 20, 21, 50]):
        stream.next(np.ascontiguousarray(chunk))
        stream.decode()
    assert [(r.labels, r.timesteps, r.confidence) for r in stream.decode()] == [
        (r.labels, r.timesteps, r.confidence) for r in whole
    ]


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    beam=st.sampled_from([1, 2, 5, 16, 64]),
    pruning=st.sampled_from([(1.0, 40), (0.9, 40), (1.0, 3), (0.8, 2)]),
)
def test_without_scorer_matches_deepspeech(seed, beam, pruning) -> None:
    """The plain search (and its class pruning, where the blank is visited mid-frame) against the port."""
    rng = np.random.default_rng(seed)
    alphabet = decoder.Alphabet(WORD_LABELS)
    probs = _posteriors(rng, int(rng.integers(5, 50)), alphabet.num_classes, [1, 2, 3])
    got = decoder.ctc_beam_search(probs, alphabet, beam, cutoff_prob=pruning[0], cutoff_top_n=pruning[1], num_results=4)
    ref = ReferenceDecoder([w.encode() for w in WORD_LABELS], beam, *pruning, space=0)
    ref.next(probs)
    _compare(got, ref.decode(4))
