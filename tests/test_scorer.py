"""The native scorer: .scorer headers and tries, and LM scores against the `kenlm` package (test-only).

KenLM binaries (probing, trie, quantized, pointer-compressed) are built from a synthetic ARPA with KenLM's own
build_binary, compiled once from the PyPI kenlm sdist into the test cache.
"""

from __future__ import annotations

import math
import random
import struct
import subprocess
from pathlib import Path

import pytest
import references
from conftest import generated, import_or_missing

from pyds import _core
from pyds.build_scorer import main as build_scorer_main
from pyds.errors import InvalidArgumentError, InvalidScorerError, ModelNotFoundError
from pyds.scorer import Scorer

kenlm = import_or_missing("kenlm", "the reference of these tests; pip install .[test] brings it")

LOG10_TO_LN = 0.4342944819
OOV_WORDS = ["xyzzyq", "notaword", "qqq"]


# ---------------------------------------------------------------------------------------------------------
# helpers


def english() -> _core.Alphabet:
    return _core.Alphabet.from_file(str(generated(references.english_alphabet)))


def lm_scorer(name: str) -> Path:
    """A generated scorer package (tests/references.py: scorers): ``lm.scorer`` (English words, 4-gram) or
    ``lm.bytes.scorer`` (UTF-8 mode, 2-gram over characters), read back by DeepSpeech's own decoder package."""
    return generated(references.scorers) / name


def ref_log_cond_prob(model, words: list[str], bos: bool, eos: bool) -> float:
    """DeepSpeech's get_log_cond_prob written against the kenlm module."""
    state, out = kenlm.State(), kenlm.State()
    (model.BeginSentenceWrite if bos else model.NullContextWrite)(state)
    prob = 0.0
    for word in words:
        if word not in model:
            return -1000.0
        prob = model.BaseScore(state, word, out)
        state, out = out, state
    if eos:
        prob = model.BaseScore(state, "</s>", out)
    return prob / LOG10_TO_LN


def lm_part(scorer_path: Path, tmp: Path) -> Path:
    """The KenLM binary at the head of a .scorer (it ends where the scorer header 'EIRT', v6 starts)."""
    data = scorer_path.read_bytes()
    end = data.find(b"EIRT\x06\x00\x00\x00")
    assert end > 0, "no scorer header"
    out = tmp / (scorer_path.stem + ".lm.binary")
    out.write_bytes(data[:end])
    return out


def trie_words(scorer, alphabet: _core.Alphabet, limit: int = 100000) -> list[str]:
    """Every word the vocabulary trie accepts (depth-first), decoded with the alphabet."""
    words, stack = [], [(scorer.trie_start, [])]
    while stack:
        state, labels = stack.pop()
        if scorer.trie_is_final(state) and labels:
            text = alphabet.decode(labels).decode("utf-8", "replace")
            words.append(text[:-1] if not scorer.is_utf8_mode else text)
        for label in range(len(alphabet)):
            nxt = scorer.trie_next(state, label)
            if nxt is not None:
                stack.append((nxt, labels + [label]))
        assert len(words) <= limit
    return words


def trie_accepts(scorer, alphabet: _core.Alphabet, word: str) -> bool:
    labels = alphabet.encode(word) + ([] if scorer.is_utf8_mode else [alphabet.space_label])
    state = scorer.trie_start
    for label in labels:
        state = scorer.trie_next(state, label)
        if state is None:
            return False
    return scorer.trie_is_final(state)


def random_queries(rng: random.Random, vocab: list[str], sentences: list[list[str]], order: int, n: int):
    """(words, bos, eos) triples: corpus n-grams (long matches), random word lists, <s>/</s> and OOV words."""
    pool = vocab + ["<s>", "</s>"]
    for _ in range(n):
        kind = rng.random()
        if kind < 0.5 and sentences:
            s = rng.choice(sentences)
            length = rng.randint(1, min(order + 1, len(s)))
            start = rng.randint(0, len(s) - length)
            words = s[start : start + length]
        else:
            words = [rng.choice(pool) for _ in range(rng.randint(1, order + 1))]
        if rng.random() < 0.08:
            words[rng.randrange(len(words))] = rng.choice(OOV_WORDS)
        yield words, rng.random() < 0.5, rng.random() < 0.3


