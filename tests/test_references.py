"""tests/references.py: the reference cache (keys, locking, atomic builds) and the generated data's shape."""

from __future__ import annotations

import csv
import json
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import references
from conftest import armenian_manifest, generated, shared_optional


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setattr(references, "REFERENCES", tmp_path / "refs")
    return tmp_path / "refs"


def _count_builds(calls: list):
    def build(out: Path) -> None:
        calls.append(out)
        time.sleep(0.2)
        (out / "value.txt").write_text(str(len(calls)))

    return build


def test_cache_is_keyed_by_inputs_and_built_once(cache):
    calls: list = []
    build = _count_builds(calls)
    a = references.cached("thing", build, "input-1")
    assert references.cached("thing", build, "input-1") == a
    b = references.cached("thing", build, "input-2")
    assert a != b and len(calls) == 2
    assert (a / "value.txt").read_text() == "1" and (b / "value.txt").read_text() == "2"
    # No half-built folders are left next to the results.
    assert sorted(p.name for p in cache.iterdir() if p.is_dir()) == sorted([a.name, b.name])


def test_cache_key_follows_the_generator_source(cache):
    calls: list = []

    def one(out: Path) -> None:
        calls.append(1)

    def two(out: Path) -> None:
        calls.append(2)

    assert references.cached("thing", one, "x") != references.cached("thing", two, "x")
    assert calls == [1, 2]


def test_concurrent_builders_build_once(cache):
    calls: list = []
    build = _count_builds(calls)
    results: list = []
    threads = [threading.Thread(target=lambda: results.append(references.cached("t", build, 7))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len(set(results)) == 1


def test_a_failed_build_leaves_nothing(cache):
    def broken(out: Path) -> None:
        (out / "partial").write_text("x")
        raise RuntimeError("generator failed")

    with pytest.raises(RuntimeError, match="generator failed"):
        references.cached("bad", broken)
    assert not [p for p in cache.iterdir() if p.is_dir()]


def test_posteriors_follow_the_text():
    probs, alignment = references.synth_posteriors("see the sea", False, seed=3, level="clean")
    assert probs.dtype == np.float32 and probs.shape[1] == 29
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert [label for _, label in alignment] == references._labels("see the sea", False)
    # A clean spike's frame is won by its label.
    for frame, label in alignment:
        assert probs[frame].argmax() in (label, 28)
    blank, _ = references.synth_posteriors("", False, seed=3, level="clean")
    assert (blank[:, -1] >= 0.999).all()


def test_decoder_golden_index():
    folder = generated(references.decoder_golden)
    index = json.loads((folder / "index.json").read_text())["cases"]
    assert [c["id"] for c in index] == [c[0] for c in references.DECODER_CASES]
    hot = json.loads((folder / "c01_hot_alt_beam100.json").read_text(encoding="utf-8"))
    plain = json.loads((folder / "c01_nohot_beam100.json").read_text(encoding="utf-8"))
    assert hot["results"][0]["labels"] != plain["results"][0]["labels"]  # the hot word changes the output


def test_generated_armenian_set_matches_the_team_copy_when_present():
    """An extra comparison only: where ../shared is there, the generated set reads the same sentences and has
    nearly the same short-clip durations as the team's copy (made by the same recipe with sox)."""
    with open(armenian_manifest(), encoding="utf-8") as f:
        ours = {r["file"]: r for r in csv.DictReader(f, delimiter="\t")}
    assert len(ours) == 42 and sum(n.startswith("s") for n in ours) == 40
    theirs_path = shared_optional("data/armenian-tts/manifest.tsv")
    if theirs_path is None:
        return
    with open(theirs_path, encoding="utf-8") as f:
        theirs = {r["file"]: r for r in csv.DictReader(f, delimiter="\t")}
    assert ours.keys() == theirs.keys()
    for name, row in ours.items():
        assert row["reference_text"] == theirs[name]["reference_text"], name
        if name.startswith("s"):  # (the long files' pauses are drawn differently)
            assert float(row["duration_s"]) == pytest.approx(float(theirs[name]["duration_s"]), rel=0.02), name
