#!/usr/bin/env python3
"""Turn the JSON written by eval_vsr.py / bench_upscale.py into the tables and plot of
docs/benchmarks.md (between the GENERATED markers; the text around them is kept).

    python scripts/write_benchmarks.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "docs" / "benchmarks"
DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- GENERATED:START -->", "<!-- GENERATED:END -->"
PUBLISHED = [("bicubic", 23.78), ("Lanczos (measured)", 24.00), ("VESPCN", 25.35), ("TOFlow", 25.89),
             ("DUF (crop 8)", 27.33), ("BasicVSR", 27.24), ("BasicVSR++", 27.79)]
LABELS = {"lanczos": "Lanczos (OpenCV)", "single": "built-in x4, single frame (neighbours off)",
          "perframe": "built-in x4 multi-frame, per frame (stability 0)", "gt": "ground truth"}


def label(v: str) -> str:
    return LABELS.get(v, f"upscale(), stability {v[1:]}" if v.startswith("s") else v)


def vid4_table(res: dict) -> list[str]:
    rows = ["| method | Y-PSNR (dB) | SSIM | E_warp x1000 | tOF |", "| --- | --- | --- | --- | --- |"]
    for v, r in res["mean"].items():
        if v == "gt":
            rows.append(f"| {label(v)} | | | {r['ewarp']:.3f} | |")
            continue
        rows.append(f"| {label(v)} | {r['psnr_y']:.2f} | {r['ssim_y']:.4f} | {r.get('ewarp', float('nan')):.3f} | "
                    f"{r.get('tof', float('nan')):.3f} |")
    per_seq = ["", "Per sequence (Y-PSNR dB):", "", "| method | " + " | ".join(res["sequences"]) + " |",
               "| --- |" + " --- |" * len(res["sequences"])]
    for v in res["mean"]:
        if v == "gt":
            continue
        per_seq.append(f"| {label(v)} | " + " | ".join(f"{res['sequences'][s][v]['psnr_y']:.2f}"
                                                         for s in res["sequences"]) + " |")
    return rows + per_seq


def plot(res: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4), dpi=110)
    for v, r in res["mean"].items():
        if v == "gt":
            ax.axvline(r["ewarp"], color="grey", ls="--", lw=1)
            ax.text(r["ewarp"], ax.get_ylim()[0], " ground truth E_warp", color="grey", fontsize=8, va="bottom")
            continue
        ax.scatter(r["ewarp"], r["psnr_y"], s=30)
        ax.annotate(label(v).replace("built-in x4", "x4"), (r["ewarp"], r["psnr_y"]), fontsize=7,
                    xytext=(4, 3), textcoords="offset points")
    ax.set_xlabel("warping error E_warp x1000 (lower = steadier)")
    ax.set_ylabel("Y-PSNR, dB (higher = closer to ground truth)")
    ax.set_title("Vid4 BIx4: quality vs temporal stability")
    fig.tight_layout()
    fig.savefig(path)


def speed_table(res: dict) -> list[str]:
    rows = [f"Machine: {res['machine']}. Frames are requested as `vspipe` requests them (as many in "
            "flight as VapourSynth has threads); the last column requests them one at a time.", "",
            "| input -> 3840x2160 | Lanczos | flow (r=2) | model per frame | fusion | whole upscale() | fps | "
            "fusion overhead | one at a time |", "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in res["results"]:
        seq = f"{r['full_sequential_s']:.3f} s" if "full_sequential_s" in r else "-"
        rows.append(f"| {r['input']} | {r['lanczos_s']:.3f} s | {r['flow_s']:.3f} s | {r['model_perframe_s']:.3f} s | "
                    f"{r['fusion_s']:.3f} s | {r['full_s']:.3f} s | {r['fps']:.2f} | {r['fusion_overhead_pct']:.0f}% | "
                    f"{seq} |")
    return rows


def main() -> int:
    parts = []
    vid4 = BENCH / "vid4_x4.json"
    if vid4.exists():
        res = json.loads(vid4.read_text())
        parts += ["### Vid4 BIx4 (crop 0, Y channel, all 171 frames)", "", f"Command: `{res['command']}`", ""]
        parts += vid4_table(res)
        plot(res, ROOT / "docs" / "images" / "vid4_tradeoff.png")
        parts += ["", "![PSNR against warping error on Vid4](images/vid4_tradeoff.png)", ""]
        if "images" in res:
            parts += ["### Set5 / Set14 x4 (single images, Y, crop 0)", "",
                      "| set | Lanczos | built-in x4 (single frame) |", "| --- | --- | --- |"]
            for name, r in res["images"].items():
                parts.append(f"| {name} | {r['lanczos']['psnr_y']:.2f} dB / {r['lanczos']['ssim_y']:.4f} | "
                             f"{r['model']['psnr_y']:.2f} dB / {r['model']['ssim_y']:.4f} |")
            parts.append("")
    speed = BENCH / "speed_cpu.json"
    if speed.exists():
        res = json.loads(speed.read_text())
        parts += ["### Speed (seconds per frame)", "", f"Command: `{res['command']}`", ""] + speed_table(res) + [""]
    parts += ["### Published numbers (Vid4 BIx4, Y)", "", "| method | Y-PSNR (dB) |", "| --- | --- |"]
    parts += [f"| {m} | {p:.2f} |" for m, p in PUBLISHED]
    text = DOC.read_text() if DOC.exists() else f"# Benchmarks\n\n{START}\n{END}\n"
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    DOC.write_text(head + START + "\n" + "\n".join(parts) + "\n" + END + tail)
    return 0


if __name__ == "__main__":
    sys.exit(main())
