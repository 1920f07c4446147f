"""Batched live streams: streams of one Model fed from many threads share batched inference (the live scheduler),
and every stream's results equal running it alone (text, confidence, token timesteps, probabilities)."""

from __future__ import annotations

import threading
import time
import wave
from pathlib import Path

import numpy as np
import pytest
from conftest import armenian_clip, run_in_threads

import pyds

BEAM = 100
CLIPS = ["s003_hy", "s020_hyw", "s034_hy", "s039_hyw", "s043_hy", "s044_hyw", "s047_hy", "s077_hy", "s090_hyw",
         "s104_hy", "s116_hyw", "s077_hyw"]  # fmt: skip


def clip(name: str) -> np.ndarray:
    with wave.open(str(armenian_clip(name))) as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)


@pytest.fixture(scope="module")
def live(armenian_bundle: Path) -> pyds.Model:
    return pyds.Model(armenian_bundle, beam_width=BEAM)


@pytest.fixture(scope="module")
def alone(armenian_bundle: Path) -> pyds.Model:
    return pyds.Model(armenian_bundle, beam_width=BEAM, batch_streams=False)


def key(t: pyds.Transcript) -> tuple:
    return t.text, t.confidence, [(k.text, k.timestep) for k in t.tokens]


def lone_result(model: pyds.Model, audio: np.ndarray, piece: int) -> tuple:
    stream = model.create_stream()
    for start in range(0, len(audio), piece):
        stream.feed_audio_content(audio[start : start + piece])
    return key(stream.finish_stream_with_metadata()[0])


def test_streams_are_batched_by_default(live: pyds.Model, alone: pyds.Model):
    assert live.batch_streams and not alone.batch_streams
    assert live.create_stream()._core.batched
    assert not alone.create_stream()._core.batched


def test_threads_share_batched_requests_with_lone_results(live: pyds.Model, alone: pyds.Model):
    audio = {n: clip(n) for n in CLIPS}
    pieces = {n: 800 + 517 * i for i, n in enumerate(CLIPS)}  # every thread feeds pieces of its own size
    expected = {n: lone_result(alone, a, pieces[n]) for n, a in audio.items()}
    got: dict[str, list[tuple]] = {n: [] for n in CLIPS}
    start = threading.Barrier(len(CLIPS))
    rounds, rows = live._core.live_rounds, live._core.live_rows

    def work(name: str) -> None:
        start.wait()
        for _ in range(2):
            stream = live.create_stream()
            a, piece = audio[name], pieces[name]
            for i in range(0, len(a), piece):
                stream.feed_audio_content(a[i : i + piece])
                time.sleep(0.001)  # interleave with the other threads, as live clients do
            got[name].append(key(stream.finish_stream_with_metadata()[0]))

    run_in_threads(work, CLIPS)
    for n in CLIPS:
        assert got[n] == [expected[n]] * 2, n
    # The chunks really ran as rows of shared requests: fewer requests than chunks.
    new_rounds, new_rows = live._core.live_rounds - rounds, live._core.live_rows - rows
    assert new_rows > 0 and new_rounds < new_rows


def test_intermediate_decode_sees_all_fed_audio(live: pyds.Model, alone: pyds.Model):
    audio = clip(CLIPS[3])
    batched, lone = live.create_stream(), alone.create_stream()
    for start in range(0, len(audio), 4000):
        piece = audio[start : start + 4000]
        batched.feed_audio_content(piece)
        lone.feed_audio_content(piece)
        assert batched.timesteps == lone.timesteps
        assert [key(t) for t in batched.intermediate_decode_with_metadata(2)] == [
            key(t) for t in lone.intermediate_decode_with_metadata(2)
        ]
    assert key(batched.intermediate_decode_flush_buffers()[0]) == key(lone.intermediate_decode_flush_buffers()[0])
    assert key(batched.finish_stream_with_metadata()[0]) == key(lone.finish_stream_with_metadata()[0])
    # reset() starts a new utterance from zero state on the same slot.
    batched.reset()
    batched.feed_audio_content(audio)
    assert batched.finish_stream() == alone.stt(audio)


def test_probabilities_and_one_shot_results_equal_alone(live: pyds.Model, alone: pyds.Model):
    audio = clip(CLIPS[5])
    np.testing.assert_array_equal(live.compute_probabilities(audio), alone.compute_probabilities(audio))
    assert key(live.stt_with_metadata(audio)[0]) == key(alone.stt_with_metadata(audio)[0])
    assert live.stt(np.zeros(0, np.int16)) == ""


