"""A Python Scorer over a DeepSpeech ``.scorer`` file: the ``kenlm`` module for the KenLM part, the vocabulary
trie (an OpenFST ConstFst, layout in the fact sheet §5.1) parsed with numpy. A test oracle: wrapped in
``pyds._core._PythonScorer`` it drives the C++ beam search, independently of pyds's own .scorer reader.
"""

from __future__ import annotations

import math
import struct
from pathlib import Path

import kenlm
import numpy as np

# DeepSpeech divides KenLM's log10 by NUM_FLT_LOGE, a *float* constant.
LOG10_E = float(np.float32(0.4342944819))
OOV_SCORE = -1000.0
TRIE_HEADER = b"EIRT\x06\x00\x00\x00"  # int32 'TRIE' and version 6, little-endian
FST_MAGIC = 2125659606


class KenlmScorer:
    """The Scorer methods pyds's C++ search calls, over kenlm + the parsed trie."""

    def __init__(self, path: Path) -> None:
        self.model = kenlm.Model(str(path))
        data = Path(path).read_bytes()
        at = data.find(TRIE_HEADER)
        if at < 0 or data.find(TRIE_HEADER, at + 1) >= 0:
            raise ValueError(f"{path}: no unique trie header")
        self.is_utf8_mode = bool(data[at + 8])
        self.default_alpha, self.default_beta = struct.unpack_from("<dd", data, at + 9)
        pos = at + 25
        (magic,) = struct.unpack_from("<i", data, pos)
        if magic != FST_MAGIC:
            raise ValueError(f"{path}: bad FST magic {magic}")
        pos += 4
        for _ in range(2):  # fst_type, arc_type strings
            (n,) = struct.unpack_from("<i", data, pos)
            pos += 4 + n
        pos += 8  # version, flags
        _props, start, n_states, n_arcs = struct.unpack_from("<Qqqq", data, pos)
        pos += 32
        pos = (pos + 15) // 16 * 16  # aligned to 16 from the start of the file
        states = np.frombuffer(
            data,
            dtype=np.dtype([("final", "<f4"), ("first", "<u4"), ("narcs", "<u4"), ("ie", "<u4"), ("oe", "<u4")]),
            count=n_states,
            offset=pos,
        )
        pos = (pos + 20 * n_states + 15) // 16 * 16
        arcs = np.frombuffer(
            data,
            dtype=np.dtype([("ilabel", "<i4"), ("olabel", "<i4"), ("weight", "<f4"), ("next", "<i4")]),
            count=n_arcs,
            offset=pos,
        )
        self.start = int(start)
        self.final = [not math.isinf(float(w)) for w in states["final"]]
        self.arcs = []
        for first, count in zip(states["first"].tolist(), states["narcs"].tolist()):
            out = arcs[first : first + count]
            self.arcs.append(dict(zip(out["ilabel"].tolist(), out["next"].tolist())))
        self.max_order = self.model.order
        self.has_trie = True

    def trie_start(self) -> int:
        return self.start

    def trie_next(self, state: int, label: int) -> int:
        return self.arcs[state].get(label + 1, -1)

    def trie_is_final(self, state: int) -> bool:
        return self.final[state]

    def log_cond_prob(self, words: list[bytes], bos: bool, eos: bool = False) -> float:
        m = self.model
        state, out = kenlm.State(), kenlm.State()
        if bos:
            m.BeginSentenceWrite(state)
        else:
            m.NullContextWrite(state)
        log10 = 0.0
        for raw in words:
            try:
                word = raw.decode("utf-8")
            except UnicodeDecodeError:
                return OOV_SCORE
            if word not in m:
                return OOV_SCORE
            log10 = m.BaseScore(state, word, out)
            state, out = out, state
        if eos:
            log10 = m.BaseScore(state, "</s>", out)
        return log10 / LOG10_E