def write_arpa(path: Path, order: int, seed: int, vocab_size: int = 60, n_sentences: int = 80, prune: bool = False):
    """A consistent back-off ARPA: every n-gram of a random corpus (so all prefixes/suffixes exist). With
    `prune`, some n-grams ending in </s> are dropped while longer ones ending the same way stay, as SRILM
    pruning does: the reader must then fill in the missing suffixes like KenLM."""
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz'"
    vocab: set[str] = set()
    while len(vocab) < vocab_size:
        vocab.add("".join(rng.choice(letters[:-1]) for _ in range(rng.randint(1, 7))) + rng.choice(["", "", "'s"]))
    words = sorted(vocab)
    sentences = [[rng.choice(words) for _ in range(rng.randint(1, 9))] for _ in range(n_sentences)]
    grams: list[set[tuple[str, ...]]] = [set() for _ in range(order)]
    for s in sentences:
        full = ["<s>", *s, "</s>"]
        for n in range(1, order + 1):
            for i in range(len(full) - n + 1):
                grams[n - 1].add(tuple(full[i : i + n]))
    grams[0] |= {(w,) for w in words} | {("<unk>",)}
    if prune:
        for n in range(2, order):
            longer_suffixes = {g[1:] for g in grams[n]}
            for gram in sorted(grams[n - 1]):
                if gram[-1] == "</s>" and gram in longer_suffixes and rng.random() < 0.5:
                    grams[n - 1].discard(gram)
    lines = ["\\data\\"] + [f"ngram {n + 1}={len(g)}" for n, g in enumerate(grams)] + [""]
    for n, g in enumerate(grams, start=1):
        lines.append(f"\\{n}-grams:")
        for gram in sorted(g):
            prob = -99.0 if gram == ("<s>",) else round(rng.uniform(-4.0, -0.05), 6)
            fields = [f"{prob}", " ".join(gram)]
            if n < order and gram[-1] != "</s>":
                r = rng.random()
                if r < 0.15:
                    fields.append("0")
                elif r < 0.85:
                    fields.append(f"{round(rng.uniform(-1.5, 0.3), 6)}")
            lines.append("\t".join(fields))
        lines.append("")
    lines.append("\\end\\")
    path.write_text("\n".join(lines) + "\n")
    return words, [["<s>", *s, "</s>"] for s in sentences]


@pytest.fixture(scope="session")
def build_binary() -> Path:
    """KenLM's build_binary, compiled once from the PyPI kenlm sdist (tests/references.py)."""
    return generated(references.build_binary)


# The KenLM data structures tested, as build_binary arguments.
BINARY_KINDS = {
    "probing": ["probing"],
    "trie": ["trie"],
    "trie_q8": ["-q", "8", "-b", "8", "trie"],
    "array_trie": ["-a", "22", "trie"],
    "array_trie_q8": ["-a", "255", "-q", "8", "-b", "8", "trie"],  # what DeepSpeech scorers use
}


@pytest.fixture(scope="module", params=[(3, False), (5, False), (4, True)], ids=["order3", "order5", "pruned4"])
def synthetic(request, tmp_path_factory):
    """A synthetic ARPA (with its vocabulary file, words and sentences): order 3, order 5, or order 4 with
    SRILM-style pruned suffixes."""
    order, prune = request.param
    d = tmp_path_factory.mktemp(f"arpa{order}")
    arpa = d / "lm.arpa"
    words, sentences = write_arpa(arpa, order, seed=order * 101, prune=prune)
    vocab = d / "vocab.txt"
    vocab.write_text("\n".join(words) + "\n")
    return {"dir": d, "arpa": arpa, "vocab": vocab, "words": words, "sentences": sentences, "order": order}


