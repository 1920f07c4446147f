"""One validation of pyds.json and one place that applies a bundle (issue 18).

pyds.bundle (Python), the runtime's Model::load and the C ABI all check pyds.json with the same code (the core's
runtime/bundle.cpp), so a manifest is accepted or refused the same way everywhere; and Model::load is where the
bundle's own scorer is enabled, unless the caller opts out (the C ABI and pyds.compat, like DeepSpeech)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import pyds
from pyds import compat
from pyds.bundle import Bundle


def _bundle(source: Path, target: Path, edit=None) -> Path:
    """A copy of ``source``'s pyds.json (edited) beside links to its other files."""
    target.mkdir()
    for f in source.iterdir():
        if f.name != "pyds.json":
            (target / f.name).symlink_to(f)
    data = json.loads((source / "pyds.json").read_text(encoding="utf-8"))
    if edit is not None:
        edit(data)
    (target / "pyds.json").write_text(json.dumps(data), encoding="utf-8")
    return target


BAD = [
    # (edit, field named in the error) — each was accepted by one of the two old validators
    (lambda d: d.update(colour="blue"), "colour"),  # C++ ignored unknown fields
    (lambda d: d["io"].update(extra="x"), "extra"),  # C++ ignored unknown io keys
    (lambda d: d["numerics"].update(mode="fast"), "mode"),  # C++ took any numerics mode
    (lambda d: d["numerics"].pop("exact_divide"), "exact_divide"),  # C++ made it optional
    (lambda d: d["source"].update(sha256="abc"), "sha256"),  # C++ did not read source
    (lambda d: d["converter"].update(backend="tf"), "backend"),  # nor converter
    (lambda d: d.update(acoustic_model="acoustic.bin"), "acoustic_model"),  # Python wanted .xml
    (lambda d: d.update(alphabet=["a", ""]), "alphabet"),  # Python refused empty labels
    (lambda d: d.update(sample_rate=12), "sample_rate"),  # C++ had a range, Python only > 0
    (lambda d: d.update(mfcc_upper_hz=-1), "mfcc_upper_hz"),
    (lambda d: d.update(scorer={"file": "x.scorer", "alpha": 1, "beta": 2, "gamma": 3}), "gamma"),
]


@pytest.mark.parametrize(("edit", "field"), BAD)
def test_python_and_the_runtime_refuse_the_same_manifests(armenian_bundle: Path, tmp_path: Path, edit, field):
    bundle = _bundle(armenian_bundle, tmp_path / "b", edit)
    with pytest.raises(pyds.InvalidModelError, match=field) as in_python:
        Bundle.read(bundle)
    with pytest.raises(pyds.InvalidModelError, match=field) as in_runtime:
        pyds._core.Model(str(bundle))
    assert str(in_python.value) == str(in_runtime.value)  # one rule, one message
    data = json.loads((bundle / "pyds.json").read_text(encoding="utf-8"))
    if set(data) <= set(Bundle.__dataclass_fields__):  # (an unknown top-level key cannot even be a Bundle)
        with pytest.raises(pyds.InvalidModelError, match=field):  # and the writer refuses to write it
            Bundle(**data).to_json()


def test_missing_ir_files_are_refused_everywhere(armenian_bundle: Path, tmp_path: Path):
    bundle = _bundle(armenian_bundle, tmp_path / "b")
    (bundle / "acoustic.bin").unlink()
    for load in (Bundle.read, lambda d: pyds._core.Model(str(d))):
        with pytest.raises(pyds.InvalidModelError, match="acoustic.bin does not exist"):
            load(bundle)


@pytest.fixture(scope="module")
def scored_bundle(armenian_bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test bundle with a tiny Armenian .scorer of its own, alpha 0.5 and beta 2.0 in pyds.json."""
    from pyds.scorer import write_scorer_package

    d = tmp_path_factory.mktemp("scored")
    words = ["կատուն", "քնած", "է", "վրա"]
    arpa = d / "hy.arpa"
    arpa.write_text(
        f"\\data\\\nngram 1={len(words) + 2}\nngram 2=1\n\n\\1-grams:\n-1.0\t<s>\t-0.1\n-1.0\t</s>\n"
        + "".join(f"-1.0\t{w}\t-0.1\n" for w in words)
        + f"\n\\2-grams:\n-0.5\t<s> {words[0]}\n\n\\end\\\n",
        encoding="utf-8",
    )
    manifest = Bundle.read(armenian_bundle)
    bundle = _bundle(armenian_bundle, d / "bundle")
    write_scorer_package(arpa, bundle / "lm.scorer", pyds.decoder.Alphabet(manifest.alphabet), 0.9, 1.1)
    manifest.scorer = {"file": "lm.scorer", "alpha": 0.5, "beta": 2.0}
    manifest.write(bundle)
    return bundle


def test_the_core_applies_the_bundles_scorer(scored_bundle: Path):
    core = pyds._core.Model(str(scored_bundle))  # no Python in between: Model::load applies it
    assert core.has_scorer
    assert not pyds._core.Model(str(scored_bundle), bundled_scorer=False).has_scorer
    assert pyds.Model(scored_bundle).bundle.scorer == {"file": "lm.scorer", "alpha": 0.5, "beta": 2.0}
    assert pyds.Model(scored_bundle)._core.has_scorer
    assert not pyds.Model(scored_bundle, scorer=False)._core.has_scorer


def test_deepspeech_apis_do_not_enable_a_bundles_scorer(scored_bundle: Path):
    from test_capi import CApi, load_c_api

    not_enabled = compat.ERROR_CODES["ERR_SCORER_NOT_ENABLED"][0]
    ds = compat.Model(str(scored_bundle))
    assert ds.disableExternalScorer() == not_enabled
    api = CApi(load_c_api("libstt.so", "STT"), "STT")
    code, handle = api.create_model(str(scored_bundle))
    assert code == 0
    try:
        assert api.DisableExternalScorer(handle) == not_enabled
    finally:
        api.FreeModel(handle)
