"""The live-captions page in a real browser: Debian's chromium (headless, driven by Playwright) with a synthesized
WAV as its microphone. The page resamples the fake device's 48 kHz to 16 kHz in its AudioWorklet, streams it to
/ws, and must show the captions the server gives for the same file; its upload form returns the OpenAI
endpoint's text and downloads .srt/.vtt that parse."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import levenshtein, missing
from test_formats import parse_srt, parse_vtt
from test_server import KEY, SAMPLE, final_text, padded, start_server, vosk_session

from pyds import audio, formats, pipeline

playwright_api = pytest.importorskip("playwright.sync_api", reason="the test extra installs playwright")

DEVICE_RATE = 48000  # what chromium's fake capture device runs at


@pytest.fixture(scope="module")
def chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        missing("chromium is not installed (apt-get install chromium)")
    return exe


@pytest.fixture(scope="module")
def server(armenian_bundle, tmp_path_factory):
    proc = start_server(armenian_bundle, tmp_path_factory.mktemp("browser") / "serve.log", "--api-key", KEY)
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def microphone_wav(tmp_path_factory) -> Path:
    """The Armenian sample at the device's rate with a second of silence at both ends (16-bit WAV)."""
    samples = audio.load(SAMPLE, DEVICE_RATE, dither=False)
    pcm = padded(np.clip(np.round(samples * 32768), -32768, 32767).astype(np.int16), DEVICE_RATE)
    path = tmp_path_factory.mktemp("mic") / "speech-48k.wav"
    sf.write(path, pcm, DEVICE_RATE, subtype="PCM_16")
    return path


def test_page_captions_match_the_server(server, chromium, microphone_wav, tmp_path) -> None:
    pcm, rate = sf.read(microphone_wav, dtype="int16")
    expected = final_text(asyncio.run(vosk_session(server.ws_url, pcm, rate)))
    assert expected
    seconds = pcm.size / rate

    sync_playwright = playwright_api.sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium,
            headless=True,
            args=[
                "--no-sandbox",
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-audio-capture={microphone_wav}%noloop",
                "--autoplay-policy=no-user-gesture-required",
            ],
        )
        try:
            context = browser.new_context(accept_downloads=True, viewport={"width": 1000, "height": 820})
            context.grant_permissions(["microphone"], origin=server.url)
            page = context.new_page()
            console: list[str] = []
            page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
            page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
            sent: list[str | bytes] = []  # every frame the page sends on its WebSocket, in order
            page.on("websocket", lambda ws: ws.on("framesent", lambda frame: sent.append(frame)))
            page.goto(f"{server.url}/?api_key={KEY}")
            page.wait_for_selector("#model:not(:empty)", timeout=10_000)

            page.click("#record")
            page.wait_for_selector("body[data-state=recording]", timeout=20_000)
            device_rate = int(page.get_attribute("#status", "data-rate") or 0)
            partials: set[str] = set()
            deadline = seconds + 1.5
            waited = 0.0
            while waited < deadline:  # the fake microphone plays in real time
                text = page.text_content("#partial") or ""
                if text:
                    partials.add(text)
                page.wait_for_timeout(100)
                waited += 0.1
            page.click("#record")
            page.wait_for_selector("body[data-state=idle]", timeout=60_000)
            finals = [t.strip() for t in page.locator("#transcript .final").all_text_contents()]
            colors = page.evaluate(
                """() => {
                    const p = document.createElement('span'); p.className = 'partial';
                    document.getElementById('transcript').appendChild(p);
                    const f = document.querySelector('#transcript .final');
                    const c = [getComputedStyle(f).color, getComputedStyle(p).color];
                    p.remove(); return c;
                }"""
            )
            page.screenshot(path=str(tmp_path / "captions.png"), full_page=True)

            # The upload form: the OpenAI endpoint's text, and .srt/.vtt downloads.
            page.set_input_files("#file", str(SAMPLE))
            page.click("#upload")
            page.wait_for_function("document.getElementById('file-status').textContent === 'Done.'", timeout=60_000)
            uploaded_text = page.text_content("#file-result")
            downloads = {}
            for fmt in ("srt", "vtt"):
                with page.expect_download(timeout=60_000) as info:
                    page.click(f"#download-{fmt}")
                target = tmp_path / f"sample.{fmt}"
                info.value.save_as(target)
                downloads[fmt] = (info.value.suggested_filename, target.read_text(encoding="utf-8"))
            page.screenshot(path=str(tmp_path / "page.png"), full_page=True)
        finally:
            browser.close()

    assert device_rate in (44100, 48000), console
    assert [c for c in console if c.startswith(("error", "pageerror"))] == []
    captions = " ".join(f for f in finals if f)
    # The captions are exactly what the server returns for the audio the page sent: replay its frames.
    assert isinstance(sent[0], str) and '"sample_rate": 16000' in sent[0].replace(":16000", ": 16000")
    assert sent[-1] == '{"eof" : 1}'
    audio_frames = [f for f in sent if isinstance(f, bytes)]
    assert len(audio_frames) >= 0.9 * seconds / 0.16
    assert all(len(f) == 2 * 2560 for f in audio_frames[:-1])  # 160 ms frames of 16 kHz s16le
    assert captions == final_text(asyncio.run(replay(server.ws_url, sent)))
    # And what the page heard is what the server hears from the file (the model is sensitive to the resampler:
    # the page's low-pass filter is not soxr's, so the text may differ in a few characters).
    assert levenshtein(captions, expected) <= 0.4 * len(expected), (captions, expected)
    assert partials, "no partial caption was shown while speaking"
    assert colors[0] == "rgb(17, 17, 17)" and colors[1] == "rgb(138, 143, 152)"  # finals black, partials grey

    import pyds

    model_result = pipeline.transcribe_source(pyds.Model(server_bundle(server)), SAMPLE)
    assert uploaded_text == model_result.text
    assert downloads["srt"][0] == "hy-sample.srt" and downloads["vtt"][0] == "hy-sample.vtt"
    assert downloads["srt"][1] == formats.to_srt(model_result) and parse_srt(downloads["srt"][1])
    assert downloads["vtt"][1] == formats.to_vtt(model_result) and parse_vtt(downloads["vtt"][1])


