"""``pyds transcribe --ray`` and ``pyds.distributed`` on a real local multi-node Ray cluster.

One cluster per module (a head with 0 CPUs, so all work lands on the two 1-CPU worker nodes), always shut down.
The CLI runs in subprocesses, as a user runs it; every subprocess has a timeout.
"""

from __future__ import annotations

import filecmp
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from pyds import cli

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "examples" / "hy-sample.wav"  # 2.8 s of Armenian speech the repo ships
TIMEOUT = 300  # seconds for one CLI run

# Every node and every driver binds 127.0.0.1 (not the host's address), sends no usage stats, and runs without
# the token authentication Ray >= 2.59 turns on by default for new local clusters.
RAY_ENV = {
    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
    "RAY_USAGE_STATS_ENABLED": "0",
    "RAY_AUTH_MODE": "disabled",
}


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    env.update(RAY_ENV)
    return env


def pyds(*args: str, timeout: float = TIMEOUT) -> tuple[int, str, str]:
    done = subprocess.run(
        [sys.executable, "-m", "pyds", *args],
        capture_output=True,
        timeout=timeout,
        env=_env(),
        stdin=subprocess.DEVNULL,
    )
    return done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8")


def read_manifest(out: Path) -> dict[str, dict]:
    lines = (out / "_manifest.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    assert len({r["path"] for r in rows}) == len(rows)  # one line per input
    return {r["path"]: r for r in rows}


# -- data -------------------------------------------------------------------------------------------------
def _variants() -> dict[str, tuple[np.ndarray, int]]:
    """Distinct recordings made from the sample: other rates, channel counts and levels, and one long file."""
    import soxr

    x, rate = sf.read(SAMPLE, dtype="float32")
    out: dict[str, tuple[np.ndarray, int]] = {}
    for i, (new_rate, gain) in enumerate([(8000, 1.0), (11025, 0.8), (22050, 0.6), (44100, 1.2), (48000, 0.9)]):
        out[f"rates/r{i}.wav"] = (soxr.resample(x, rate, new_rate) * gain, new_rate)
    out["stereo/a.flac"] = (np.stack([x, 0.5 * x], axis=1), rate)
    out["a.wav"] = (x, rate)
    out["stereo/sub/a.wav"] = (x[: int(1.7 * rate)], rate)  # the same basename as a.wav, elsewhere
    pause = np.zeros(int(0.8 * rate), dtype=np.float32)
    out["long/talk.wav"] = (np.concatenate([np.concatenate([x * (0.7 + 0.05 * k), pause]) for k in range(9)]), rate)
    return out


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """Nine good recordings (one 32 s long, cut at pauses), one corrupt and one empty file."""
    root = tmp_path_factory.mktemp("corpus") / "in"
    for rel, (samples, rate) in _variants().items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        sf.write(root / rel, samples, rate)
    (root / "bad").mkdir()
    (root / "bad" / "corrupt.wav").write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt garbage, not a header")
    (root / "bad" / "empty.wav").write_bytes(b"")
    return root


GOOD = 9
BAD = ("bad/corrupt.wav", "bad/empty.wav")


@pytest.fixture(scope="module")
def cluster():
    """A local Ray cluster: a head with 0 CPUs and two worker nodes of 1 CPU; (cluster, worker nodes)."""
    with pytest.MonkeyPatch.context() as mp:
        for key, value in RAY_ENV.items():
            mp.setenv(key, value)  # before ray is imported: it reads them at import and when nodes start
        mp.delenv("RAY_ADDRESS", raising=False)
        from ray.cluster_utils import Cluster

        c = Cluster(initialize_head=True, head_node_args={"num_cpus": 0})
        try:
            workers = [c.add_node(num_cpus=1) for _ in range(2)]
            c.wait_for_nodes(timeout=120)
            yield c, workers
        finally:
            c.shutdown()


@pytest.fixture(scope="module")
def ray_run(cluster, corpus, armenian_bundle, tmp_path_factory):
    """``pyds transcribe IN MISSING --ray ADDRESS --format json --output-dir OUT``: (rc, stderr, OUT)."""
    c, _ = cluster
    out = tmp_path_factory.mktemp("ray") / "out"
    missing = corpus.parent / "missing.wav"
    args = [str(corpus), str(missing), "--model", str(armenian_bundle), "--format", "json", "--output-dir", str(out)]
    rc, stdout, stderr = pyds("transcribe", *args, "--ray", c.address)
    assert stdout == ""
    return rc, stderr, out


# -- on the cluster ---------------------------------------------------------------------------------------
def test_outputs_are_byte_identical_to_the_local_command(ray_run, corpus, armenian_bundle, tmp_path) -> None:
    _, err, out = ray_run
    local = tmp_path / "local"
    rc, stdout, stderr = pyds(
        "transcribe", str(corpus), "--model", str(armenian_bundle), "--format", "json", "--output-dir", str(local)
    )
    assert rc == 1 and stdout == "", stderr  # the corrupt and the empty file
    written = sorted(p.relative_to(local) for p in local.rglob("*") if p.is_file())
    assert len(written) == GOOD
    assert Path("stereo/sub/a.json") in written and Path("a.json") in written  # named relative to the input root
    assert sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file()) == sorted(
        [*written, Path("_manifest.jsonl")]
    )
    for rel in written:
        assert filecmp.cmp(local / rel, out / rel, shallow=False), rel
    talk = json.loads((out / "long" / "talk.json").read_text(encoding="utf-8"))
    assert len(talk["segments"]) >= 4 and talk["text"]  # the long file went through the pause splitter


