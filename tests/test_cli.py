"""The ``pyds`` command, driven in a subprocess like a user: outputs, exit codes, stderr-only progress."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import armenian_clip, armenian_manifest
from httpserver import FileServer
from test_formats import parse_srt, parse_vtt

import pyds
from pyds import audio, formats


def _env(cache: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYDS_MODEL_MIRROR"}
    env["PYDS_CACHE_DIR"] = str(cache)
    env.update(extra)
    return env


def run(*args: str, cache: Path, stdin: bytes | None = None, timeout: float = 600, **env: str):
    """``python -m pyds ARGS`` with its own cache; stdout/stderr as text (UTF-8)."""
    done = subprocess.run(
        [sys.executable, "-m", "pyds", *args],
        input=stdin,
        capture_output=True,
        timeout=timeout,
        env=_env(cache, **env),
    )
    return done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8")


@pytest.fixture
def cache(tmp_path) -> Path:
    return tmp_path / "cache"


# -- without a recognizer ---------------------------------------------------------------------------------
def test_version(cache) -> None:
    rc, out, err = run("version", cache=cache)
    assert rc == 0 and err == ""
    assert out.startswith(f"pyds {metadata.version('pyds')} ")
    assert metadata.version("openvino") in out
    rc, out2, _ = run("--version", cache=cache)
    assert rc == 0 and out2.strip() == out.strip()


def test_console_script_is_installed(cache) -> None:
    script = Path(sys.executable).parent / "pyds"
    exe = str(script) if script.exists() else shutil.which("pyds")
    assert exe, "the pyds console script is not installed next to this Python"
    done = subprocess.run([exe, "version"], capture_output=True, text=True, timeout=120, env=_env(cache))
    assert done.returncode == 0 and done.stdout.startswith("pyds ")


def test_no_command_is_a_usage_error(cache) -> None:
    rc, out, err = run(cache=cache)
    assert rc == 2 and out == "" and "usage:" in err


def test_models_list_and_info(cache) -> None:
    rc, out, err = run("models", "list", cache=cache)
    assert rc == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["NAME", "LANG", "CACHED"]
    assert lines[1].startswith("deepspeech-0.9.3-en (default)")
    assert any(line.startswith("armspeech-hy ") for line in lines)

    rc, out, err = run("models", "info", "armspeech-hy", cache=cache)
    assert rc == 0 and err == ""
    assert "sha256: 3b834da11f2d0a1a5079b44dd5d5da2b1955dec56474ba11b4c3793e934787bc" in out
    assert f"path: {cache / 'downloads' / 'armspeech-hy' / 'armspeech-0.1.4-model.tflite'}" in out

    rc, out, err = run("models", "info", "deepspeech-0.9.3-en", "--json", cache=cache)
    doc = json.loads(out)
    assert rc == 0 and doc["default"] is True and doc["downloaded"] is False
    assert [f["role"] for f in doc["files"]] == ["acoustic", "scorer"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("models", "info", "nope"), "unknown model 'nope'"),
        (("models", "fetch"), "needs a model name"),
        (("models", "explode"), "invalid choice"),
    ],
)
def test_models_usage_errors(cache, args, needle) -> None:
    rc, out, err = run(*args, cache=cache)
    assert rc == 2 and out == "" and needle in err


def test_models_fetch_from_a_mirror_shows_progress_on_stderr_only(cache) -> None:
    server = FileServer()
    try:
        body = os.urandom(3_000_000)
        server.files["/m/deepspeech-0.9.3-models.tflite"] = body
        rc, out, err = run(
            "models",
            "fetch",
            "deepspeech-0.9.3-en",
            "--no-scorer",
            "--progress",
            cache=cache,
            PYDS_MODEL_MIRROR=server.url + "/m",
        )
    finally:
        server.close()
    target = cache / "downloads" / "deepspeech-0.9.3-en" / "deepspeech-0.9.3-models.tflite"
    assert rc == 0, err
    assert out == f"acoustic: {target}\n"
    assert "deepspeech-0.9.3-models.tflite" in err and "100%" in err  # the bar, on stderr
    assert target.read_bytes() == body

    rc, out, _ = run("models", "list", cache=cache)
    assert "partly" in next(line for line in out.splitlines() if line.startswith("deepspeech"))
    rc, out, _ = run("models", "remove", "deepspeech-0.9.3-en", cache=cache)
    assert rc == 0 and "removed" in out and not target.exists()


def test_models_fetch_without_network_says_what_to_do(cache) -> None:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    rc, out, err = run(
        "models",
        "fetch",
        "deepspeech-0.9.3-en",
        "--no-progress",
        cache=cache,
        PYDS_MODEL_MIRROR=f"http://127.0.0.1:{port}",
    )
    assert rc == 2 and out == ""
    assert f"http://127.0.0.1:{port}/deepspeech-0.9.3-models.scorer" in err
    assert str(cache / "downloads" / "deepspeech-0.9.3-en" / "deepspeech-0.9.3-models.tflite") in err
    assert "Traceback" not in err


def test_missing_inputs_fail_with_a_message_each(cache, tmp_path) -> None:
    empty_dir = tmp_path / "nothing"
    empty_dir.mkdir()
    (empty_dir / "readme.txt").write_text("no audio here")
    rc, out, err = run("transcribe", str(tmp_path / "nope.wav"), str(empty_dir), str(tmp_path / "*.flac"), cache=cache)
    assert rc == 1 and out == ""
    assert f"{tmp_path / 'nope.wav'}: no such file or directory" in err
    assert f"{empty_dir}: no audio files in this directory" in err
    assert f"{tmp_path / '*.flac'}: no files match" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "args",
    [
        ("--beam-width", "0"),
        ("--hot-word", "nocolon"),
        ("--hot-word", "word:abc"),
        ("--format", "docx"),
        ("--threads", "-1"),
        ("--alpha", "0.5"),
    ],
)
def test_bad_options_are_usage_errors(cache, tmp_path, args) -> None:
    clip = tmp_path / "a.wav"
    sf.write(clip, np.zeros(1600, dtype=np.int16), 16000)
    rc, out, err = run("transcribe", str(clip), *args, cache=cache)
    assert rc == 2 and out == "" and "error" in err


def test_unknown_model_is_a_usage_error(cache, tmp_path) -> None:
    clip = tmp_path / "a.wav"
    sf.write(clip, np.zeros(1600, dtype=np.int16), 16000)
    rc, out, err = run("transcribe", str(clip), "--model", str(tmp_path / "missing-model.tflite"), cache=cache)
    assert rc == 2 and out == "" and err.startswith("pyds: error:")
    assert "Traceback" not in err


# -- with the recognizer ----------------------------------------------------------------------------------
# armenian_bundle: the conftest fixture (the real Armenian model, converted once and cached).


@pytest.fixture(scope="session")
def manifest() -> dict[str, str]:
    path = armenian_manifest()
    with open(path, encoding="utf-8", newline="") as f:
        return {row["file"]: row["reference_text"] for row in csv.DictReader(f, delimiter="\t")}


def _clip(name: str) -> Path:
    return armenian_clip(name)


def test_transcribe_prints_what_the_api_returns(cache, armenian_bundle) -> None:
    clip = _clip("s020_hy.wav")
    rc, out, err = run("transcribe", str(clip), "--model", str(armenian_bundle), cache=cache)
    assert rc == 0, err
    expected = pyds.Model(str(armenian_bundle)).stt_with_metadata(audio.load(clip))[0].text
    assert out == expected + "\n"
    assert out.strip()  # the model hears something in a 2.6 s sentence


def test_stdin_gives_the_same_result(cache, armenian_bundle) -> None:
    clip = _clip("s003_hy.wav")
    _, by_path, _ = run("transcribe", str(clip), "--model", str(armenian_bundle), cache=cache)
    rc, by_stdin, err = run(
        "transcribe",
        "-",
        "--model",
        str(armenian_bundle),
        "--threads",
        "1",
        cache=cache,
        stdin=clip.read_bytes(),
    )
    assert rc == 0, err
    assert by_stdin == by_path


def test_resampled_input_via_the_cli(cache, armenian_bundle, tmp_path) -> None:
    # (On the generated set, s116_hy's transcript is stable under the double resampling; s020_hy's moves by
    # several words: espeak-ng voices sit far from the model's training data.)
    clip = _clip("s116_hy.wav")
    x, rate = sf.read(clip, dtype="float32")
    stereo = tmp_path / "stereo44k.flac"
    import soxr

    up = soxr.resample(x, rate, 44100)
    sf.write(stereo, np.stack([up, up], axis=1), 44100)
    rc, out, err = run("transcribe", str(stereo), "--model", str(armenian_bundle), cache=cache)
    assert rc == 0, err
    _, ref, _ = run("transcribe", str(clip), "--model", str(armenian_bundle), cache=cache)
    # Resampling twice changes the samples a little; the transcript should not move by more than a word.
    assert len(set(out.split()) ^ set(ref.split())) <= 2


def test_output_dir_formats_and_a_failing_file(cache, armenian_bundle, tmp_path) -> None:
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    shutil.copy(_clip("s020_hy.wav"), src / "a.wav")
    shutil.copy(_clip("s030_hy.wav"), src / "sub" / "b.wav")
    (src / "broken.wav").write_bytes(b"RIFF....WAVEfmt garbage")
    out_dir = tmp_path / "out"
    for fmt, ext in formats.EXTENSIONS.items():
        rc, out, err = run(
            "transcribe",
            str(src),
            "--model",
            str(armenian_bundle),
            "--format",
            fmt,
            "--output-dir",
            str(out_dir),
            cache=cache,
        )
        assert rc == 1, err  # broken.wav failed ...
        assert out == ""
        assert "broken.wav" in err and err.count("pyds: error:") == 1
        a, b = out_dir / f"a{ext}", out_dir / "sub" / f"b{ext}"  # ... the others were still done
        assert a.is_file() and b.is_file() and not (out_dir / f"broken{ext}").exists()
    assert not [p for p in out_dir.rglob("*") if p.name.startswith(".")]  # no temp files left
    for name in ("a", "sub/b"):
        text = (out_dir / f"{name}.txt").read_text(encoding="utf-8").strip()
        doc = json.loads((out_dir / f"{name}.json").read_text(encoding="utf-8"))
        assert doc["text"] == text
        srt = parse_srt((out_dir / f"{name}.srt").read_text(encoding="utf-8"))
        vtt = parse_vtt((out_dir / f"{name}.vtt").read_text(encoding="utf-8"))
        assert " ".join(" ".join(c.lines) for c in srt).split() == text.split()
        assert [(c.start, c.end, c.lines) for c in srt] == [(c.start, c.end, c.lines) for c in vtt]
        assert all(c.end <= doc["duration"] + 0.05 for c in srt)
        rows = (out_dir / f"{name}.tsv").read_text(encoding="utf-8").splitlines()
        assert rows[0] == "start\tend\ttext" and " ".join(r.split("\t")[2] for r in rows[1:]) == text


def test_long_file_is_segmented_with_progress_on_stderr(cache, armenian_bundle) -> None:
    clip = _clip("long01_hy.wav")  # 71.9 s of sentences joined by 0.3-1.0 s pauses
    rc, out, err = run(
        "transcribe",
        str(clip),
        "--model",
        str(armenian_bundle),
        "--format",
        "json",
        "--progress",
        cache=cache,
    )
    assert rc == 0, err
    doc = json.loads(out)  # stdout holds the JSON and nothing else
    assert "long01_hy.wav" in err and "s/" in err  # the per-file bar, in seconds of audio, on stderr
    segments = doc["segments"]
    assert len(segments) >= 4
    last = 0.0
    for seg in segments:
        assert last <= seg["start"] < seg["end"] <= doc["duration"] + 0.02
        assert seg["end"] - seg["start"] <= 20.0
        for w in seg["words"]:
            assert seg["start"] - 0.02 <= w["start"] <= w["end"] <= seg["end"] + 0.02
        for t in seg["tokens"]:
            assert seg["start"] - 0.02 <= t["start_time"] <= seg["end"] + 0.02
        last = seg["end"]
    assert doc["text"] == " ".join(s["text"].strip() for s in segments if s["text"].strip())


def test_python_api_and_cli_give_the_same_long_file_result(cache, armenian_bundle) -> None:
    """One long-audio pipeline: pyds.transcribe (a path or the samples) = pyds transcribe, segments and times."""
    clip = _clip("long01_hy.wav")
    rc, out, err = run("transcribe", str(clip), "--model", str(armenian_bundle), "--format", "json", cache=cache)
    assert rc == 0, err
    doc = json.loads(out)

    def timeline(result: dict) -> list:
        return [
            (s["start"], s["end"], s["text"], [(t["text"], t["timestep"], t["start_time"]) for t in s["tokens"]])
            for s in result["segments"]
        ]

    assert len(doc["segments"]) >= 4
    samples, _ = sf.read(clip, dtype="int16")
    for source in (clip, samples):
        result = pyds.transcribe(source, model=armenian_bundle, details=True)
        assert json.loads(formats.to_json(result))["text"] == doc["text"]
        assert timeline(json.loads(formats.to_json(result))) == timeline(doc)
        assert pyds.transcribe(source, model=armenian_bundle) == doc["text"]


def test_several_inputs_to_stdout(cache, armenian_bundle) -> None:
    a, b = _clip("s003_hy.wav"), _clip("s020_hy.wav")
    rc, out, err = run("transcribe", str(a), str(b), "--model", str(armenian_bundle), "--format", "json", cache=cache)
    assert rc == 0, err
    docs = [json.loads(line) for line in out.splitlines()]  # JSON Lines: one object per input
    assert [Path(d["source"]).name for d in docs] == ["s003_hy.wav", "s020_hy.wav"]
    rc, out, err = run("transcribe", str(a), str(b), "--model", str(armenian_bundle), cache=cache)
    assert out.splitlines()[0] == f"==> {a} <==" and f"==> {b} <==" in out.splitlines()


def test_input_expansion_and_output_names(tmp_path) -> None:
    from pyds import cli

    (tmp_path / "d" / "deep").mkdir(parents=True)
    for rel in ("d/a.wav", "d/deep/a.flac", "d/notes.txt", "x/a.mp3"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"")
    files, errors = cli.expand_inputs(
        [str(tmp_path / "d"), str(tmp_path / "x" / "*.mp3"), str(tmp_path / "d" / "a.wav"), "-", "-"]
    )
    assert errors == []
    assert [f.display for f in files] == [
        str(tmp_path / "d" / "a.wav"),
        str(tmp_path / "d" / "deep" / "a.flac"),
        str(tmp_path / "x" / "a.mp3"),
        "<stdin>",
    ]  # each once
    names = cli._output_paths(files, tmp_path / "out", ".srt")
    assert names == [
        tmp_path / "out" / "a.srt",
        tmp_path / "out" / "deep" / "a.srt",
        tmp_path / "out" / "a-2.srt",
        tmp_path / "out" / "stdin.srt",
    ]


def test_many_short_files_are_batched_with_the_same_results(cache, armenian_bundle) -> None:
    clips = [_clip(n) for n in ("s003_hy.wav", "s020_hyw.wav", "s034_hy.wav", "s047_hy.wav", "s090_hyw.wav")]
    rc, out, err = run("transcribe", *map(str, clips), "--model", str(armenian_bundle), "--format", "json", cache=cache)
    assert rc == 0, err
    docs = [json.loads(line) for line in out.splitlines()]
    model = pyds.Model(str(armenian_bundle))
    assert [d["segments"][0]["text"] if d["segments"] else "" for d in docs] == [
        model.stt_with_metadata(audio.load(c))[0].text for c in clips
    ]
