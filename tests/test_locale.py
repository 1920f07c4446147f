"""Numbers read the same in every locale (issue 18, bug 1).

A process that switched its locale (a GUI app calling ``setlocale(LC_ALL, "")``, Python's ``locale.setlocale``)
makes the C library's strtod/printf use that locale's decimal point. Under de_DE.UTF-8 (a decimal comma) pyds
must still read pyds.json ("alpha": 0.75) and ARPA files (-0.5), and write numbers with a point. Each test runs
the same work in the "C" locale and in de_DE.UTF-8, in fresh processes, and compares: the C ABI (a C program),
the Python API and the ``pyds`` command.
"""

from __future__ import annotations

import json
import subprocess
import sys
import wave
from pathlib import Path

import pytest
from conftest import REPO
from test_capi import compile_c, run_env

import pyds
from pyds.bundle import Bundle

SAMPLE = REPO / "examples" / "hy-sample.wav"
WORDS = ["կատուն", "քնած", "է", "վրա"]  # what the model hears in the sample
BEAM = 64


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, armenian_bundle: Path) -> dict[str, Path]:
    """An ARPA LM with fractional log-probabilities, its .scorer, a bundle that ships that scorer with fractional
    weights in pyds.json (the IR linked from the test bundle), and the sample as raw int16 PCM."""
    from pyds.scorer import write_scorer_package

    d = tmp_path_factory.mktemp("locale")
    arpa = d / "hy.arpa"
    arpa.write_text(
        f"\\data\\\nngram 1={len(WORDS) + 2}\nngram 2=2\n\n\\1-grams:\n-1.25\t<s>\t-0.125\n-1.5\t</s>\n"
        + "".join(f"-1.0{i}\t{w}\t-0.25\n" for i, w in enumerate(WORDS))
        + f"\n\\2-grams:\n-0.5\t<s> {WORDS[0]}\n-0.375\t{WORDS[0]} {WORDS[1]}\n\n\\end\\\n",
        encoding="utf-8",
    )
    manifest = Bundle.read(armenian_bundle)
    bundle = d / "bundle"
    bundle.mkdir()
    for ir in armenian_bundle.iterdir():  # every IR of the bundle (the exact and the fast graph), not its manifest
        if ir.suffix in (".xml", ".bin"):
            (bundle / ir.name).symlink_to(ir)
    write_scorer_package(arpa, bundle / "hy.scorer", pyds.decoder.Alphabet(manifest.alphabet), 0.9, 1.1)
    manifest.scorer = {"file": "hy.scorer", "alpha": 0.75, "beta": 1.25}
    manifest.write(bundle)
    with wave.open(str(SAMPLE)) as w:
        pcm = d / "hy-sample.pcm"
        pcm.write_bytes(w.readframes(w.getnframes()))
    return {"arpa": arpa, "bundle": bundle, "pcm": pcm}


def _in_both_locales(decimal_comma_locale: str, run) -> tuple[dict, dict]:
    """``run(locale_name)`` -> dict, under "C" and under the decimal-comma locale; checks the switch took."""
    plain, comma = run("C"), run(decimal_comma_locale)
    assert plain["decimal_point"] == "." and comma["decimal_point"] == ",", (plain, comma)
    return plain, comma


# --- the C ABI ----------------------------------------------------------------------------------------------
def test_c_abi_under_a_decimal_comma_locale(decimal_comma_locale, files, tmp_path, cc):
    exe = compile_c(cc, REPO / "tests" / "capi" / "locale_client.c", tmp_path / "locale_client", ["stt"])

    def run(name: str) -> dict:
        done = subprocess.run(
            [str(exe), name, str(files["bundle"]), str(files["arpa"]), str(files["pcm"])],
            capture_output=True,
            env=run_env(),
            timeout=600,
        )
        assert done.returncode == 0, f"under {name}: {done.stderr.decode()}"
        return dict(line.split("\t", 1) for line in done.stdout.decode("utf-8").splitlines())

    plain, comma = _in_both_locales(decimal_comma_locale, run)
    assert comma["text"] == plain["text"]
    assert set(plain["text"].split()) <= set(WORDS) and plain["text"]