def test_manifest_shows_work_on_both_worker_nodes(ray_run, cluster, corpus) -> None:
    _, _, out = ray_run
    _, workers = cluster
    rows = read_manifest(out)
    ok = [r for r in rows.values() if r["status"] == "ok"]
    assert len(ok) == GOOD
    assert {r["node_id"] for r in ok} == {w.node_id for w in workers}
    for r in ok:
        assert set(r) >= {"path", "status", "error", "text", "audio_seconds", "node_id"}
        assert r["error"] is None and r["audio_seconds"] > 1.0
        doc = json.loads((out / Path(r["path"]).relative_to(corpus).with_suffix(".json")).read_text("utf-8"))
        assert r["text"] == doc["text"] and r["audio_seconds"] == doc["duration"]
    assert rows[str(corpus / "long" / "talk.wav")]["audio_seconds"] > 30


def test_corrupt_empty_and_missing_files_are_error_rows(ray_run, corpus) -> None:
    rc, err, out = ray_run
    assert rc == 1
    assert "3 failed" in err and "Traceback" not in err
    rows = read_manifest(out)
    bad = {str(corpus / rel) for rel in BAD} | {str(corpus.parent / "missing.wav")}
    assert {p for p, r in rows.items() if r["status"] == "error"} == bad
    for path in bad:
        assert rows[path]["error"] and rows[path]["text"] is None
        assert path in err  # one message per failed input on stderr
        assert not list(out.rglob(Path(path).stem + ".*"))
    assert "cannot decode" in rows[str(corpus / "bad" / "corrupt.wav")]["error"]
    assert "empty" in rows[str(corpus / "bad" / "empty.wav")]["error"]
    assert not [p for p in out.rglob("*") if p.name.startswith(".") or p.name.endswith(".part")]  # no temp files


def test_resume_redoes_exactly_the_deleted_output(ray_run, cluster, corpus, armenian_bundle, tmp_path) -> None:
    c, _ = cluster
    _, _, first = ray_run
    out = tmp_path / "out"
    shutil.copytree(first, out)
    gone = out / "stereo" / "a.json"
    before = gone.read_bytes()
    gone.unlink()
    others = {p: p.stat().st_mtime_ns for p in out.rglob("*.json")}
    args = [str(corpus), "--model", str(armenian_bundle), "--format", "json", "--output-dir", str(out), "--resume"]
    rc, _, err = pyds("transcribe", *args, "--ray", c.address)
    assert rc == 1, err  # the corrupt and the empty file fail again: they have no output to skip on
    rows = read_manifest(out)
    assert [p for p, r in rows.items() if r["status"] == "ok"] == [str(corpus / "stereo" / "a.flac")]
    assert sum(r["status"] == "skipped" for r in rows.values()) == GOOD - 1
    assert all(r["text"] for r in rows.values() if r["status"] == "skipped")  # carried over from the last manifest
    assert gone.read_bytes() == before
    assert {p: p.stat().st_mtime_ns for p in others} == others  # nothing else was rewritten
    assert "1 transcribed, 8 skipped, 2 failed" in err


