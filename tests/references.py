"""The tests' reference data, made on first use into the test cache (PYDS_TEST_CACHE, ~/.cache/pyds-tests).

Nothing here reads ../shared: every reference is generated from committed inputs (tests/data) by real tools:
- Armenian speech clips: espeak-ng (``-v hy`` / ``-v hyw``) per row of tests/data/armenian_tts.tsv;
- the peer's transcripts of them: Coqui STT 1.4.0's own libstt.so (tests/coqui_peer.py);
- more references are added below, one generator each.

Each reference lives in ``<cache>/references/<kind>-<key>``, where the key hashes the generator's inputs: its own
source code, the committed input files it reads, the tool versions, and the references it is built from. A cache
made by other inputs is never used. A file lock serializes concurrent runs (pytest-xdist, two checkouts); a
reference is built in a temporary folder and renamed into place, so a reader never sees half of one.
"""

from __future__ import annotations

import csv
import fcntl
import hashlib
import inspect
import json
import os
import shutil
import subprocess
import tempfile
import wave
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
TEST_CACHE = Path(os.environ.get("PYDS_TEST_CACHE", Path.home() / ".cache" / "pyds-tests"))
REFERENCES = TEST_CACHE / "references"
RATE = 16000


class ReferenceUnavailable(RuntimeError):
    """A generator's tool cannot be had (no espeak-ng, no network for pip): the caller skips or fails."""


# ------------------------------------------------------------------------------------------------ the cache
def _digest(*parts: object) -> str:
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, Path):
            h.update(part.read_bytes())
        elif isinstance(part, bytes):
            h.update(part)
        else:
            h.update(json.dumps(part, sort_keys=True, default=str).encode())
        h.update(b"\0")
    return h.hexdigest()[:16]


def cached(kind: str, build: Callable[[Path], None], *inputs: object, uses: tuple[Callable, ...] = ()) -> Path:
    """The folder ``build(folder)`` fills, made once per distinct (source of build and of the helpers it ``uses``,
    inputs), under a lock."""
    key = _digest(*(inspect.getsource(f) for f in (build, *uses)), *inputs)
    target = REFERENCES / f"{kind}-{key}"
    if (target / ".done").is_file():
        return target
    REFERENCES.mkdir(parents=True, exist_ok=True)
    with open(REFERENCES / f"{kind}-{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / ".done").is_file():  # another process built it while we waited
            return target
        with tempfile.TemporaryDirectory(dir=REFERENCES, prefix=f".{kind}-") as tmp:
            work = Path(tmp) / "out"
            work.mkdir()
            build(work)
            (work / ".done").write_text(key)
            if target.exists():  # a leftover of a killed run without .done
                shutil.rmtree(target)
            os.replace(work, target)
    return target


def _tool_version(*argv: str) -> str:
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ReferenceUnavailable(f"{argv[0]} cannot run: {exc}") from exc
    if done.returncode != 0:
        raise ReferenceUnavailable(f"{' '.join(argv)} failed: {done.stderr.strip()[-300:]}")
    return done.stdout.strip()


def write_wav(path: Path, samples: np.ndarray, rate: int = RATE) -> None:
    """A 16-bit PCM WAV of int16 samples ([n] mono or [n, channels])."""
    samples = np.ascontiguousarray(samples, dtype="<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1 if samples.ndim == 1 else samples.shape[1])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())


def read_wav(path: Path) -> np.ndarray:
    """int16 samples of a 16-bit mono WAV file."""
    with wave.open(str(path)) as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")


# ------------------------------------------------------------------------------------------- speech synthesis
def espeak(text: str, voice: str, speed: int = 175, pitch: int = 50) -> np.ndarray:
    """espeak-ng's float32 speech for ``text`` at 16 kHz (its 22,050 Hz output resampled with soxr)."""
    import soxr

    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "out.wav"
        argv = ["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", str(wav), text]
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        except OSError as exc:
            raise ReferenceUnavailable(f"espeak-ng cannot run ({exc}); install it (apt-get install espeak-ng)") from exc
        if done.returncode != 0:
            raise ReferenceUnavailable(f"espeak-ng -v {voice} failed: {done.stderr.strip()[-300:]}")
        with wave.open(str(wav)) as w:
            rate = w.getframerate()
            x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768.0
    return soxr.resample(x, rate, RATE, quality="HQ").astype(np.float32)


def _colored_noise(n: int, color: str, rng: np.random.Generator) -> np.ndarray:
    """Unit-RMS white (flat), pink (1/f power) or brown (1/f^2 power) noise."""
    white = rng.standard_normal(n)
    if color != "white":
        spectrum = np.fft.rfft(white)
        f = np.arange(spectrum.size, dtype=np.float64)
        f[0] = 1.0
        spectrum *= f ** (-0.5 if color == "pink" else -1.0)
        spectrum[0] = 0.0
        white = np.fft.irfft(spectrum, n)
    return white / np.sqrt(np.mean(white**2))


def degrade(x: np.ndarray, noise: str, seed: int) -> np.ndarray:
    """Apply a manifest ``noise`` spec: none, ``<white|pink|brown>_snr<N>dB`` or ``gain_<+|->NdB``."""
    if noise == "none":
        return x
    if noise.startswith("gain_"):
        return x * np.float32(10 ** (float(noise[5:-2]) / 20))
    color, snr = noise.split("_snr")
    speech = x[np.abs(x) > 0.02 * np.abs(x).max()]
    rms = float(np.sqrt(np.mean(speech.astype(np.float64) ** 2)))
    return x + (_colored_noise(x.size, color, np.random.default_rng(seed)) * rms / 10 ** (float(snr[:-2]) / 20))


def to_int16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x * 32768.0), -32768, 32767).astype(np.int16)


