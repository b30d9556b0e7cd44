"""``steadyscale`` command line entry point."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path


def _progress_printer(label: str):
    start = time.time()

    def update(done: int, total: int) -> None:
        el = time.time() - start
        fps = done / el if el > 0 else 0.0
        eta = (total - done) / fps if fps > 0 else 0.0
        sys.stderr.write(f"\r{label}: {done}/{total} frames  {fps:5.2f} fps  ETA {eta:5.0f}s ")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return update


def cmd_demo(args: argparse.Namespace) -> int:
    from ..app.demo import run_demo

    out = run_demo(Path(args.output), frames=args.frames, progress=_progress_printer("demo"))
    print(f"upscaled with: {out['path']}")
    print(f"video:      {out['video']}")
    print(f"comparison: {out['compare']}")
    print(f"source:     {out['source_frame']}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="steadyscale",
                                 description="Flow-aligned, temporally stable AI video upscaling to 4K.")
    ap.add_argument("-v", "--verbose", action="store_true", help="log progress details to stderr")
    sub = ap.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="make a sample clip, upscale it to UHD, encode it, compare",
                          description="Make a short sample clip (camera motion over a bundled photo), "
                                      "upscale it to 3840x2160 with the best available path, encode it "
                                      "with x265 and write a side-by-side comparison PNG.")
    demo.add_argument("-o", "--output", default="out/demo", help="output folder (default: out/demo)")
    demo.add_argument("--frames", type=int, default=48, help="clip length in frames (default: 48)")
    demo.set_defaults(func=cmd_demo)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr,
                        format="%(name)s: %(message)s")
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("steadyscale: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # one line, not a traceback, for expected failures
        import vapoursynth as vs

        from ..encode import EncodeError
        if isinstance(e, (vs.Error, EncodeError, ValueError, FileNotFoundError)):
            print(f"steadyscale: {e}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
