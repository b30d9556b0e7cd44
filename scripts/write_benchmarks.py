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
            "| input -> 3840x2160 | model | backend, precision | Lanczos | flow (r=2) | model per frame | fusion | "
            "whole upscale() | fps | fusion overhead | one at a time |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in res["results"]:
        seq = f"{r['full_sequential_s']:.3f} s" if "full_sequential_s" in r else "-"
        how = f"{r.get('backend', 'torch')}, {r.get('precision', 'fp32')}"
        if r.get("dtype") and r.get("backend", "torch") == "torch":
            how += f" ({r['dtype']})"
        rows.append(f"| {r['input']} | {r.get('model', 'builtin')} | {how} | {r['lanczos_s']:.3f} s | "
                    f"{r['flow_s']:.3f} s | {r['model_perframe_s']:.3f} s | {r['fusion_s']:.3f} s | "
                    f"{r['full_s']:.3f} s | {r['fps']:.2f} | {r['fusion_overhead_pct']:.0f}% | {seq} |")
    return rows


def profile_tables(res: dict) -> list[str]:
    """scripts/profile_upscale.py: per-stage wall and CPU time, frames in flight."""
    out = [f"Command: `{res['command']}` ({res['machine']}). Wall time of a stage overlaps the others' "
           "(frames in flight); the CPU column is the thread that ran the stage (torch's own worker "
           "threads for the network are in the process total, not in the network's row).", ""]
    for r in res["results"]:
        out += [f"**{r['input']} -> {r['output']}, `{r['model']}`, precision {r['precision']}**: "
                f"{r['wall_s_per_frame']:.3f} s wall, {r['process_cpu_s_per_frame']:.3f} s process CPU per frame", "",
                "| stage | wall s/frame | CPU s/frame |", "| --- | --- | --- |"]
        items = [(k, f"{v['wall_s']:.3f}", v["cpu_s"]) for k, v in r["stages"].items()]
        items += [(f"VapourSynth {k}", "", v) for k, v in r["vapoursynth_filters_cpu_s_per_frame"].items() if v > 1e-3]
        out += [f"| {name} | {wall} | {cpu:.3f} |" for name, wall, cpu in sorted(items, key=lambda t: -t[2])] + [""]
    return out


def precision_table(res: dict) -> list[str]:
    """scripts/measure_precision.py: what bf16 costs in picture."""
    out = [f"Command: `{res['command']}` (CPU with native bf16: {res['cpu_native_bf16']})", "",
           "| model | fp32 Y-PSNR | bf16 Y-PSNR | bf16 vs fp32 output | largest pixel difference |",
           "| --- | --- | --- | --- | --- |"]
    for name, m in res["models"].items():
        d = m["drift"]["bf16"]
        out.append(f"| `{name}` | {m['fp32']['psnr_y']:.3f} dB | {m['bf16']['psnr_y']:.3f} dB | "
                   f"{d['psnr_vs_fp32']:.1f} dB apart | {d['max_abs_8bit_levels']:.2f} of 255 "
                   f"({d['max_abs_10bit_levels']:.1f} of 1023) |")
    return out


REAL_LABELS = {"lanczos": "Lanczos (OpenCV)", "builtin": "**`builtin` (default) through upscale()**",
               "builtin-clean": "`builtin-clean` through upscale()",
               "teacher-frame": "teacher (Real-ESRGAN x4plus) per frame",
               "teacher-upscale": "teacher through upscale()'s fusion", "ground-truth": "ground truth"}


