#!/usr/bin/env python3
"""Write docs/parameters.md from the effect descriptors (the single source of parameters).

    python scripts/gen_docs.py          # rewrite docs/parameters.md
    python scripts/gen_docs.py --check  # exit 1 if it is out of date
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _clip_doc(c) -> str:
    window = f", window n-{c.radius}..n+{c.radius}" if c.radius else ""
    return f"`{c.name}` ({c.doc}{window})"


def render() -> str:
    import vs_plugin  # noqa: F401 - registers the effects
    from vs_plugin.effects import EFFECTS

    parts = ["# Parameters", "",
             "Generated from the effect descriptors by `python scripts/gen_docs.py`; "
             "the same descriptors validate the VapourSynth functions, the CLI and presets.", ""]
    for eff in EFFECTS.values():
        parts += [f"## `{eff.identifier}` - {eff.label} (v{eff.version})", "", eff.doc, "",
                  "Clips: " + ", ".join(_clip_doc(c) for c in eff.clips), "", eff.params_markdown(), ""]
    return "\n".join(parts)


def main() -> int:
    import argparse
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="exit 1 if docs/parameters.md is out of date")
    ap.parse_args()
    path = ROOT / "docs" / "parameters.md"
    text = render()
    if "--check" in sys.argv:
        if not path.exists() or path.read_text() != text:
            print("docs/parameters.md is out of date: run python scripts/gen_docs.py", file=sys.stderr)
            return 1
        return 0
    path.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