def test_removing_a_worker_node_during_a_run_still_finishes(cluster, corpus, armenian_bundle, tmp_path) -> None:
    c, _ = cluster
    extra = c.add_node(num_cpus=1)
    c.wait_for_nodes(timeout=120)
    src = tmp_path / "in"
    for copy in range(3):  # 24 short files: work for every actor after the node is gone
        for rel in [p for p in corpus.rglob("*.*") if "bad" not in p.parts and "long" not in p.parts]:
            target = src / str(copy) / rel.relative_to(corpus)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(rel, target)
    n = sum(1 for _ in src.rglob("*.*"))
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "pyds", "transcribe", str(src), "--model", str(armenian_bundle)]
    cmd += ["--output-dir", str(out), "--ray", c.address, "--workers", "3"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env())
    try:
        part = out / "_manifest.jsonl.part"
        deadline = time.monotonic() + TIMEOUT
        while not (part.is_file() and part.read_text(encoding="utf-8").count("\n") >= 1):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "no file was transcribed"
            time.sleep(0.1)
        c.remove_node(extra)  # while the other files are still in flight or queued
        _, err = proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err.decode()
    rows = read_manifest(out)
    assert len(rows) == n and all(r["status"] == "ok" for r in rows.values())
    assert sum(1 for _ in out.rglob("*.txt")) == n


def test_a_model_missing_on_the_nodes_fails_the_job_with_the_reason(cluster, corpus, tmp_path) -> None:
    c, _ = cluster
    model = tmp_path / "no-such-bundle"
    out = tmp_path / "out"
    rc, _, err = pyds(
        "transcribe", str(corpus / "a.wav"), "--model", str(model), "--output-dir", str(out), "--ray", c.address
    )
    assert rc == 2, err
    message = [line for line in err.splitlines() if line.startswith("pyds: error: the Ray job failed")]
    assert message and "no-such-bundle" in message[0], err
    assert not (out / "_manifest.jsonl").exists()


@pytest.mark.filterwarnings("ignore::DeprecationWarning:ray")  # Ray's own DataContext defaults warn on creation
def test_transcribe_dataset_on_an_existing_dataset(cluster, corpus, armenian_bundle, ray_run, tmp_path) -> None:
    import ray

    from pyds.distributed import transcribe_dataset

    c, workers = cluster
    _, _, first = ray_run
    paths = [corpus / "a.wav", corpus / "rates" / "r3.wav", corpus / "bad" / "corrupt.wav"]
    ray.init(address=c.address, logging_level="WARNING")
    try:
        ds = ray.data.from_items([{"path": str(p), "speaker": f"s{i}"} for i, p in enumerate(paths)])
        out = tmp_path / "out"
        result = transcribe_dataset(ds, armenian_bundle, output_dir=out, formats=("json",), input_root=corpus)
        rows = {r["path"]: r for r in result.take_all()}
    finally:
        ray.shutdown()
    assert [rows[str(p)]["speaker"] for p in paths] == ["s0", "s1", "s2"]  # other columns pass through
    assert [rows[str(p)]["status"] for p in paths] == ["ok", "ok", "error"]
    assert {rows[str(p)]["node_id"] for p in paths} <= {w.node_id for w in workers}
    for rel in ("a.json", "rates/r3.json"):
        doc = json.loads((out / rel).read_text(encoding="utf-8"))
        assert rows[str(corpus / rel.replace(".json", ".wav"))]["text"] == doc["text"]
        # The JSON names the source by its path, as a local run given that path would.
        assert doc["source"] == str(corpus / rel.replace(".json", ".wav"))
        assert json.loads((first / rel).read_text(encoding="utf-8"))["segments"] == doc["segments"]