# --- the Python API -----------------------------------------------------------------------------------------
PYTHON_PROBE = r"""
import json, locale, sys
import numpy as np
locale.setlocale(locale.LC_ALL, sys.argv[1])
import pyds
from pyds import decoder
bundle, arpa, pcm = sys.argv[2:5]
samples = np.fromfile(pcm, dtype="<i2")
model = pyds.Model(bundle, beam_width=int(sys.argv[5]))  # pyds.json: the bundle's scorer, alpha 0.75, beta 1.25
out = {"decimal_point": locale.localeconv()["decimal_point"], "bundled": model.stt(samples)}
lm = decoder.Scorer(arpa, model.alphabet, alpha=0.75, beta=1.25)
out["repr"] = repr(lm)
out["log_probs"] = [lm.log_cond_prob(words, bos=True) for words in (["կատուն"], ["կատուն", "քնած"], ["վրա"])]
model.enable_scorer(lm)
out["arpa"] = model.stt(samples)
try:
    decoder.ctc_beam_search(np.full((2, 41), 1 / 41, np.float32), model.alphabet, 4, cutoff_prob=1.5)
except ValueError as exc:
    out["error"] = str(exc)
print(json.dumps(out))
"""


def test_python_api_under_a_decimal_comma_locale(decimal_comma_locale, files):
    def run(name: str) -> dict:
        args = [str(files["bundle"]), str(files["arpa"]), str(files["pcm"]), str(BEAM)]
        done = subprocess.run(
            [sys.executable, "-c", PYTHON_PROBE, name, *args], capture_output=True, text=True, timeout=600
        )
        assert done.returncode == 0, f"under {name}: {done.stderr}"
        return json.loads(done.stdout)

    plain, comma = _in_both_locales(decimal_comma_locale, run)
    assert {k: v for k, v in comma.items() if k != "decimal_point"} == {
        k: v for k, v in plain.items() if k != "decimal_point"
    }
    assert plain["bundled"] and set(plain["bundled"].split()) <= set(WORDS)
    assert plain["repr"] == "Scorer(order=2, alpha=0.75, beta=1.25)"  # numbers written with a point
    assert plain["error"].endswith("got 1.5")
    # ln P(w | <s>) of the ARPA's log10 values: -0.5 for the bigram, -0.125 + -1.03 by back-off
    ln10 = 2.302585092994046
    assert plain["log_probs"][0] == pytest.approx(-0.5 * ln10, abs=1e-5)
    assert plain["log_probs"][2] == pytest.approx((-0.125 - 1.03) * ln10, abs=1e-5)


# --- the pyds command ---------------------------------------------------------------------------------------
CLI_PROBE = r"""
import locale, sys
locale.setlocale(locale.LC_ALL, "")  # as an embedding app would: the locale of the environment
from pyds.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_cli_under_a_decimal_comma_locale(decimal_comma_locale, files, tmp_path):
    def run(name: str) -> dict:
        cmd = [sys.executable, "-c", CLI_PROBE, "transcribe", str(SAMPLE), "--model", str(files["bundle"])]
        cmd += ["--scorer", str(files["arpa"]), "--alpha", "0.5", "--beta", "2.5"]
        cmd += ["--beam-width", str(BEAM), "--format", "json"]
        env = run_env(LC_ALL=name, LANG=name)
        done = subprocess.run(cmd, capture_output=True, env=env, timeout=600)
        assert done.returncode == 0, f"under {name}: {done.stderr.decode()}"
        point = subprocess.run(
            [
                sys.executable,
                "-c",
                "import locale; locale.setlocale(locale.LC_ALL, ''); print(locale.localeconv()['decimal_point'])",
            ],
            capture_output=True,
            text=True,
            env=env,
        ).stdout.strip()
        return {"decimal_point": point, "out": done.stdout.decode("utf-8")}

    plain, comma = _in_both_locales(decimal_comma_locale, run)
    assert comma["out"] == plain["out"]
    doc = json.loads(plain["out"])
    assert doc  # a transcript came out, and its numbers (timestamps, confidence) parse as JSON
