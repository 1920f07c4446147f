"""DeepSpeech 0.6 graphs (graph version 5) use a 4000 Hz MFCC upper limit: the front end matches TensorFlow's
raw ops at 4000 Hz, and the runtime takes the limit from the bundle's ``mfcc_upper_hz``."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO

import pyds
from pyds import features

GOLDEN = REPO / "tests" / "data" / "mfcc_4000hz_tf.npz"
SCRIPT = REPO / "scripts" / "make_mfcc_4000_golden.py"


@pytest.fixture(scope="module")
def tf_4000(tmp_path_factory) -> dict[str, np.ndarray]:
    """TensorFlow's 4000 Hz MFCC of the script's test signal: computed now (in a subprocess, so TensorFlow
    and OpenVINO never share a process) when TensorFlow is installed, else the committed golden file."""
    if importlib.util.find_spec("tensorflow") is None:
        data = np.load(GOLDEN)
        return {"samples": data["samples"], "mfcc_4000": data["mfcc_4000"], "source": "golden file"}
    out = tmp_path_factory.mktemp("tf") / "mfcc.npz"
    done = subprocess.run([sys.executable, str(SCRIPT), "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    data = np.load(out)
    golden = np.load(GOLDEN)
    np.testing.assert_array_equal(data["samples"], golden["samples"])  # the committed file is current
    np.testing.assert_allclose(data["mfcc_4000"], golden["mfcc_4000"], atol=1e-4)
    return {"samples": data["samples"], "mfcc_4000": data["mfcc_4000"], "source": "TensorFlow"}


def options_4000() -> features.FeatureOptions:
    options = features.FeatureOptions()
    options.upper_frequency_hz = 4000.0
    return options


def test_mfcc_4000_matches_tensorflow_raw_ops(tf_4000):
    got = features.mfcc(tf_4000["samples"], options=options_4000())
    want = tf_4000["mfcc_4000"]
    assert got.shape == want.shape == (24, 26)
    diff = float(np.abs(got - want).max())
    print(f"C++ MFCC at 4000 Hz vs {tf_4000['source']}: max abs diff {diff:.3g}")
    assert diff <= 1e-3
    assert float(np.abs(features.mfcc(tf_4000["samples"]) - want).max()) > 1.0  # 8000 Hz differs


def test_runtime_takes_mfcc_upper_hz_from_the_bundle(armenian_bundle: Path, tmp_path: Path, tf_4000):
    v5 = tmp_path / "v5-bundle"
    shutil.copytree(armenian_bundle, v5)
    manifest = json.loads((v5 / "pyds.json").read_text())
    assert manifest["mfcc_upper_hz"] == 8000
    manifest["mfcc_upper_hz"] = 4000
    (v5 / "pyds.json").write_text(json.dumps(manifest))

    old, new = pyds.Model(armenian_bundle), pyds.Model(v5)
    assert old._core.feature_options.upper_frequency_hz == 8000.0
    assert new._core.feature_options.upper_frequency_hz == 4000.0
    got = features.mfcc(tf_4000["samples"], options=new._core.feature_options)
    assert float(np.abs(got - tf_4000["mfcc_4000"]).max()) <= 1e-3
    # The streams use it: the acoustic model sees different features, so its outputs differ.
    samples = tf_4000["samples"]
    assert not np.allclose(old.compute_probabilities(samples), new.compute_probabilities(samples), atol=1e-3)