def test_page_reconnects_with_backoff(armenian_bundle, chromium, tmp_path) -> None:
    """The server dies mid-recording and comes back: the page retries with backoff, sends what it heard meanwhile
    (a bounded backlog) and captions go on."""
    speech = audio.load(SAMPLE, DEVICE_RATE, dither=False)
    speech = np.clip(np.round(speech * 32768), -32768, 32767).astype(np.int16)
    gap = np.zeros(int(1.2 * DEVICE_RATE), dtype=np.int16)
    mic = tmp_path / "three-utterances.wav"
    sf.write(mic, np.concatenate([gap, speech, gap, speech, gap, speech, gap]), DEVICE_RATE, subtype="PCM_16")
    seconds = sf.info(mic).duration
    log = tmp_path / "serve.log"
    server = start_server(armenian_bundle, log, "--api-key", KEY)
    states: list[str] = []
    try:
        with playwright_api.sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=chromium,
                headless=True,
                args=[
                    "--no-sandbox",
                    "--use-fake-ui-for-media-stream",
                    "--use-fake-device-for-media-stream",
                    f"--use-file-for-fake-audio-capture={mic}%noloop",
                ],
            )
            try:
                context = browser.new_context()
                context.grant_permissions(["microphone"], origin=server.url)
                page = context.new_page()
                page.goto(f"{server.url}/?api_key={KEY}")
                page.click("#record")
                page.wait_for_selector("#transcript .final", timeout=30_000)  # the first utterance is captioned
                started = page.evaluate("performance.now()")
                server.proc.kill()  # a crash: no close handshake
                server.proc.wait(timeout=30)
                page.wait_for_selector("body[data-state=reconnecting]", timeout=15_000)
                states.append(page.text_content("#status") or "")
                server = start_server(armenian_bundle, log, "--api-key", KEY, port=server.port)
                page.wait_for_selector("body[data-state=recording]", timeout=60_000)
                elapsed = (page.evaluate("performance.now()") - started) / 1000
                page.wait_for_timeout(max(0.0, seconds - elapsed) * 1000 + 1500)
                page.click("#record")
                page.wait_for_selector("body[data-state=idle]", timeout=60_000)
                finals = [t.strip() for t in page.locator("#transcript .final").all_text_contents() if t.strip()]
            finally:
                browser.close()
    finally:
        server.stop()
    assert "retrying in" in states[0]
    assert len(finals) >= 2, finals  # captions after the reconnection too
    import re

    # The restarted server's session (the first one was killed before it could log) recognized utterances.
    ended = re.findall(r"session 1, ([0-9.]+) s audio, (\d+) utterance", server.log_text())
    assert ended and float(ended[-1][0]) > 2 and int(ended[-1][1]) >= 1, server.log_text()[-3000:]