def assert_parity(scorer, model, words, sentences, order, n=600, seed=7):
    rng = random.Random(seed)
    worst = 0.0
    for query, bos, eos in random_queries(rng, words, sentences, order, n):
        got = scorer.log_cond_prob(query, bos=bos, eos=eos)
        want = ref_log_cond_prob(model, query, bos, eos)
        assert got == pytest.approx(want, abs=1e-4), (query, bos, eos)
        worst = max(worst, abs(got - want))
    return worst


# ---------------------------------------------------------------------------------------------------------
# the real DeepSpeech scorers


def test_english_scorer_header():
    s = _core.Scorer(str(lm_scorer("lm.scorer")), english())
    assert (s.default_alpha, s.default_beta) == references.WORD_ALPHA_BETA
    assert (s.alpha, s.beta) == (s.default_alpha, s.default_beta)
    assert not s.is_utf8_mode and s.max_order == 4
    s.set_alpha_beta(0.5, 2.0)
    assert (s.alpha, s.beta) == (0.5, 2.0)
    explicit = Scorer(lm_scorer("lm.scorer"), english(), alpha=1.0, beta=0.0)
    assert (explicit.alpha, explicit.beta, explicit.default_alpha) == (1.0, 0.0, s.default_alpha)


def test_bytes_scorer_header():
    s = _core.Scorer(str(lm_scorer("lm.bytes.scorer")), _core.Alphabet.utf8())
    assert (s.default_alpha, s.default_beta) == references.BYTES_ALPHA_BETA
    assert s.is_utf8_mode and s.max_order == 2


def test_english_trie_is_the_lm_vocabulary(tmp_path):
    path = lm_scorer("lm.scorer")
    alphabet = english()
    s = _core.Scorer(str(path), alphabet)
    model = kenlm.Model(str(lm_part(path, tmp_path)))
    words = trie_words(s, alphabet)
    vocabulary = lm_scorer("vocab.txt").read_text(encoding="utf-8").split()
    assert len(words) == len(set(words)) == len(vocabulary) > 3000
    assert sorted(words) == sorted(vocabulary)
    assert all(w in model for w in words)
    assert all(trie_accepts(s, alphabet, w) for w in words)
    rng = random.Random(3)
    vocab = set(words)
    for w in words[:300]:
        for non_word in (w + "q", w[:-1], "z" + w):
            if non_word and non_word not in vocab:
                assert not trie_accepts(s, alphabet, non_word), non_word
    for _ in range(300):
        junk = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9)))
        assert trie_accepts(s, alphabet, junk) == (junk in vocab)
    # every complete word the reference decoder output with this scorer is a trie word (the last one may be
    # a partial word)
    import json

    for case in sorted(generated(references.decoder_golden).glob("b0*.json")):
        for result in json.loads(case.read_text())["results"]:
            for w in result["text"].split()[:-1]:
                assert w in vocab, (case.name, w)


def test_english_scorer_matches_kenlm(tmp_path):
    path = lm_scorer("lm.scorer")
    alphabet = english()
    s = _core.Scorer(str(path), alphabet)
    model = kenlm.Model(str(lm_part(path, tmp_path)))
    words = trie_words(s, alphabet)
    text = (generated(references.decoder_golden) / "b02_default_beam100.json").read_text(encoding="utf-8")
    import json

    sentences = [["<s>", *r["text"].split()] for r in json.loads(text)["results"]]
    worst = assert_parity(s, model, words, sentences, s.max_order, n=3000)
    assert worst < 1e-4


