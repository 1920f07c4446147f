"""External scorers: a KenLM n-gram language model plus its vocabulary trie, as DeepSpeech uses them.

``Scorer(path, alphabet, alpha=None, beta=None, vocabulary=None)`` opens

- a DeepSpeech >= 0.7 / Coqui ``.scorer`` package (KenLM binary, header with the default alpha/beta and the
  UTF-8 flag, vocabulary trie), memory-mapped: opening even a ~900 MB scorer parses only its headers and the
  trie's index;
- a bare KenLM binary (format v5: probing or trie, quantized or not) or an ARPA file. The trie is then built
  from ``vocabulary`` (whitespace-separated words), or from the LM's own words when the file stores them.

Errors: a corrupt, truncated or wrong-version file, or a vocabulary the model alphabet cannot spell, raises
:class:`pyds.errors.InvalidScorerError`; a missing file :class:`pyds.errors.ModelNotFoundError`.

The decoder takes the Scorer object as is; ``alpha``/``beta`` (settable with ``set_alpha_beta``) are the
weights it decodes with, ``default_alpha``/``default_beta`` the file's. ``log_cond_prob(words, bos, eos)`` is
DeepSpeech's ``get_log_cond_prob`` (natural log; -1000 for an out-of-vocabulary word).
"""

from __future__ import annotations

from ._core import Scorer, write_scorer_package

__all__ = ["Scorer", "write_scorer_package"]