def real_tables(res: dict) -> list[str]:
    """The real-footage benchmark (scripts/eval_real.py): one table per CRF, means over clips."""
    out = []
    for key in sorted(res["mean"], key=lambda k: (k != "crf28", k)):
        rows = res["mean"][key]
        lz = rows.get("lanczos", {})
        out += [f"#### H.264 CRF {key[3:]}", "",
                "| method | Y-PSNR (dB) | SSIM | GMSD (lower = better) | sharpness vs GT | sharpness vs Lanczos | "
                "E_warp x1000 | E_warp vs Lanczos | tOF | s/frame |",
                "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        order = [m for m in REAL_LABELS if m in rows] + [m for m in rows if m not in REAL_LABELS]
        for m in order:
            r = rows[m]
            if m == "ground-truth":
                out.append(f"| {REAL_LABELS[m]} | | | | 1 | | {r['ewarp']:.3f} | | | |")
                continue
            rel = lambda k: f"{r[k] / lz[k]:.2f}x" if lz.get(k) else ""  # noqa: E731
            out.append(f"| {REAL_LABELS.get(m, m)} | {r['psnr_y']:.2f} | {r['ssim_y']:.4f} | {r['gmsd']:.4f} | "
                       f"{r['sharpness']:.3f} | {rel('sharpness')} | {r['ewarp']:.3f} | {rel('ewarp')} | "
                       f"{r['tof']:.3f} | {r['seconds_per_frame']:.2f} |")
        out.append("")
    return out


def faces_table(res: dict) -> list[str]:
    names = {"upscale": "upscale() alone", "restorer_per_frame": "face_layer(), restorer per frame (stability 0)",
             "face_layer": "**face_layer() at its defaults**"}
    out = ["| face box | Y-PSNR (dB) | GMSD | sharpness vs GT | face E_warp x1000 |",
           "| --- | --- | --- | --- | --- |"]
    for n, label in names.items():
        r = res["mean"][n]
        out.append(f"| {label} | {r['psnr_y']:.2f} | {r['gmsd']:.4f} | {r['sharpness']:.3f} | {r['face_ewarp']:.3f} |")
    if "ground_truth" in res["mean"]:  # the floor: the truth itself, warped with its own flow
        out.append(f"| ground truth | | | 1 | {res['mean']['ground_truth']['face_ewarp']:.3f} |")
    q = res["mean"]["ratios"]
    out += ["", f"face_layer() against upscale() alone: sharpness {q['sharpness']:.2f}x, "
            f"Y-PSNR {q['psnr_db']:+.2f} dB, "
            f"GMSD {'lower' if q['gmsd_lower'] else 'higher'}, face E_warp {q['ewarp_vs_upscale']:.2f}x "
            f"({q['ewarp_vs_per_frame']:.2f}x of the same restorer per frame).", ""]
    return out


def simple_table(res: dict, cols: list[tuple[str, str]]) -> list[str]:
    out = ["| " + " | ".join(h for h, _ in cols) + " |", "|" + " --- |" * len(cols)]
    for r in res["results"]:
        out.append("| " + " | ".join(str(r.get(k, "")) for _, k in cols) + " |")
    return out


def main() -> int:
    import argparse
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.parse_args()
    parts = []
    real = BENCH / "real_x4.json"
    if real.exists() and "mean" in json.loads(real.read_text()):
        res = json.loads(real.read_text())
        parts += ["### Real footage, x4 (the default model)", "",
                  "Commands: " + "; ".join(f"`{c}`" for c in res.get("commands", [res["command"]])), "",
                  f"Degradation: {res['chain']}. Means over the Vid4 ground-truth sequences and the three eval "
                  "talking-head clips (first 8 frames each).", ""]
        parts += real_tables(res)
        parts += ["![Side by side on Vid4 calendar, CRF 28: frames t and t+1 and their motion-compensated "
                  "difference](images/real_crop.png)", ""]
    real2 = BENCH / "real_x2.json"
    if real2.exists() and "mean" in json.loads(real2.read_text()):
        res = json.loads(real2.read_text())
        parts += ["### Real footage, x2 (1080p -> UHD passes)", "", f"Command: `{res['command']}`", "",
                  f"Degradation: {res['chain']}; the same clips. The teacher is x4 only.", ""]
        parts += [line.replace("#### H.264", "#### x2, H.264") for line in real_tables(res)]
    faces = BENCH / "faces_degraded.json"
    if faces.exists():
        res = json.loads(faces.read_text())
        parts += ["### Faces (face_layer() over the default upscale)", "", f"Command: `{res['command']}`", "",
                  f"The eval talking-head clips as ground truth, degraded: {res['chain']}.", ""]
        parts += faces_table(res)
        parts += ["![Eyes, mouth and hair, frames t and t+1](images/faces_degraded.png)", ""]
    face_speed = BENCH / "faces_speed_cpu.json"
    if face_speed.exists():
        res = json.loads(face_speed.read_text())
        parts += ["### Face layer speed (seconds per face)", "", f"Command: `{res['command']}` ({res['machine']}; "
                  f"source {res['source']}, output {res['output']})", ""]
        parts += simple_table(res, [("eye distance (source px)", "eye_distance_src_px"),
                                    ("render, frames in order", "seconds_per_face"),
                                    ("CPU time, frames in order", "cpu_seconds_per_face"),
                                    ("random access (fresh node)", "seconds_per_face_random_access")]) + [""]
    vid4 = BENCH / "vid4_x4.json"
    if vid4.exists():
        res = json.loads(vid4.read_text())
        parts += ["### Clean sources: Vid4 BIx4 with `builtin-clean` (crop 0, Y channel, all 171 frames)", "",
                  f"Command: `{res['command']}`", ""]
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
    prof = BENCH / "profile_cpu.json"
    if prof.exists():
        parts += ["### Where the time goes (profile)", ""] + profile_tables(json.loads(prof.read_text()))
    prec = BENCH / "precision.json"
    if prec.exists():
        parts += ["### Network precision: bf16 against fp32 (Vid4 BIx4, through upscale())", ""]
        parts += precision_table(json.loads(prec.read_text())) + [""]
    backends = BENCH / "backends_cpu.json"
    if backends.exists():
        res = json.loads(backends.read_text())
        parts += ["### Backends", "", f"Command: `{res['command']}`", ""] + speed_table(res) + [
            "", "One run each: compare the *whole upscale()* column. The vs-mlrt plugins keep their own "
            "inference threads, so their per-frame and fusion columns do not separate the stages (a negative "
            "fusion cost is that noise). ncnn ran on lavapipe, Vulkan in software on the CPU: a correctness "
            "path here, not a way to run it. GPU rows: not measured (no GPU machine was available for this "
            "release).", ""]
    cluster = BENCH / "cluster_cpu.json"
    if cluster.exists():
        res = json.loads(cluster.read_text())
        parts += ["### Distributed rendering (Ray)", "", f"Command: `{res['command']}` ({res['machine']}; "
                  f"{res['clip']})", ""]
        parts += simple_table(res, [("run", "run"), ("fps", "fps"), ("seconds", "seconds"),
                                    ("scaling efficiency", "scaling_efficiency"),
                                    ("identical to local", "identical_to_local")]) + [""]
    serve = BENCH / "serve_cpu.json"
    if serve.exists():
        res = json.loads(serve.read_text())
        parts += ["### Frame server", "", f"Command: `{res['command']}` ({res['machine']}; {res['clip']})", ""]
        parts += simple_table(res, [("reader", "reader"), ("first frame (s, from launch)", "first_frame_s"),
                                    ("sequential read (s)", "read_s"), ("fps", "fps"),
                                    ("overhead vs vspipe", "overhead_vs_pipe")]) + [""]
    memory = BENCH / "memory_cpu.json"
    if memory.exists():
        res = json.loads(memory.read_text())
        parts += ["### Peak memory to UHD", "", f"Command: `{res['command']}` (each case a fresh process; "
                  "peak resident memory of rendering one frame and its window with the default model)", ""]
        parts += simple_table(res, [("input", "input"), ("tile", "tile"), ("peak (MB)", "peak_mb")])
        parts += ["", "Inputs as large as the target or larger skip the network (resized down first). "
                  "`tile` bounds the network's activations, which are small for the built-in network; "
                  "the peak is the window's frame buffers at the network's output size (x4 or x2, "
                  "before the exact resize), so it follows the input size and not the tile. Large "
                  "third-party networks (e.g. Real-ESRGAN) are where tiles matter.", ""]
    parts += ["### Published numbers (Vid4 BIx4, Y)", "", "| method | Y-PSNR (dB) |", "| --- | --- |"]
    parts += [f"| {m} | {p:.2f} |" for m, p in PUBLISHED]
    text = DOC.read_text() if DOC.exists() else f"# Benchmarks\n\n{START}\n{END}\n"
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    DOC.write_text(head + START + "\n" + "\n".join(parts) + "\n" + END + tail)
    return 0


if __name__ == "__main__":
    sys.exit(main())