def test_log_cond_prob_follows_deepspeech():
    """get_log_cond_prob's rules: any OOV word gives -1000, eos scores only </s>, no words score 0."""
    s = _core.Scorer(str(lm_scorer("lm.scorer")), english())
    assert s.log_cond_prob(["the", "xyzzyq", "of"]) == -1000.0
    assert s.log_cond_prob(["xyzzyq"], eos=True) == -1000.0
    assert s.log_cond_prob([]) == 0.0
    end = s.log_cond_prob(["of", "the"], bos=True, eos=True)
    assert end != s.log_cond_prob(["of", "the"], bos=True) and end < 0
    assert s.log_cond_prob([], bos=True, eos=True) < 0  # ln P(</s> | <s>)


def test_bytes_scorer_matches_kenlm(tmp_path):
    path = lm_scorer("lm.bytes.scorer")
    s = _core.Scorer(str(path), _core.Alphabet.utf8())
    model = kenlm.Model(str(lm_part(path, tmp_path)))
    chars = trie_words(s, _core.Alphabet.utf8())
    assert chars and all(len(c) == 1 and c in model for c in chars)
    assert_parity(s, model, chars, [], s.max_order, n=1500)


# ---------------------------------------------------------------------------------------------------------
# synthetic models: ARPA and every KenLM binary layout


def test_arpa_matches_kenlm(synthetic):
    s = _core.Scorer(str(synthetic["arpa"]), english(), vocabulary=str(synthetic["vocab"]))
    model = kenlm.Model(str(synthetic["arpa"]))
    assert s.max_order == synthetic["order"]
    assert_parity(s, model, synthetic["words"], synthetic["sentences"], synthetic["order"])
    # without a vocabulary file the trie holds the ARPA's words
    t = _core.Scorer(str(synthetic["arpa"]), english())
    assert sorted(trie_words(t, english())) == sorted(synthetic["words"])


@pytest.mark.parametrize("kind", sorted(BINARY_KINDS))
def test_kenlm_binary_matches_kenlm(synthetic, build_binary, kind):
    binary = synthetic["dir"] / f"{kind}.binary"
    if not binary.exists():
        subprocess.run(
            [str(build_binary), "-S", "16M", *BINARY_KINDS[kind], str(synthetic["arpa"]), str(binary)],
            check=True,
            capture_output=True,
        )
    alphabet = english()
    s = _core.Scorer(str(binary), alphabet, vocabulary=str(synthetic["vocab"]))
    model = kenlm.Model(str(binary))
    assert s.max_order == synthetic["order"]
    assert_parity(s, model, synthetic["words"], synthetic["sentences"], synthetic["order"])
    for w in synthetic["words"]:
        assert trie_accepts(s, alphabet, w)
    for w in OOV_WORDS:
        assert not trie_accepts(s, alphabet, w)
    # build_binary stores the vocabulary strings by default: they make the trie without a vocabulary file
    t = _core.Scorer(str(binary), alphabet)
    assert sorted(trie_words(t, alphabet)) == sorted(synthetic["words"])


