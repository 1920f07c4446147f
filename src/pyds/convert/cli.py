"""``pyds-convert SRC -o OUT_DIR``: the command line of ``pyds.convert.convert_model``."""

from __future__ import annotations

import argparse
import sys

from ..errors import PydsError

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="pyds-convert",
        description="Convert a DeepSpeech/Coqui STT model (.tflite, .pb, .pbmm or checkpoint directory) "
        "into a "
        "pyds bundle directory (OpenVINO IR + pyds.json).",
    )
    p.add_argument("src", help="source model file or checkpoint directory")
    p.add_argument("-o", "--output", required=True, metavar="OUT_DIR", help="bundle directory to create")
    p.add_argument(
        "--backend",
        choices=("ovc", "mo"),
        default="ovc",
        help="OpenVINO Python API (default) or the legacy Model Optimizer command line",
    )
    p.add_argument(
        "--precision",
        choices=("fp32", "int8"),
        default="fp32",
        help="fp32 keeps the source weights; int8 stores float weights as int8 (per-channel)",
    )
    p.add_argument(
        "--numerics",
        choices=("hybrid_int8", "f32"),
        default=None,
        help="arithmetic: TFLite's hybrid int8 (default for int8 .tflite) or plain f32",
    )
    p.add_argument(
        "--graph",
        choices=("canonical", "frontend"),
        default="canonical",
        help="batch-dynamic graph built from the weights (default) or OpenVINO's own conversion",
    )
    p.add_argument(
        "--alphabet",
        default=None,
        metavar="FILE",
        help="the model's alphabet.txt, replacing the source's metadata_alphabet (needed when it has none)",
    )
    p.add_argument("--beam-width", type=int, default=None, help="override the model's default beam width")
    p.add_argument("--language", default=None, help="override the model's language tag")
    p.add_argument(
        "--verify",
        action="store_true",
        help="run random chunks through the source framework and the IR; print the max difference",
    )
    p.add_argument("--scorer", default=None, help="a .scorer to ship in the bundle (enabled by default when loaded)")
    p.add_argument("--alpha", type=float, default=None, help="the bundled scorer's LM weight (default: the file's)")
    p.add_argument("--beta", type=float, default=None, help="the bundled scorer's word bonus (default: the file's)")
    p.add_argument("--force", action="store_true", help="replace OUT_DIR if it exists")
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    args = _parser().parse_args(argv)
    from . import convert_model

    overrides = {}
    if args.beam_width is not None:
        overrides["beam_width"] = args.beam_width
    if args.language is not None:
        overrides["language"] = args.language
    try:
        out = convert_model(
            args.src,
            args.output,
            backend=args.backend,
            precision=args.precision,
            numerics=args.numerics,
            graph=args.graph,
            force=args.force,
            scorer=args.scorer,
            scorer_alpha=args.alpha,
            scorer_beta=args.beta,
            alphabet=args.alphabet,
            **overrides,
        )
    except PydsError as exc:
        print(f"pyds-convert: error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {out}")
    if args.verify:
        from .verify import verify_bundle

        try:
            diff = verify_bundle(out, args.src)
        except PydsError as exc:
            print(f"pyds-convert: verify skipped: {exc}", file=sys.stderr)
            return 2
        print(f"verify: max |logits difference| vs the source framework over 3 random chunks: {diff:.3g}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