def _armenian_rows() -> list[dict[str, str]]:
    with open(DATA / "armenian_tts.tsv", encoding="utf-8", newline="") as f:
        lines = [line for line in f if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def _build_armenian(out: Path) -> None:
    rows = _armenian_rows()
    sentences = {r["name"].split("_")[0]: r["text"] for r in rows if not r["name"].startswith("long")}
    manifest = []
    for row in rows:
        seed = zlib.crc32(row["name"].encode())
        voice, speed, pitch = row["voice"], int(row["speed"]), int(row["pitch"])
        if row["name"].startswith("long"):
            rng = np.random.default_rng(seed)
            texts = [sentences[i] for i in row["text"].split()]
            parts = []
            for text in texts:
                parts += [espeak(text, voice, speed, pitch), np.zeros(int(rng.uniform(0.3, 1.0) * RATE), np.float32)]
            x, reference = np.concatenate(parts[:-1]), " ".join(texts)
        else:
            x, reference = espeak(row["text"], voice, speed, pitch), row["text"]
        samples = to_int16(degrade(x, row["noise"], seed))
        write_wav(out / f"{row['name']}.wav", samples)
        manifest.append(
            [f"{row['name']}.wav", f"{samples.size / RATE:.4f}", reference, voice, speed, pitch, row["noise"]]
        )
    with open(out / "manifest.tsv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter="\t", lineterminator="\n")
        w.writerow(["file", "duration_s", "reference_text", "voice", "speed", "pitch", "noise"])
        w.writerows(manifest)


def armenian_clips() -> Path:
    """The Armenian set (40 short clips, 2 long files, manifest.tsv) synthesized by espeak-ng, cached.

    Same layout and names as the team's data/armenian-tts: ``<name>.wav`` (16 kHz mono int16) and manifest.tsv
    (file, duration_s, reference_text, voice, speed, pitch, noise).
    """
    import soxr

    version = _tool_version("espeak-ng", "--version")
    uses = (espeak, degrade, _colored_noise, to_int16, write_wav, _armenian_rows)
    return cached("armenian-tts", _build_armenian, DATA / "armenian_tts.tsv", version, soxr.__version__, uses=uses)


def armenian_clip(name: str) -> Path:
    """One clip of the generated Armenian set by name (``s003_hy`` or ``s003_hy.wav``)."""
    path = armenian_clips() / (name if name.endswith(".wav") else f"{name}.wav")
    if not path.is_file():
        raise KeyError(f"{path.name} is not in tests/data/armenian_tts.tsv")
    return path


# ------------------------------------------------------------------------------------------------ the peer
PEER_BEAMS = (100, 500)
# At beam 500 (slow on the peer), the clips the tests compare at the model's default beam width.
PEER_500 = ["s003_hy", "s003_hyw", "s020_hy", "s030_hy", "s039_hy", "s047_hy", "s078_hy", "s099_hyw", "s104_hy"]
PEER_500 += ["s105_hyw", "s116_hy"]


def _build_peer(out: Path) -> None:
    from conftest import fetch_armenian_model
    from coqui_peer import fetch_libs, run_in_subprocess

    clips = armenian_clips()
    libs = fetch_libs(TEST_CACHE)
    tflite = fetch_armenian_model()
    short = sorted(p for p in clips.glob("s*.wav"))
    rows = []
    for beam in PEER_BEAMS:
        wavs = short if beam == 100 else [clips / f"{n}.wav" for n in PEER_500]
        for name, r in sorted(run_in_subprocess(libs, tflite, beam, wavs).items()):
            timesteps = ",".join(str(t) for t in r["token_timesteps"])
            rows.append([name, beam, r["transcript"], repr(r["confidence"]), timesteps])
    with open(out / "peer_coqui_stt_1.4.0.tsv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter="\t", lineterminator="\n")
        w.writerow(["file", "beam_width", "transcript", "confidence", "token_timesteps"])
        w.writerows(rows)


def peer_transcripts() -> Path:
    """The peer's (Coqui STT 1.4.0 libstt.so) output on the generated Armenian set, as a TSV, cached.

    Columns: file, beam_width, transcript (STT_SpeechToText), confidence and token_timesteps (comma-separated,
    one per output character; STT_SpeechToTextWithMetadata). Beam 100 on every short clip; beam 500 on PEER_500.
    """
    from coqui_peer import STT_WHEEL

    clips = armenian_clips()
    return cached("peer", _build_peer, (clips / ".done").read_text(), STT_WHEEL, PEER_BEAMS, PEER_500) / (
        "peer_coqui_stt_1.4.0.tsv"
    )


def peer_rows(beam_width: int) -> dict[str, dict[str, str]]:
    """The peer's rows at ``beam_width``, by file name (``s003_hy.wav``)."""
    with open(peer_transcripts(), encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if int(r["beam_width"]) == beam_width]
    return {r["file"]: r for r in rows}


# ---------------------------------------------------------------------------------------- English LM + scorers
ENGLISH_LABELS = [" ", *"abcdefghijklmnopqrstuvwxyz", "'"]
KENLM_SDIST = "kenlm==0.3.0"
DS_CTCDECODER = "ds_ctcdecoder==0.9.3"
# DeepSpeech's smoke-test scorers' default alpha/beta (data/smoke_test/pruned_lm{,.bytes}.scorer).
WORD_ALPHA_BETA = (0.75, 1.85)
BYTES_ALPHA_BETA = (0.931289039105002, 1.1834137581510284)


def english_alphabet() -> Path:
    """DeepSpeech's English alphabet file (data/alphabet.txt): space, a..z, apostrophe; blank is the 29th class."""

    def build(out: Path) -> None:
        lines = ["# Each line is one label; the CTC blank is the extra last class.", *ENGLISH_LABELS, "# end"]
        (out / "alphabet.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")

    return cached("alphabet", build, ENGLISH_LABELS) / "alphabet.txt"


def english_corpus() -> list[list[str]]:
    """English sentences (lowercase words of the alphabet) from the Python reference manual's prose (pydoc_data,
    in every CPython): about 64,000 words, 3,200 distinct, a corpus any machine has without a download."""
    import re
    from pydoc_data.topics import topics

    sentences = []
    for name in sorted(topics):
        for part in re.split(r"[.!?:;\n]+", topics[name].lower()):
            words = re.findall(r"[a-z]+(?:'[a-z]+)?", part)
            if len(words) >= 2:
                sentences.append(words)
    return sentences


def write_counted_arpa(path: Path, sentences: list[list[str]], order: int, discount: float = 0.7) -> list[str]:
    """An ARPA back-off LM estimated from ``sentences`` (absolute-discount style: every seen n-gram with
    log10(discount * c(h w) / c(h)), back-off log10(1 - discount)); returns the vocabulary, sorted."""
    import math
    from collections import Counter

    counts: list[Counter] = [Counter() for _ in range(order)]
    for s in sentences:
        full = ["<s>", *s, "</s>"]
        for n in range(1, order + 1):
            for i in range(len(full) - n + 1):
                counts[n - 1][tuple(full[i : i + n])] += 1
    counts[0][("<unk>",)] += 1
    total = sum(c for g, c in counts[0].items() if g != ("<s>",))
    backoff = round(math.log10(1 - discount), 6)
    lines = ["\\data\\"] + [f"ngram {n + 1}={len(c)}" for n, c in enumerate(counts)] + [""]
    for n, grams in enumerate(counts, start=1):
        lines.append(f"\\{n}-grams:")
        for gram in sorted(grams):
            if gram == ("<s>",):
                prob = -99.0
            elif n == 1:
                prob = round(math.log10(grams[gram] / total), 6)
            else:
                prob = round(math.log10(discount * grams[gram] / counts[n - 2][gram[:-1]]), 6)
            fields = [str(prob), " ".join(gram)]
            if n < order and gram[-1] != "</s>":
                fields.append(str(backoff))
            lines.append("\t".join(fields))
        lines.append("")
    lines.append("\\end\\")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return sorted(w for (w,) in counts[0] if w not in ("<s>", "</s>", "<unk>"))


def _pip(python: str, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run(
        [python, "-m", "pip", "--disable-pip-version-check", *args], capture_output=True, text=True, timeout=timeout
    )


def _build_kenlm(out: Path) -> None:
    import sys
    import tarfile
    from concurrent.futures import ThreadPoolExecutor

    tmp = out / "src"
    cmd = ["download", "--no-deps", "--no-binary", "kenlm", "--no-build-isolation", "-d", str(tmp), KENLM_SDIST]
    done = _pip(sys.executable, *cmd)
    if done.returncode != 0:  # no setuptools in this environment: let pip fetch the build requirements
        done = _pip(sys.executable, *[a for a in cmd if a != "--no-build-isolation"])
    sdists = list(tmp.glob("kenlm-*.tar.gz"))
    if done.returncode != 0 or not sdists:
        raise ReferenceUnavailable(f"cannot download {KENLM_SDIST} with pip: {done.stderr.strip()[-500:]}")
    with tarfile.open(sdists[0]) as tar:
        tar.extractall(tmp, filter="data") if sys.version_info >= (3, 12) else tar.extractall(tmp)
    src = next(tmp.glob("kenlm-*/"))
    sources = [
        p
        for d in ("util/double-conversion", "util", "lm")
        for p in sorted((src / d).glob("*.cc"))
        if not p.name.endswith(("main.cc", "test.cc"))
    ]
    flags = ["-I", str(src), "-O1", "-DNDEBUG", "-DKENLM_MAX_ORDER=6", "-w"]

    def compile_one(cc: Path) -> subprocess.CompletedProcess:
        argv = ["g++", *flags, "-c", str(cc), "-o", str(cc.with_suffix(".o"))]
        return subprocess.run(argv, capture_output=True, text=True)

    with ThreadPoolExecutor(max_workers=2) as pool:
        failed = [r for r in pool.map(compile_one, sources) if r.returncode != 0]
    if failed:
        raise ReferenceUnavailable(f"cannot compile KenLM's build_binary: {failed[0].stderr[-500:]}")
    objects = [str(p.with_suffix(".o")) for p in sources]
    main = str(src / "lm" / "build_binary_main.cc")
    link = subprocess.run(
        ["g++", *flags, main, *objects, "-o", str(out / "build_binary"), "-lrt"], capture_output=True, text=True
    )
    if link.returncode != 0:
        raise ReferenceUnavailable(f"cannot link KenLM's build_binary: {link.stderr[-500:]}")
    shutil.rmtree(tmp)


def build_binary() -> Path:
    """KenLM's build_binary, compiled once from the PyPI kenlm sdist (query code only, no Boost needed)."""
    return cached("kenlm-build-binary", _build_kenlm, KENLM_SDIST) / "build_binary"


def python39() -> str:
    """A CPython 3.9 (ds_ctcdecoder 0.9.3 has wheels for cp39 at the newest): PYDS_PYTHON39, python3.9 on PATH,
    or pyenv's."""
    candidates = [os.environ.get("PYDS_PYTHON39", "")]
    candidates += sorted(str(p) for p in Path.home().glob(".pyenv/versions/3.9*/bin/python3"))
    candidates.append(shutil.which("python3.9") or "")
    probe = "import sys; assert sys.version_info[:2] == (3, 9)"
    for python in filter(None, candidates):
        if subprocess.run([python, "-c", probe], capture_output=True).returncode == 0:
            return python
    raise ReferenceUnavailable("no Python 3.9 for ds_ctcdecoder==0.9.3 (set PYDS_PYTHON39)")


def make_venv(out: Path, python: str, *packages: str) -> None:
    """A venv at ``out/venv`` made by ``python``, with ``packages`` installed by pip."""
    made = subprocess.run([python, "-m", "venv", str(out / "venv")], capture_output=True, text=True)
    if made.returncode != 0:
        raise ReferenceUnavailable(f"cannot create a venv with {python}: {made.stderr.strip()[-400:]}")
    done = _pip(str(out / "venv" / "bin" / "python"), "install", "-q", *packages)
    if done.returncode != 0:
        raise ReferenceUnavailable(f"pip cannot install {' '.join(packages)}: {done.stderr.strip()[-400:]}")


def _build_ds_venv(out: Path) -> None:
    make_venv(out, python39(), DS_CTCDECODER, "numpy<2")


def ds_python() -> str:
    """The python of a Python 3.9 venv holding DeepSpeech's ds_ctcdecoder==0.9.3 (made once, cached)."""
    # The venv is keyed by the interpreter it was made from: a venv of a removed Python is never reused.
    return str(
        cached("ds-ctcdecoder-venv", _build_ds_venv, DS_CTCDECODER, python39(), uses=(make_venv,))
        / "venv"
        / "bin"
        / "python"
    )


def run_oracle(job: dict) -> dict:
    """tests/ds_oracle.py (ds_ctcdecoder 0.9.3) on ``job`` in its venv."""
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "job.json", Path(tmp) / "out.json"
        src.write_text(json.dumps(job), encoding="utf-8")
        done = subprocess.run([ds_python(), str(HERE / "ds_oracle.py"), str(src), str(dst)], capture_output=True)
        if done.returncode != 0:
            raise RuntimeError(f"ds_ctcdecoder oracle failed: {done.stderr.decode(errors='replace')[-2000:]}")
        return json.loads(dst.read_text(encoding="utf-8"))


def _build_scorers(out: Path) -> None:
    binary = build_binary()
    # Word mode: a 4-gram over the corpus's words, as DeepSpeech's generate_lm.py builds it (-v -a 255 -q 8 -b 8 trie).
    vocab = write_counted_arpa(out / "lm.arpa", english_corpus(), order=4)
    (out / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    # Bytes mode: a 2-gram over the corpus's characters, each "word" one codepoint, no space.
    chars = [list(" ".join(s).replace(" ", "")) for s in english_corpus()]
    char_vocab = write_counted_arpa(out / "bytes.arpa", chars, order=2)
    (out / "bytes_vocab.txt").write_text("\n".join(char_vocab) + "\n", encoding="utf-8")
    for arpa, lm in (("lm.arpa", "lm.binary"), ("bytes.arpa", "bytes.binary")):
        argv = [
            str(binary),
            "-S",
            "64M",
            "-v",
            "-a",
            "255",
            "-q",
            "8",
            "-b",
            "8",
            "trie",
            str(out / arpa),
            str(out / lm),
        ]
        done = subprocess.run(argv, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"build_binary {arpa} failed: {done.stderr[-800:]}")
    # pyds-build-scorer packs them (ds_ctcdecoder 0.9.3 cannot: its fill_dictionary takes a C++ unordered_set
    # that its SWIG binding cannot build); DeepSpeech's own reader must then accept each package.
    from pyds.build_scorer import main as build_scorer

    alphabet = str(english_alphabet())
    for lm, vocab_file, abc, (alpha, beta), name in (
        ("lm.binary", "vocab.txt", alphabet, WORD_ALPHA_BETA, "lm.scorer"),
        ("bytes.binary", "bytes_vocab.txt", "utf8", BYTES_ALPHA_BETA, "lm.bytes.scorer"),
    ):
        mode = ["--utf8"] if abc == "utf8" else ["--alphabet", abc]
        argv = ["--lm", str(out / lm), "--vocabulary", str(out / vocab_file), *mode, "-o", str(out / name)]
        if build_scorer([*argv, "--default-alpha", repr(alpha), "--default-beta", repr(beta)]) != 0:
            raise RuntimeError(f"pyds-build-scorer failed on {lm}")
        read = run_oracle({"op": "check", "scorer": str(out / name), "alphabet": abc})
        if read != {"max_order": 4 if abc != "utf8" else 2, "utf8_mode": abc == "utf8"}:
            raise RuntimeError(f"DeepSpeech reads {name} as {read}")
    for name in ("lm.binary", "bytes.binary", "bytes.arpa"):
        (out / name).unlink()


def scorers() -> Path:
    """A folder with DeepSpeech scorer packages (KenLM's build_binary, packed by pyds-build-scorer, read back by
    DeepSpeech's ds_ctcdecoder 0.9.3), cached:
    - ``lm.scorer``: English, word mode, 4-gram KenLM trie (q8) over english_corpus(), vocabulary ``vocab.txt``
      (about 3,200 words), default alpha/beta WORD_ALPHA_BETA; ``lm.arpa`` is its ARPA source;
    - ``lm.bytes.scorer``: UTF-8 (bytes) mode, 2-gram over single characters, default alpha/beta BYTES_ALPHA_BETA.
    """
    uses = (english_corpus, write_counted_arpa)
    inputs = (english_alphabet().read_bytes(), _digest(english_corpus()), WORD_ALPHA_BETA, BYTES_ALPHA_BETA)
    key_tools = ((build_binary().parent / ".done").read_text(), Path(ds_python()).parent.parent.parent.name)
    return cached("scorers", _build_scorers, *inputs, *key_tools, uses=uses)


# ------------------------------------------------------------------------------------- decoder golden cases
# (id, probs id, beam, num_results, cutoff_prob, cutoff_top_n, scorer, (alpha, beta) or None = defaults, hot words)
DECODER_CASES = [
    ("a01_beam1", "a01", 1, 1, 1.0, 40, None, None, {}),
    ("a01_beam16", "a01", 16, 5, 1.0, 40, None, None, {}),
    ("a01_beam4_n10", "a01", 4, 10, 1.0, 40, None, None, {}),
    ("a02_beam16", "a02", 16, 5, 1.0, 40, None, None, {}),
    ("a02_beam100", "a02", 100, 10, 1.0, 40, None, None, {}),
    ("a03_beam100", "a03", 100, 5, 1.0, 40, None, None, {}),
    ("a03_beam500", "a03", 500, 5, 1.0, 40, None, None, {}),
    ("a04_beam1", "a04", 1, 1, 1.0, 40, None, None, {}),
    ("a04_beam500", "a04", 500, 3, 1.0, 40, None, None, {}),
    ("a05_beam1", "a05", 1, 1, 1.0, 40, None, None, {}),
    ("a05_beam16", "a05", 16, 5, 1.0, 40, None, None, {}),
    ("a05_beam100", "a05", 100, 5, 1.0, 40, None, None, {}),
    ("a05_beam500", "a05", 500, 10, 1.0, 40, None, None, {}),
    ("b01_default_beam16", "b01", 16, 5, 1.0, 40, "lm.scorer", None, {}),
    ("b01_default_beam1", "b01", 1, 1, 1.0, 40, "lm.scorer", None, {}),
    ("b02_default_beam100", "b02", 100, 5, 1.0, 40, "lm.scorer", None, {}),
    ("b02_explicit_beam100", "b02", 100, 5, 1.0, 40, "lm.scorer", (1.2, 0.5), {}),
    ("b03_default_beam500", "b03", 500, 5, 1.0, 40, "lm.scorer", None, {}),
    ("b04_oov_default_beam100", "b04", 100, 5, 1.0, 40, "lm.scorer", None, {}),
    ("b04_oov_explicit_beam500", "b04", 500, 8, 1.0, 40, "lm.scorer", (0.931289, 1.18341), {}),
    ("c01_nohot_beam100", "c01", 100, 5, 1.0, 40, "lm.scorer", None, {}),
    ("c01_hot_alt_beam100", "c01", 100, 5, 1.0, 40, "lm.scorer", None, "alt:5,alt:2"),
    ("c01_hot_neg_beam100", "c01", 100, 5, 1.0, 40, "lm.scorer", None, "ref:-4"),
    ("c01_hot_mixed_beam16", "c01", 16, 5, 1.0, 40, "lm.scorer", (0.931289, 1.18341), "alt:10,ref:-10,xyzzyq:3"),
    ("d01_bytes_scorer_beam100", "d01", 100, 5, 1.0, 40, "lm.bytes.scorer", None, {}),
    ("d01_bytes_noscorer_beam16", "d01", 16, 5, 1.0, 40, None, None, {}),
    ("d02_bytes_noscorer_beam100", "d02", 100, 5, 1.0, 40, None, None, {}),
    ("e01_allblank_beam16", "e01", 16, 5, 1.0, 40, None, None, {}),
    ("e01_allblank_scorer_beam16", "e01", 16, 5, 1.0, 40, "lm.scorer", None, {}),
    ("a02_prune_beam16", "a02", 16, 5, 0.9, 8, None, None, {}),
]
# probs id -> (seed, level, sentences of the corpus or literal text, utf8)
DECODER_PROBS = {
    "a01": (11, "clean", 1, False),
    "a02": (12, "normal", 3, False),
    "a03": (13, "noisy", 8, False),
    "a04": (14, "normal", 14, False),
    "a05": (15, "noisy", 4, False),
    "b01": (21, "normal", 2, False),
    "b02": (22, "normal", 4, False),
    "b03": (23, "noisy", 10, False),
    "b04": (24, "normal", 4, False),
    "c01": (31, "clean", 3, False),
    "d01": (41, "normal", "i recommend it but this one is bu", True),
    "d02": (42, "clean", "бедняга ребят на его месте должен был быть я", True),
    "e01": (51, "clean", "", False),
}
LEVELS = {"clean": (1.0, 0.03), "normal": (1.6, 0.08), "noisy": (2.3, 0.17)}  # logit noise sd, confusion rate
RIVALS = dict(zip("mnbpaeiotdsz", "nmpbeaoitzzs"))


def _labels(text: str, utf8: bool) -> list[int]:
    if utf8:
        return [b - 1 for b in text.encode("utf-8")]
    return [ENGLISH_LABELS.index(c) for c in text]


def synth_posteriors(text: str, utf8: bool, seed: int, level: str, ambiguities: dict[int, str] | None = None):
    """Softmax posteriors [T, C] (float32) of ``text`` laid out as CTC spikes, the blank last (C-1).

    Blank silence of 3-24 frames around it, each label held 1-3 frames, 0-4 blank frames between labels (at least
    1 between two equal labels); Gaussian logit noise, a blank competing on spikes, confusable rivals, weak
    spikes and spurious labels at the level's rate. ``ambiguities`` maps a character index to a rival character
    given about 42-45 % of that spike (a hot-word case's split). Returns (probs, spike_alignment).
    """
    rng = np.random.default_rng(seed)
    classes = 256 if utf8 else len(ENGLISH_LABELS) + 1
    blank = classes - 1
    sd, rate = LEVELS[level]
    sd *= np.sqrt(28 / 255) if utf8 else 1.0
    labels = _labels(text, utf8)
    frames: list[tuple[int, int | None]] = [(blank, None)] * int(rng.integers(3, 25))
    alignment = []
    char_of_label = []
    for i, ch in enumerate(text):
        char_of_label += [i] * len(ch.encode("utf-8") if utf8 else ch)
    for k, label in enumerate(labels):
        gap = int(rng.integers(0, 5))
        if k and labels[k - 1] == label:
            gap = max(gap, 1)
        frames += [(blank, None)] * gap
        alignment.append([len(frames), label])
        frames += [(label, k)] * int(rng.integers(1, 4))
    frames += [(blank, None)] * int(rng.integers(3, 25))
    logits = rng.standard_normal((len(frames), classes)) * sd
    for t, (label, k) in enumerate(frames):
        if label == blank:
            logits[t, blank] += 9.0
            if text and rng.random() < rate / 2:  # a spurious label in a gap
                logits[t, int(rng.integers(0, blank))] += 8.5
            continue
        weak = rng.random() < rate / 2
        logits[t, label] += 4.0 if weak else 9.0
        logits[t, blank] += rng.uniform(2.0, 7.0)
        ch = text[char_of_label[k]]
        if not utf8 and ch in RIVALS and rng.random() < rate:
            logits[t, ENGLISH_LABELS.index(RIVALS[ch])] += rng.uniform(7.0, 10.0)
        if ambiguities and char_of_label[k] in ambiguities:
            rival = ENGLISH_LABELS.index(ambiguities[char_of_label[k]])
            share = rng.uniform(0.42, 0.45)
            logits[t, rival] = logits[t, label] + np.log(share / (1 - share))
    if not text:  # all blank: every frame's blank probability stays at or above 0.999
        logits[:, blank] += 6.0
    z = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs = (z / z.sum(axis=1, keepdims=True)).astype(np.float32)
    return probs, alignment


def _decoder_texts(vocab: set[str]) -> dict[str, tuple[str, dict[int, str], dict[str, str]]]:
    """Per probs id: its text, its ambiguities (char index -> rival) and the hot-word roles (ref/alt words)."""
    corpus = [s for s in english_corpus() if 3 <= len(s) <= 14]
    rng = np.random.default_rng(2024)
    order = rng.permutation(len(corpus))
    texts, used = {}, 0
    for pid, (_, _, source, _) in DECODER_PROBS.items():
        if isinstance(source, str):
            texts[pid] = (source, {}, {})
            continue
        words: list[str] = []
        for _ in range(source):
            words += corpus[order[used]]
            used += 1
        if pid == "b04":  # out-of-vocabulary words the scorer must replace
            words[1:1] = ["zqxwv"]
            words[-1:] = ["blorptaxe"]
        text, amb, roles = " ".join(words), {}, {}
        if pid == "c01":  # split one letter of a word so that the rival spells another vocabulary word
            start = 0
            for w in words:
                for j, ch in enumerate(w):
                    for alt in "aeiou":
                        swapped = w[:j] + alt + w[j + 1 :]
                        if not roles and alt != ch and len(w) >= 3 and swapped in vocab:
                            amb[start + j], roles = alt, {"ref": w, "alt": swapped}
                start += len(w) + 1
            if not roles:
                raise RuntimeError("no hot-word ambiguity in the c01 sentence")
        texts[pid] = (text, amb, roles)
    return texts


def _hot_words(spec, roles: dict[str, str]) -> dict[str, float]:
    if isinstance(spec, dict):
        return spec
    out: dict[str, float] = {}
    for item in spec.split(","):
        role, boost = item.split(":")
        out[roles.get(role, role)] = out.get(roles.get(role, role), 0.0) + float(boost)
    return out


def _build_decoder(out: Path) -> None:
    lm = scorers()
    vocab = set((lm / "vocab.txt").read_text(encoding="utf-8").split())
    texts = _decoder_texts(vocab)
    alignments = {}
    for pid, (seed, level, _, utf8) in DECODER_PROBS.items():
        text, amb, _ = texts[pid]
        probs, alignments[pid] = synth_posteriors(text, utf8, seed, level, amb)
        np.save(out / f"{pid}.npy", probs)
    shutil.copyfile(english_alphabet(), out / "alphabet.txt")
    for name in ("lm.scorer", "lm.bytes.scorer"):
        shutil.copyfile(lm / name, out / name)
    defaults = {"lm.scorer": WORD_ALPHA_BETA, "lm.bytes.scorer": BYTES_ALPHA_BETA}
    jobs, specs = [], []
    for cid, pid, beam, n, cutoff_prob, top_n, scorer, weights, hot in DECODER_CASES:
        utf8 = DECODER_PROBS[pid][3]
        text, _, roles = texts[pid]
        spec = {
            "id": cid,
            "category": {"a": "a_noscorer", "b": "b_scorer", "c": "c_hotwords", "d": "d_bytes", "e": "e_edge"}[cid[0]],
            "probs_file": f"{pid}.npy",
            "alphabet": "utf8" if utf8 else "alphabet.txt",
            "ref_text": text,
            "params": {
                "beam_size": beam,
                "cutoff_prob": cutoff_prob,
                "cutoff_top_n": top_n,
                "scorer": scorer,
                "alpha": weights[0] if weights else None,
                "beta": weights[1] if weights else None,
                "hot_words": _hot_words(hot, roles),
                "num_results": n,
            },
            "generation": {
                "seed": DECODER_PROBS[pid][0],
                "level": DECODER_PROBS[pid][1],
                "spike_alignment": alignments[pid],
            },
            "decoder": DS_CTCDECODER,
        }
        specs.append(spec)
        jobs.append(
            {
                "id": cid,
                "probs": str(out / f"{pid}.npy"),
                "alphabet": "utf8" if utf8 else str(out / "alphabet.txt"),
                "beam_size": beam,
                "cutoff_prob": cutoff_prob,
                "cutoff_top_n": top_n,
                "scorer": str(out / scorer) if scorer else None,
                "alpha_beta_used": list(weights or defaults.get(scorer, (0.0, 0.0))),
                "hot_words": spec["params"]["hot_words"],
                "num_results": n,
            }
        )
    results = run_oracle({"op": "decode", "cases": jobs})
    for spec in specs:
        utf8 = spec["alphabet"] == "utf8"
        spec["results"] = []
        for r in results[spec["id"]]:
            pairs = zip(r["labels"], r["timesteps"])
            if utf8:
                raw = bytes(label + 1 for label in r["labels"])
                r = {**r, "text": raw.decode("utf-8", errors="replace"), "text_bytes_hex": raw.hex()}
                r["tokens"] = [{"label": label, "timestep": t, "byte": label + 1} for label, t in pairs]
            else:
                r = {**r, "text": "".join(ENGLISH_LABELS[label] for label in r["labels"])}
                r["tokens"] = [{"label": label, "timestep": t, "char": ENGLISH_LABELS[label]} for label, t in pairs]
            spec["results"].append(r)
        (out / f"{spec['id']}.json").write_text(json.dumps(spec, ensure_ascii=False, indent=1), encoding="utf-8")
    index = [
        {k: s[k] for k in ("id", "probs_file", "category", "alphabet")} | {"scorer": s["params"]["scorer"]}
        for s in specs
    ]
    (out / "index.json").write_text(json.dumps({"set": "generated", "cases": index}, indent=1), encoding="utf-8")


def decoder_golden() -> Path:
    """Golden CTC beam-search cases: synthetic posteriors decoded by DeepSpeech's ds_ctcdecoder 0.9.3, cached.

    Same layout as the team's golden/decoder (index.json, ``<case>.json`` with params and results, alphabet.txt,
    the scorers), except that probabilities are ``<probs>.npy`` files and the scorers are scorers()'s.
    """
    uses = (synth_posteriors, _decoder_texts, _hot_words, _labels)
    inputs = (DECODER_CASES, DECODER_PROBS, LEVELS, RIVALS, (scorers() / ".done").read_text())
    return cached("decoder-golden", _build_decoder, *inputs, Path(ds_python()).parent.parent.parent.name, uses=uses)


# -------------------------------------------------------------------------------------------- feature goldens
TFLITE_RUNTIME = "tflite-runtime==2.14.0"
FEATURE_CLIPS = ["s104_hy", "s099_hyw", "s047_hy"]


def _build_tflite_venv(out: Path) -> None:
    import sys

    make_venv(out, sys.executable, TFLITE_RUNTIME, "numpy<2")


def tflite_python() -> str:
    """A Python with tflite-runtime 2.14.0 (and numpy<2: it is built against numpy 1), made once in the cache."""
    import sys

    venv = cached("tflite-venv", _build_tflite_venv, TFLITE_RUNTIME, sys.version, sys.executable, uses=(make_venv,))
    return str(venv / "venv" / "bin" / "python")


def _build_tflite_features(out: Path) -> None:
    from conftest import fetch_armenian_model

    clips = [f"{name}={armenian_clip(name)}" for name in FEATURE_CLIPS]
    argv = [tflite_python(), str(HERE / "tflite_oracle.py"), str(fetch_armenian_model()), str(out), *clips]
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"tflite_oracle.py failed: {done.stderr[-2000:]}")


def tflite_features() -> Path:
    """The Armenian model's own MFCCs (with the flush row), first input_node chunk and logits on tflite-runtime
    2.14.0 for FEATURE_CLIPS of the generated set (tests/tflite_oracle.py), cached; file names as golden/features."""
    clips = (armenian_clips() / ".done").read_text()
    venv = Path(tflite_python()).parent.parent.parent.name
    return cached("tflite-features", _build_tflite_features, FEATURE_CLIPS, clips, venv, HERE / "tflite_oracle.py")


def _build_tf_mfcc(out: Path) -> None:
    import tensorflow as tf

    # DeepSpeech's samples_to_mfccs (graph node `mfccs`) on 1 s of espeak-ng speech.
    x = to_int16(espeak("speech to text, one second", "en-us", speed=150))[:RATE]
    if x.size < RATE:
        raise RuntimeError(f"espeak-ng made only {x.size} samples")
    f = x.astype(np.float32) * np.float32(1 / 32768)
    spec = tf.raw_ops.AudioSpectrogram(input=f.reshape(-1, 1), window_size=512, stride=320, magnitude_squared=True)
    mfcc = tf.raw_ops.Mfcc(
        spectrogram=spec,
        sample_rate=RATE,
        upper_frequency_limit=8000.0,
        lower_frequency_limit=20.0,
        filterbank_channel_count=40,
        dct_coefficient_count=26,
    )
    np.save(out / "input.npy", x)
    np.save(out / "mfcc_tf.npy", mfcc.numpy().reshape(-1, 26).astype(np.float32))


def tf_mfcc() -> Path:
    """``input.npy`` (int16 [16000]: 1 s of espeak-ng en-us speech) and ``mfcc_tf.npy`` ([49, 26]: TensorFlow's
    AudioSpectrogram + Mfcc raw ops with DeepSpeech's parameters, one call over the whole signal), cached."""
    try:
        import tensorflow as tf
    except ImportError as exc:
        raise ReferenceUnavailable("TensorFlow is not installed (pip install .[test] brings tensorflow-cpu)") from exc
    import soxr

    versions = (tf.__version__, soxr.__version__, _tool_version("espeak-ng", "--version"))
    return cached("tf-mfcc", _build_tf_mfcc, *versions, uses=(espeak, to_int16))


# ------------------------------------------------------------------------------------------ English clips
ENGLISH_CLIPS = {
    "LDC93S1": "she had your dark suit in greasy wash water all year",
    "new-home-in-the-stars-16k": "we must find a new home in the stars",
}


def _build_english(out: Path) -> None:
    import soxr

    for name, text in ENGLISH_CLIPS.items():
        # A recording's noise floor (espeak-ng's digital silence has none): brown noise at 40 dB SNR.
        x = to_int16(degrade(espeak(text, "en-us"), "brown_snr40dB", zlib.crc32(name.encode())))
        write_wav(out / f"{name}.wav", x)
    x = read_wav(out / "LDC93S1.wav").astype(np.float32) / 32768.0
    # As DeepSpeech's smoke-test copies: 8 kHz mono, and 44.1 kHz stereo with the signal at -3 dB in each channel.
    write_wav(out / "LDC93S1_pcms16le_1_8000.wav", to_int16(soxr.resample(x, RATE, 8000, quality="HQ")), 8000)
    wide = to_int16(soxr.resample(x, RATE, 44100, quality="HQ") / np.sqrt(2.0))
    write_wav(out / "LDC93S1_pcms16le_2_44100.wav", np.stack([wide, wide], axis=1), 44100)


def english_clips() -> Path:
    """English espeak-ng clips named as DeepSpeech's smoke-test data (LDC93S1.wav and its 8 kHz mono and 44.1 kHz
    stereo copies, new-home-in-the-stars-16k.wav), cached. Transcripts: ENGLISH_CLIPS."""
    import soxr

    version = _tool_version("espeak-ng", "--version")
    uses = (espeak, degrade, _colored_noise, to_int16, write_wav, read_wav)
    return cached("english-clips", _build_english, ENGLISH_CLIPS, version, soxr.__version__, uses=uses)