@pytest.mark.parametrize("kind", ["arpa", "array_trie_q8", "probing"])
def test_build_scorer_round_trip(synthetic, build_binary, tmp_path, kind, capsys):
    if kind == "arpa":
        lm = synthetic["arpa"]
    else:
        lm = synthetic["dir"] / f"{kind}.binary"
        if not lm.exists():
            subprocess.run(
                [str(build_binary), "-S", "16M", *BINARY_KINDS[kind], str(synthetic["arpa"]), str(lm)],
                check=True,
                capture_output=True,
            )
    alphabet_txt = generated(references.english_alphabet)
    out = tmp_path / "lm.scorer"
    code = build_scorer_main(
        [
            "--lm",
            str(lm),
            "--vocabulary",
            str(synthetic["vocab"]),
            "--alphabet",
            str(alphabet_txt),
            "--default-alpha",
            "0.6",
            "--default-beta",
            "1.25",
            "-o",
            str(out),
        ]
    )
    assert code == 0, capsys.readouterr().err
    assert not list(tmp_path.glob("*.tmp-*"))
    alphabet = english()
    packaged = _core.Scorer(str(out), alphabet)
    assert (packaged.default_alpha, packaged.default_beta, packaged.is_utf8_mode) == (0.6, 1.25, False)
    assert packaged.max_order == synthetic["order"]
    # the embedded LM is a valid KenLM binary without vocabulary strings, and scores exactly as the source
    embedded = lm_part(out, tmp_path)
    assert embedded.read_bytes()[100] == 0
    assert_parity(packaged, kenlm.Model(str(embedded)), synthetic["words"], synthetic["sentences"], synthetic["order"])
    assert_parity(
        packaged,
        kenlm.Model(str(synthetic["arpa"]) if kind == "arpa" else str(lm)),
        synthetic["words"],
        synthetic["sentences"],
        synthetic["order"],
    )
    source = _core.Scorer(str(lm), alphabet, vocabulary=str(synthetic["vocab"]))
    rng = random.Random(1)
    for query, bos, eos in random_queries(rng, synthetic["words"], synthetic["sentences"], synthetic["order"], 300):
        assert packaged.log_cond_prob(query, bos=bos, eos=eos) == source.log_cond_prob(query, bos=bos, eos=eos)
    assert sorted(trie_words(packaged, alphabet)) == sorted(synthetic["words"])


def test_build_bytes_scorer_round_trip(tmp_path):
    src = lm_scorer("lm.bytes.scorer")
    lm = lm_part(src, tmp_path)
    original = _core.Scorer(str(src), _core.Alphabet.utf8())
    chars = trie_words(original, _core.Alphabet.utf8())
    vocab = tmp_path / "chars.txt"
    vocab.write_text("\n".join(chars) + "\n", encoding="utf-8")
    out = tmp_path / "bytes.scorer"
    assert (
        build_scorer_main(
            [
                "--lm",
                str(lm),
                "--vocabulary",
                str(vocab),
                "--utf8",
                "--default-alpha",
                str(original.default_alpha),
                "--default-beta",
                str(original.default_beta),
                "-o",
                str(out),
            ]
        )
        == 0
    )
    rebuilt = _core.Scorer(str(out), _core.Alphabet.utf8())
    assert (rebuilt.default_alpha, rebuilt.default_beta, rebuilt.is_utf8_mode) == (
        original.default_alpha,
        original.default_beta,
        True,
    )
    assert sorted(trie_words(rebuilt, _core.Alphabet.utf8())) == sorted(chars)
    for a in chars[:20]:
        for b in chars[:20]:
            assert rebuilt.log_cond_prob([a, b]) == original.log_cond_prob([a, b])
    # the trie part (after the header) is byte-identical in layout: same sizes as DeepSpeech's
    assert out.stat().st_size == pytest.approx(src.stat().st_size, rel=0.25)


# ---------------------------------------------------------------------------------------------------------
# bad inputs


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(ModelNotFoundError):
        _core.Scorer(str(tmp_path / "nope.scorer"), english())
    empty = tmp_path / "empty.scorer"
    empty.write_bytes(b"")
    with pytest.raises(InvalidScorerError, match="not a .scorer"):
        _core.Scorer(str(empty), english())
    junk = tmp_path / "junk.scorer"
    junk.write_bytes(bytes(random.Random(0).randrange(256) for _ in range(5000)))
    with pytest.raises(InvalidScorerError):
        _core.Scorer(str(junk), english())


def test_wrong_versions(tmp_path):
    data = bytearray(lm_scorer("lm.scorer").read_bytes())
    t = data.find(b"EIRT\x06\x00\x00\x00")
    bad = tmp_path / "v5.scorer"
    bad.write_bytes(bytes(data[: t + 4] + struct.pack("<i", 5) + data[t + 8 :]))
    with pytest.raises(InvalidScorerError, match="version 5 is not supported"):
        _core.Scorer(str(bad), english())
    old = tmp_path / "kenlm4.scorer"
    old.write_bytes(bytes(data).replace(b"format version 5", b"format version 4", 1))
    with pytest.raises(InvalidScorerError, match="format version 4"):
        _core.Scorer(str(old), english())