# -- without a cluster ------------------------------------------------------------------------------------
def test_plain_import_and_the_local_command_do_not_import_ray(armenian_bundle, tmp_path) -> None:
    code = (
        "import sys, pyds, pyds.cli\n"
        "assert 'ray' not in sys.modules\n"
        f"rc = pyds.cli.main(['transcribe', {str(SAMPLE)!r}, '--model', {str(armenian_bundle)!r}, '--no-progress'])\n"
        "assert rc == 0, rc\n"
        "assert 'ray' not in sys.modules, 'the local command imported ray'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=TIMEOUT, env=_env())
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().strip()  # the transcript


def test_file_list_names_outputs_relative_to_the_common_root(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    listing = tmp_path / "list.txt"
    listing.write_text(
        f"# recordings\n{tmp_path}/arch/2019/a.wav\n\narch/2020/a.wav\n  arch/2020/deep/b.flac  \n", encoding="utf-8"
    )
    files = cli.read_file_list(listing)
    assert [f.display for f in files] == [f"{tmp_path}/arch/2019/a.wav", "arch/2020/a.wav", "arch/2020/deep/b.flac"]
    assert [f.source for f in files] == [str(tmp_path / p) for p in ("arch/2019/a.wav", "arch/2020/a.wav")] + [
        str(tmp_path / "arch/2020/deep/b.flac")
    ]
    assert [f.output_stem for f in files] == [Path("2019/a"), Path("2020/a"), Path("2020/deep/b")]
    assert cli.output_paths(files, tmp_path / "out", ".txt") == [
        tmp_path / "out" / "2019" / "a.txt",
        tmp_path / "out" / "2020" / "a.txt",
        tmp_path / "out" / "2020" / "deep" / "b.txt",
    ]
    (tmp_path / "blank.txt").write_text("\n# nothing\n", encoding="utf-8")
    assert cli.read_file_list(tmp_path / "blank.txt") == []


def test_local_files_from_and_resume(armenian_bundle, tmp_path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    shutil.copy(SAMPLE, tmp_path / "x" / "s.wav")
    shutil.copy(SAMPLE, tmp_path / "y" / "s.wav")
    listing = tmp_path / "list.txt"
    listing.write_text(f"{tmp_path / 'x' / 's.wav'}\n{tmp_path / 'y' / 's.wav'}\n", encoding="utf-8")
    out = tmp_path / "out"
    base = ["transcribe", "--files-from", str(listing), "--model", str(armenian_bundle), "--output-dir", str(out)]
    rc, _, err = pyds(*base)
    assert rc == 0, err
    assert (out / "x" / "s.txt").read_text("utf-8") == (out / "y" / "s.txt").read_text("utf-8") != ""
    (out / "y" / "s.txt").unlink()
    stamp = (out / "x" / "s.txt").stat().st_mtime_ns
    rc, _, err = pyds(*base, "--resume")
    assert rc == 0, err
    assert (out / "y" / "s.txt").is_file() and (out / "x" / "s.txt").stat().st_mtime_ns == stamp


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--ray"], "--output-dir"),
        (["-", "--ray", "--output-dir", "o"], "standard input"),
        (["--ray", ".", "--output-dir", "o"], "put the inputs before --ray"),
        (["--workers", "2"], "--workers goes with --ray"),
        (["--ray", "--workers", "0", "--output-dir", "o"], "--workers must be a positive integer"),
        (["--resume"], "--resume needs --output-dir"),
        (["--files-from", "no-such-list.txt", "--output-dir", "o"], "cannot read the list"),
    ],
)
def test_usage_errors(args, needle, tmp_path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pyds", "transcribe", str(SAMPLE), *args],
        capture_output=True,
        timeout=120,
        env=_env(),
        cwd=tmp_path,
    )
    err = done.stderr.decode()
    assert done.returncode == 2 and needle in err, err
    assert not (tmp_path / "o").exists()
