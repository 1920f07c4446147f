"""A literal Python port of DeepSpeech's CTC beam search (ds_ctcdecoder 0.10: DecoderState::next/decode,
PathTrie, Scorer::make_ngram / is_scoring_boundary), in float32 like the original. Slow; a test oracle for
pyds.decoder on small random inputs, with any object that offers the Scorer methods (log_cond_prob,
trie_start/trie_next/trie_is_final, max_order, is_utf8_mode, has_trie).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

F32 = np.float32
NEG = F32(-np.finfo(np.float32).max)
FLT_MIN = float(np.finfo(np.float32).tiny)
ROOT = 2**32 - 1


def lse(x: np.float32, y: np.float32) -> np.float32:
    if x <= NEG:
        return y
    if y <= NEG:
        return x
    m = max(x, y)
    a = F32(math.exp(float(F32(x - m))))
    b = F32(math.exp(float(F32(y - m))))
    return F32(F32(math.log(float(F32(a + b)))) + m)


def _is_lead(byte: int) -> bool:
    return (byte & 0xC0) != 0x80


class Node:
    def __init__(self, char: int = ROOT, parent: Node | None = None, state: int = -1) -> None:
        self.char = char
        self.parent = parent
        self.children: list[Node] = []
        self.exists = True
        self.b_prev = self.nb_prev = self.b_cur = self.nb_cur = self.score = NEG
        self.state = state
        self.timesteps: tuple[int, ...] = ()
        self.prev_ts: tuple[int, ...] | None = None
        self.new_t = 0

    def child(self, c: int, scorer: Any) -> Node | None:
        for ch in self.children:
            if ch.char == c:
                if not ch.exists:
                    ch.exists = True
                    ch.b_prev = ch.nb_prev = ch.b_cur = ch.nb_cur = NEG
                return ch
        state = -1
        if scorer is not None and scorer.has_trie:
            nxt = scorer.trie_next(self.state, c)
            if nxt == -1:
                if scorer.trie_is_final(self.state):
                    self.state = scorer.trie_start()
                return None
            state = scorer.trie_start() if scorer.trie_is_final(nxt) else nxt
        node = Node(c, self, state)
        self.children.append(node)
        return node

    def collect(self, out: list[Node]) -> None:
        for ch in self.children:
            ch.collect(out)
        if self.exists:
            self.b_prev, self.nb_prev = self.b_cur, self.nb_cur
            self.b_cur = self.nb_cur = NEG
            self.score = lse(self.b_prev, self.nb_prev)
            if self.prev_ts is not None:
                self.timesteps = self.prev_ts + (self.new_t,)
            self.prev_ts = None
            out.append(self)

    def remove(self) -> None:
        self.exists = False
        if not self.children:
            assert self.parent is not None
            self.parent.children.remove(self)
            if not self.parent.children and not self.parent.exists:
                self.parent.remove()

    def path(self) -> list[int]:
        out = []
        node: Node | None = self
        while node is not None and node.char != ROOT:
            out.append(node.char)
            node = node.parent
        return out[::-1]


class ReferenceDecoder:
    def __init__(
        self,
        labels: list[bytes],
        beam: int,
        cutoff_prob: float,
        cutoff_top_n: int,
        scorer: Any = None,
        alpha: float = 0.0,
        beta: float = 0.0,
        hot_words: dict[str, float] | None = None,
        space: int = -1,
    ) -> None:
        self.labels = labels
        self.blank = len(labels)
        self.beam = beam
        self.cutoff_prob = cutoff_prob
        self.cutoff_top_n = cutoff_top_n
        self.scorer = scorer
        self.alpha = float(F32(alpha))
        self.beta = float(F32(beta))
        self.hot = {k.encode(): F32(v) for k, v in (hot_words or {}).items()}
        self.space = space
        self.utf8 = bool(scorer is not None and scorer.is_utf8_mode)
        root_state = scorer.trie_start() if scorer is not None and scorer.has_trie else -1
        self.root = Node(state=root_state)
        self.root.score = self.root.b_prev = F32(0.0)
        self.prefixes = [self.root]
        self.t = 0
        self.started = False

    # --- Scorer::is_scoring_boundary / make_ngram -------------------------------------------------------
    def _boundary(self, node: Node, new_label: int) -> bool:
        if not self.utf8:
            return new_label == self.space
        if node.char == ROOT:
            return False
        distance, n = 1, node
        while not _is_lead(n.char + 1):
            if n.parent is None or n.parent.char == ROOT:
                return False
            n = n.parent
            distance += 1
        first = (n.char + 1) & 0xFF
        if first >> 3 == 0x1E:
            need = 4
        elif first >> 4 == 0x0E:
            need = 3
        elif first >> 5 == 0x06:
            need = 2
        elif first >> 7 == 0:
            need = 1
        else:
            return False
        return distance == need

    def _ngram(self, node: Node) -> list[bytes]:
        words: list[bytes] = []
        cur: Node | None = node
        for _ in range(self.scorer.max_order):
            if cur is None or cur.char == ROOT:
                break
            unit: list[int] = []
            stop = cur
            if self.utf8:
                while True:
                    if stop.char == ROOT:
                        break
                    unit.append(stop.char)
                    if _is_lead(stop.char + 1):
                        break
                    stop = stop.parent
            else:
                while stop.char != ROOT and stop.char != self.space:
                    unit.append(stop.char)
                    stop = stop.parent
            cur = stop.parent
            words.append(b"".join(self.labels[c] for c in reversed(unit)))
        return words[::-1]

    def _lm(self, node: Node, hot: bool) -> np.float32:
        ngram = self._ngram(node)
        boost = F32(0.0)
        if hot:
            for w in ngram:
                if w in self.hot:
                    boost = F32(boost + self.hot[w])
        bos = len(ngram) < self.scorer.max_order
        lnp = self.scorer.log_cond_prob(ngram, bos) if ngram else 0.0
        return F32((lnp + float(boost)) * self.alpha)

    # --- DecoderState::next -----------------------------------------------------------------------------
    def _classes(self, row: np.ndarray) -> list[tuple[int, np.float32]]:
        n = len(row)
        idx = list(range(n))
        keep = n
        if self.cutoff_prob < 1.0 or self.cutoff_top_n < n:
            idx.sort(key=lambda i: -float(row[i]))
            if self.cutoff_prob < 1.0:
                cum, keep = 0.0, 0
                for i in idx:
                    cum += float(row[i])
                    keep += 1
                    if cum >= self.cutoff_prob or keep >= self.cutoff_top_n:
                        break
        return [(i, F32(math.log(float(row[i]) + FLT_MIN))) for i in idx[:keep]]

    def next(self, probs: np.ndarray) -> None:
        for row in probs:
            t = self.t
            self.t += 1
            if float(row[self.blank]) < 0.999:
                self.started = True
            if not self.started:
                continue
            sc = self.scorer
            min_cutoff, full = NEG, False
            if sc is not None:
                n = min(len(self.prefixes), self.beam)
                self.prefixes.sort(key=lambda p: (-float(p.score), p.char))
                pb = float(row[self.blank])
                log_pb = math.log(pb) if pb > 0 else -math.inf
                min_cutoff = F32(float(self.prefixes[n - 1].score) + log_pb - max(0.0, self.beta))
                full = n == self.beam
            for c, lp in self._classes(row):
                for prefix in self.prefixes[: self.beam]:
                    if full and F32(lp + prefix.score) < min_cutoff:
                        break
                    if prefix.score == NEG:
                        continue
                    if c == self.blank:
                        log_p = F32(lp + prefix.score)
                        if prefix.nb_cur < log_p:
                            prefix.prev_ts = None
                        prefix.b_cur = lse(prefix.b_cur, log_p)
                        continue
                    if c == prefix.char:
                        log_p = F32(lp + prefix.nb_prev)
                        if prefix.nb_cur < log_p:
                            prefix.prev_ts = None
                        prefix.nb_cur = lse(prefix.nb_cur, log_p)
                    new = prefix.child(c, sc)
                    if new is None:
                        continue
                    log_p = NEG
                    if c == prefix.char and prefix.b_prev > NEG:
                        log_p = F32(lp + prefix.b_prev)
                    elif c != prefix.char:
                        log_p = F32(lp + prefix.score)
                    if sc is not None:
                        to_score = new if self.utf8 else prefix
                        if self._boundary(to_score, c):
                            log_p = F32(log_p + self._lm(to_score, True))
                            log_p = F32(float(log_p) + self.beta)
                    if new.nb_cur < log_p:
                        new.prev_ts = prefix.timesteps
                        new.new_t = t
                    new.nb_cur = lse(new.nb_cur, log_p)
            self.prefixes = []
            self.root.collect(self.prefixes)
            if len(self.prefixes) > self.beam:
                self.prefixes.sort(key=lambda p: (-float(p.score), p.char))
                for p in self.prefixes[self.beam :]:
                    p.remove()
                self.prefixes = self.prefixes[: self.beam]

    # --- DecoderState::decode ---------------------------------------------------------------------------
    def decode(self, num_results: int) -> list[tuple[float, list[int], list[int]]]:
        scored = []
        for p in self.prefixes:
            s = p.score
            if self.scorer is not None:
                boundary = p if self.utf8 else p.parent
                if boundary is not None and not self._boundary(boundary, p.char):
                    term = F32(float(self._lm(p, False)) + self.beta)
                    s = F32(s + term)
            scored.append((s, p))
        scored.sort(key=lambda sp: (-float(sp[0]), sp[1].char))
        return [(float(s), p.path(), list(p.timesteps)) for s, p in scored[:num_results]]
