"""Deinterlacing quality against progressive ground truth, with ffmpeg's bwdif as the reference.

Each Vid4 clip (progressive, taken as 59.94p) is woven into 29.97i top-field-first exactly as
an interlaced camera would record it (ffmpeg ``tinterlace=interleave_top``: the top field of
frame 2k with the bottom field of frame 2k+1), stored losslessly (FFV1), then deinterlaced:
``vs_plugin.deinterlace`` in each mode, ffmpeg's bwdif (one frame per field and per frame), and
the woven frames as they are (what upscaling without deinterlacing would start from). Outputs
are compared on luma with the truth at the same instants: Y-PSNR, and the temporal error
(mean |(out[t+1] - out[t]) - (truth[t+1] - truth[t])| in 8-bit levels; bob shimmer and combing
raise it). Writes JSON and prints a Markdown table.

    python scripts/eval_deinterlace.py --data ../shared/data --json docs/deinterlace.json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import av
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from vs_plugin.core.metrics import psnr_from_mse  # noqa: E402
from vs_plugin.encode import find_ffmpeg  # noqa: E402

CROP = 8  # border pixels left out (every method guesses at the edges)


def ffmpeg(*args: str) -> None:
    subprocess.run([find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def luma_frames(path: Path) -> list[np.ndarray]:
    """The Y plane as stored (8-bit 4:2:0; no range conversion, as VapourSynth reads it)."""
    with av.open(str(path)) as c:
        out = []
        for f in c.decode(video=0):
            if f.format.name != "yuv420p":
                raise ValueError(f"{path}: expected yuv420p, got {f.format.name}")
            out.append(f.to_ndarray()[:f.height].astype(np.float32))
        return out


def scores(out: list[np.ndarray], truth: list[np.ndarray]) -> dict[str, float]:
    if len(out) != len(truth):
        raise ValueError(f"{len(out)} frames against {len(truth)} of truth")
    c = (slice(CROP, -CROP), slice(CROP, -CROP))
    mse = np.mean([np.mean((o[c] - t[c]) ** 2) for o, t in zip(out, truth)])
    temporal = np.mean([np.mean(np.abs((out[i + 1][c] - out[i][c]) - (truth[i + 1][c] - truth[i][c])))
                        for i in range(len(out) - 1)])
    return {"psnr_y": psnr_from_mse(float(mse), 255.0), "temporal_error": float(temporal)}


def vs_luma(path: Path, mode: str) -> list[np.ndarray]:
    from vs_plugin.app.source import open_source
    from vs_plugin.host.deinterlace import deinterlace
    clip = open_source(str(path))
    if mode != "weave":
        clip = deinterlace(clip, mode)
    if clip.format.bits_per_sample != 8:
        raise ValueError(f"expected 8-bit output, got {clip.format.name}")
    return [np.asarray(f[0]).astype(np.float32) for f in clip.frames()]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    clips = sorted((args.data / "eval" / "vid4" / "GT").iterdir())
    rows: dict[str, dict[str, list[float]]] = {}
    per_clip = {}
    with tempfile.TemporaryDirectory() as tmp:
        for clip in clips:
            frames = sorted(clip.iterdir())
            n = len(frames) // 2 * 2
            prog, inter = Path(tmp) / f"{clip.name}_p.mkv", Path(tmp) / f"{clip.name}_i.mkv"
            pattern = str(clip / f"%08d{frames[0].suffix}")
            ffmpeg("-framerate", "60000/1001", "-i", pattern, "-frames:v", str(n),
                   "-vf", "scale=out_color_matrix=bt601", "-pix_fmt", "yuv420p", "-c:v", "ffv1", str(prog))
            ffmpeg("-i", str(prog), "-vf", "tinterlace=interleave_top,setfield=tff", "-c:v", "ffv1", str(inter))
            truth = luma_frames(prog)
            results = {
                "steadyscale deinterlace bob (= auto)": (vs_luma(inter, "bob"), truth),
                "steadyscale deinterlace same-rate": (vs_luma(inter, "same-rate"), truth[::2]),
                "none (woven frames as they are)": (vs_luma(inter, "weave"), truth[::2]),
            }
            for name, vf in (("ffmpeg bwdif send_field (reference)", "bwdif=mode=send_field:parity=tff:deint=all"),
                             ("ffmpeg bwdif send_frame (reference)", "bwdif=mode=send_frame:parity=tff:deint=all")):
                out = Path(tmp) / f"{clip.name}_{name.split()[2]}.mkv"
                ffmpeg("-i", str(inter), "-vf", vf, "-c:v", "ffv1", str(out))
                results[name] = (luma_frames(out), truth if "field" in name else truth[::2])
            per_clip[clip.name] = {}
            for name, (out, ref) in results.items():
                s = scores(out, ref)
                per_clip[clip.name][name] = s
                for k, v in s.items():
                    rows.setdefault(name, {}).setdefault(k, []).append(v)
                print(f"{clip.name:9s} {name:40s} {s['psnr_y']:6.2f} dB  {s['temporal_error']:5.2f}", file=sys.stderr)
    table = {name: {k: float(np.mean(v)) for k, v in m.items()} for name, m in rows.items()}
    print("| method | output rate | Y-PSNR vs truth (dB) | temporal error (8-bit levels) |")
    print("| --- | --- | --- | --- |")
    for name, m in table.items():
        rate = "59.94p" if ("bob" in name or "field" in name) else "29.97p"
        print(f"| {name} | {rate} | {m['psnr_y']:.2f} | {m['temporal_error']:.2f} |")
    if args.json:
        args.json.write_text(json.dumps({"mean": table, "per_clip": per_clip,
                                         "command": " ".join(["python", *sys.argv])}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