async def replay(url: str, sent: list[str | bytes]) -> list[dict]:
    """Send the page's frames again, as they were, and collect the replies."""
    from websockets.asyncio.client import connect

    replies = []
    async with connect(url + f"?api_key={KEY}") as ws:
        for frame in sent:
            await ws.send(frame)
            if isinstance(frame, bytes) or '"config"' not in frame:
                replies.append(json.loads(await ws.recv()))
    return replies


def test_page_resampler_is_a_proper_low_pass(server, chromium) -> None:
    """The AudioWorklet's 48 kHz → 16 kHz output, rendered offline in chromium, against soxr's (HQ)."""
    import soxr

    samples = audio.load(SAMPLE, DEVICE_RATE, dither=False)
    t = np.arange(DEVICE_RATE) / DEVICE_RATE
    alias = (0.25 * np.sin(2 * np.pi * 12000 * t)).astype(np.float32)  # above 8 kHz: must not fold to 4 kHz
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto(server.url + "/")
            render = """async ([samples, rate]) => {
                const ctx = new OfflineAudioContext(1, samples.length + rate, rate);
                await ctx.audioWorklet.addModule('/static/resampler-worklet.js');
                const node = new AudioWorkletNode(ctx, 'pyds-resampler',
                                                  {processorOptions: {targetRate: 16000, frameMs: 160}});
                const got = [];
                node.port.onmessage = (e) => {
                    if (e.data instanceof ArrayBuffer) got.push(...new Int16Array(e.data));
                };
                const buffer = ctx.createBuffer(1, samples.length, rate);
                buffer.copyToChannel(Float32Array.from(samples), 0);
                const source = ctx.createBufferSource();
                source.buffer = buffer; source.connect(node); node.connect(ctx.destination); source.start();
                await ctx.startRendering();
                await new Promise((r) => setTimeout(r, 300));
                return got;
            }"""
            speech = np.array(page.evaluate(render, [samples.tolist(), DEVICE_RATE]), dtype=np.float32) / 32768
            folded = np.array(page.evaluate(render, [alias.tolist(), DEVICE_RATE]), dtype=np.float32) / 32768
        finally:
            browser.close()
    reference = soxr.resample(samples, DEVICE_RATE, 16000, quality="HQ")
    n = min(speech.size, reference.size) - 200
    assert n > 0.9 * reference.size
    error = speech[:n] - reference[:n]  # no delay: the filter is centred on each output sample
    snr = 10 * np.log10(np.sum(reference[:n] ** 2) / np.sum(error**2))
    assert snr > 30, snr
    steady = folded[1600:14400]  # away from the tone's abrupt start and end (broadband clicks)
    assert steady.size == 12800
    assert np.sqrt(np.mean(steady**2)) < 0.25 / np.sqrt(2) * 10 ** (-60 / 20)  # a 12 kHz tone is gone (< -60 dB)


def server_bundle(server) -> str:
    args = server.proc.args
    return str(args[args.index("--model") + 1])
