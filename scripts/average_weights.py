#!/usr/bin/env python3
"""Average the weights of fine-tunes of one network (a "model soup", Wortsman et al. 2022).

    python scripts/average_weights.py A.safetensors B.safetensors --weights 0.5 0.5 -o soup.safetensors

Fine-tunes that start from the same weights stay in one basin, so their average is a working
network between them: here it trades the sharper fine-tune's texture artefacts (stripes from
the texture-energy loss) for some of its sharpness. The metadata (constructor arguments) of the
first file is kept; shapes must match.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from safetensors import safe_open
from safetensors.torch import load_file, save_file


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", type=Path, nargs="+")
    ap.add_argument("--weights", type=float, nargs="+", help="one per file (default: equal), summing to 1")
    ap.add_argument("-o", "--out", type=Path, required=True)
    args = ap.parse_args()
    weights = args.weights or [1 / len(args.files)] * len(args.files)
    if len(weights) != len(args.files) or abs(sum(weights) - 1) > 1e-6:
        ap.error("--weights: one per file, summing to 1")
    states = [load_file(str(f)) for f in args.files]
    keys = set(states[0])
    if any(set(s) != keys or any(s[k].shape != states[0][k].shape for k in keys) for s in states[1:]):
        ap.error("the files are not the same architecture")
    with safe_open(str(args.files[0]), "pt") as f:
        meta = f.metadata()
    avg = {k: sum(w * s[k] for w, s in zip(weights, states)).contiguous() for k in sorted(keys)}
    save_file(avg, str(args.out), metadata=meta)


if __name__ == "__main__":
    main()
