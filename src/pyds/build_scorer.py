"""``pyds-build-scorer``: package a KenLM binary or ARPA file and a vocabulary into a DeepSpeech ``.scorer``.

The output has DeepSpeech's layout (KenLM binary, then the scorer header and the vocabulary trie as an
OpenFST ConstFst), so DeepSpeech, Coqui STT and pyds all read it. An ARPA input is converted to a KenLM
probing binary. The file is written atomically.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import _core
from .errors import PydsError

# DeepSpeech 0.9's released English model defaults, used when no weights are given.
DEFAULT_ALPHA = 0.931289039105002
DEFAULT_BETA = 1.1834137581510284


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface of pyds-build-scorer."""
    p = argparse.ArgumentParser(
        prog="pyds-build-scorer",
        description="Package a KenLM binary or ARPA model and a vocabulary into a DeepSpeech .scorer.",
    )
    p.add_argument("--lm", required=True, help="KenLM binary (format 5) or ARPA file")
    p.add_argument(
        "--vocabulary",
        help="whitespace-separated vocabulary words (default: the LM's own words, if it stores them)",
    )
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--alphabet", help="the model's alphabet.txt (character mode)")
    mode.add_argument("--utf8", action="store_true", help="UTF-8 (bytes) mode: each word is one codepoint")
    p.add_argument("--default-alpha", type=float, default=DEFAULT_ALPHA, help="default LM weight")
    p.add_argument("--default-beta", type=float, default=DEFAULT_BETA, help="default word insertion bonus")
    p.add_argument("--output", "-o", required=True, help="the .scorer file to write")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code (0 on success, 1 on a pyds error, 2 on bad usage)."""
    args = build_parser().parse_args(argv)
    try:
        alphabet = _core.Alphabet.utf8() if args.utf8 else _core.Alphabet.from_file(args.alphabet)
        _core.write_scorer_package(
            args.lm, args.output, alphabet, args.default_alpha, args.default_beta, vocabulary=args.vocabulary
        )
        scorer = _core.Scorer(args.output, alphabet)  # read back: never leave a package pyds cannot open
    except (PydsError, OSError) as exc:
        print(f"pyds-build-scorer: {exc}", file=sys.stderr)
        return 1
    print(
        f"wrote {args.output}: {scorer.max_order}-gram, default alpha {scorer.default_alpha}, "
        f"beta {scorer.default_beta}{', utf8' if scorer.is_utf8_mode else ''}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