@pytest.mark.parametrize("fraction", [0.0001, 0.05, 0.3, 0.6, 0.61, 0.9, 0.999])
def test_truncated_scorer(tmp_path, fraction):
    data = lm_scorer("lm.scorer").read_bytes()
    cut = tmp_path / "cut.scorer"
    cut.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(InvalidScorerError):
        _core.Scorer(str(cut), english())


def test_scorer_alphabet_mismatch():
    with pytest.raises(InvalidScorerError, match="UTF-8"):
        _core.Scorer(str(lm_scorer("lm.bytes.scorer")), english())
    with pytest.raises(InvalidScorerError, match="UTF-8"):
        _core.Scorer(str(lm_scorer("lm.scorer")), _core.Alphabet.utf8())
    small = _core.Alphabet([" ", "a", "b", "c"])
    with pytest.raises(InvalidScorerError, match="outside the model alphabet"):
        _core.Scorer(str(lm_scorer("lm.scorer")), small)


def test_unspellable_vocabulary(synthetic, tmp_path):
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("hello wörld über 123\n", encoding="utf-8")
    with pytest.raises(InvalidScorerError, match="cannot be spelled") as info:
        _core.Scorer(str(synthetic["arpa"]), english(), vocabulary=str(vocab))
    assert "3 vocabulary word(s)" in str(info.value)
    no_space = _core.Alphabet(["a", "b"])
    with pytest.raises(InvalidScorerError, match="space"):
        _core.Scorer(str(synthetic["arpa"]), no_space)


def test_vocabulary_only_for_bare_lms(synthetic):
    with pytest.raises(InvalidArgumentError, match="own vocabulary"):
        _core.Scorer(str(lm_scorer("lm.scorer")), english(), vocabulary=str(synthetic["vocab"]))


def test_bad_arpa(tmp_path):
    head = "\\data\\\nngram 1={}\nngram 2=1\n\n\\1-grams:\n{}\t<s>\n-1\t</s>\n\n\\2-grams:\n-1 <s> {}\n"
    cases = {
        "counts": head.format(3, -1, "</s>") + "\\end\\\n",
        "unknown_word": head.format(2, -1, "x") + "\\end\\\n",
        "positive": head.format(2, 1, "</s>") + "\\end\\\n",
        "no_end": head.format(2, -1, "</s>"),
    }
    for name, text in cases.items():
        path = tmp_path / f"{name}.arpa"
        path.write_text(text)
        with pytest.raises(InvalidScorerError, match="ARPA"):
            _core.Scorer(str(path), english())
    # file bytes that are not UTF-8 (here a surrogate) reach the message escaped, not as a decode error
    bad = tmp_path / "bytes.arpa"
    bad.write_bytes(head.format(2, -1, "X").encode().replace(b"X", b"a\xed\xa0\x80") + b"\\end\\\n")
    with pytest.raises(InvalidScorerError, match=r"a\\xed\\xa0\\x80"):
        _core.Scorer(str(bad), english())


def test_build_scorer_cli_errors(tmp_path, capsys):
    out = tmp_path / "x.scorer"
    code = build_scorer_main(["--lm", str(tmp_path / "missing.arpa"), "--utf8", "-o", str(out)])
    assert code == 1 and "not found" in capsys.readouterr().err
    assert not out.exists()
    with pytest.raises(SystemExit):
        build_scorer_main(["--lm", "x"])


def test_open_is_lazy_for_a_large_scorer(tmp_path):
    """A large file opens without being read: only headers and the trie index are touched."""
    src = lm_scorer("lm.scorer")
    s = _core.Scorer(str(src), english())
    assert math.isfinite(s.log_cond_prob(["the"], bos=True))