def test_a_long_feed_is_bounded_and_exact(live: pyds.Model, alone: pyds.Model):
    # ~40 s fed in one call: far more chunks than a stream may have in flight, so feeding waits for room.
    audio = np.concatenate([clip(n) for n in CLIPS[:10]])
    assert key(live.stt_with_metadata(audio)[0]) == key(alone.stt_with_metadata(audio)[0])


def test_getters_do_not_block_other_threads(live: pyds.Model):
    # Getters release the GIL before taking the stream lock: a reader thread polling them while another thread
    # feeds the same stream must neither deadlock nor stall the interpreter.
    audio = clip(CLIPS[0])
    stream = live.create_stream()
    stop = threading.Event()
    seen: list[int] = []

    def poll() -> None:
        while not stop.is_set():
            seen.append(stream.timesteps)
            assert stream.finished in (False, True)

    readers = [threading.Thread(target=poll) for _ in range(3)]
    for t in readers:
        t.start()
    for start in range(0, len(audio), 1000):
        stream.feed_audio_content(audio[start : start + 1000])
    text = stream.finish_stream()
    stop.set()
    for t in readers:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in readers)
    assert seen and seen == sorted(seen)
    assert text == live.stt(audio)


def test_a_getter_waiting_for_the_stream_does_not_hold_the_gil(alone: pyds.Model):
    # One thread feeds about two minutes of audio to a stream that runs inference on the caller's thread (it holds
    # the stream's lock for seconds even on a quiet machine, where 20 s of audio took only ~0.5 s); another asks for
    # `timesteps` meanwhile and waits for that lock. The waiting getter must not hold the GIL: the main thread keeps
    # running Python the whole time.
    audio = np.concatenate([clip(n) for n in CLIPS] * 3)
    stream = alone.create_stream()
    feeding = threading.Event()

    def feed() -> None:
        feeding.set()
        stream.feed_audio_content(audio)

    feeder = threading.Thread(target=feed)
    feeder.start()
    feeding.wait()
    time.sleep(0.2)  # the feed has the lock now
    getter = threading.Thread(target=lambda: stream.timesteps)
    started = time.perf_counter()
    getter.start()
    gaps, last = [], time.perf_counter()
    while getter.is_alive():
        now = time.perf_counter()
        gaps.append(now - last)
        last = now
        time.sleep(0.001)
    waited = time.perf_counter() - started
    feeder.join()
    getter.join()
    assert waited > 0.5  # the getter really waited for the feed
    assert max(gaps) < waited / 2, (max(gaps), waited)


def test_options_are_checked(armenian_bundle: Path):
    with pytest.raises(ValueError, match="live_batch_rows"):
        pyds._core.Model(str(armenian_bundle), live_batch_rows=0)
    one_row = pyds._core.Model(str(armenian_bundle), beam_width=BEAM, live_batch_rows=1)
    audio = clip(CLIPS[1])
    assert one_row.batch_streams
    assert one_row.stt(audio) == pyds._core.Model(str(armenian_bundle), beam_width=BEAM, batch_streams=False).stt(audio)
    assert one_row.live_rounds == one_row.live_rows > 0


def test_feeding_a_finished_stream_fails(live: pyds.Model):
    stream = live.create_stream()
    stream.feed_audio_content(clip(CLIPS[2])[:8000])
    stream.finish_stream()
    with pytest.raises(ValueError, match="finished"):
        stream.feed_audio_content(clip(CLIPS[2])[:8000])


def test_dropping_streams_with_chunks_in_flight(live: pyds.Model, alone: pyds.Model):
    # A stream that goes away does not wait for its queued chunks (they are dropped) and a running round skips its
    # decode; the other streams carry on unaffected.
    audio = np.concatenate([clip(n) for n in CLIPS[:3]])
    keep = live.create_stream()
    for _ in range(5):
        dropped = live.create_stream()
        dropped.feed_audio_content(audio)  # returns with up to 8 chunks still queued or running
        keep.feed_audio_content(audio[:3200])
        del dropped
    keep.finish_stream()
    assert live.stt(audio[:40000]) == alone.stt(audio[:40000])
