"""``steadyscale`` command line: upscale, script, presets, models, bench, demo.

Only this package prints. With ``-o -`` nothing but video goes to stdout.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

EPILOG = "Run 'steadyscale COMMAND --help' for the options of a command."


class OneLineErrors(argparse.ArgumentParser):
    """Usage errors as one line naming the problem (the full usage is in --help)."""

    def error(self, message: str):
        self.exit(2, f"steadyscale {self.prog.split(' ', 1)[-1] if ' ' in self.prog else ''}: {message} "
                     f"(see '{self.prog} --help')\n".replace("  ", " "))


def _progress(label: str, unit: str = "frame"):
    """A progress bar on stderr (tqdm) fed by VapourSynth's (done, total) callbacks."""
    from tqdm import tqdm
    bar = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total or None, desc=label, unit=unit, unit_scale=unit == "B", file=sys.stderr,
                       dynamic_ncols=True, smoothing=0.1)
        bar.n = done
        bar.refresh()
        if total and done >= total:
            bar.close()

    return update


def _add_graph_options(p: argparse.ArgumentParser) -> None:
    from ..effects.encode import ENCODE
    from ..effects.upscale import UPSCALE
    from .options import ENCODE_FLAGS, UPSCALE_FLAGS, add_effect_options

    g = p.add_argument_group("picture (upscale() parameters: docs/parameters.md)")
    g.add_argument("--preset", default="balanced", help="preset name from presets/ or a .toml file (default: balanced)")
    size = g.add_mutually_exclusive_group()
    size.add_argument("--uhd", action="store_true", help="3840x2160 (the default)")
    size.add_argument("--dci", action="store_true", help="4096x2160")
    add_effect_options(g, UPSCALE, UPSCALE_FLAGS)
    faces = g.add_mutually_exclusive_group()
    faces.add_argument("--faces", dest="faces", action="store_true", default=None,
                       help="restore faces as their own layer")
    faces.add_argument("--no-faces", dest="faces", action="store_false", help="do not restore faces")
    g.add_argument("--deinterlace", default="auto", choices=["auto", "bob", "same-rate", "ivtc", "off"],
                   help="interlaced sources (DVD, broadcast): bob = a frame per field (59.94p from 29.97i), "
                        "same-rate = a frame per frame, ivtc = undo 3:2 pulldown (telecined film back to "
                        "23.976p); auto bobs what the field props call interlaced or what looks combed (default)")
    g.add_argument("--ivtc", dest="deinterlace", action="store_const", const="ivtc",
                   help="the same as --deinterlace ivtc (telecined film: DVDs of movies, NTSC broadcasts of film)")
    g.add_argument("--fps", help="frame rate of an image-sequence input, e.g. 25 or 30000/1001 (default 24)")
    r = p.add_argument_group("range")
    r.add_argument("--start", type=int, default=0, help="first frame to render (default 0)")
    r.add_argument("--end", type=int, help="frame after the last one to render (default: the end)")
    enc = p.add_argument_group("encoding")
    add_effect_options(enc, ENCODE, ENCODE_FLAGS)
    enc.add_argument("--no-audio", dest="audio_tracks", action="store_const", const="none",
                     help="keep none of the input's audio (the same as --audio-tracks none)")
    enc.add_argument("--no-subs", dest="subtitles", action="store_false", help="the same as --no-subtitles")


def _job(args: argparse.Namespace, input: str | None = None, output: Path | None = None):  # noqa: A002
    """The render job the options describe, for ``input`` (default: the one IN) and ``output``."""
    from ..app.presets import load_preset
    from ..app.render import RenderJob
    from ..effects.encode import ENCODE
    from ..effects.upscale import UPSCALE
    from .options import ENCODE_FLAGS, UPSCALE_FLAGS, effect_values

    preset = load_preset(args.preset)
    up = dict(preset.tables.get("upscale", {}))
    enc = dict(preset.tables.get("encode", {}))
    if args.dci:
        up.update(size="dci")
    up.update(effect_values(args, UPSCALE_FLAGS))
    if up.get("model") == "lanczos" and args.ensemble is None:
        up.pop("ensemble", None)  # a preset's ensemble is for its network, not for --model lanczos
    enc.update(effect_values(args, ENCODE_FLAGS + ("segment_frames",)))
    up = {k: v for k, v in UPSCALE.validate(up).items() if k in up}
    enc = ENCODE.validate(enc)
    faces = None
    if args.faces or (args.faces is None and "faces" in preset.tables):
        from ..effects.face import FACE_LAYER
        faces = dict(preset.tables.get("faces", {}))
        if "device" in up:
            faces.setdefault("device", up["device"])
        faces = {k: v for k, v in FACE_LAYER.validate(faces).items() if k in faces}
        if up.get("fit", "contain") not in ("contain", "stretch"):
            raise ValueError("--faces needs --fit contain or stretch (the face layer maps the source "
                             "onto the upscale without crop or padding)")
    if input is None:
        input = args.input[0] if isinstance(args.input, list) else args.input  # noqa: A001
    if output is None:
        output = Path(getattr(args, "output", None) or "-")
    return RenderJob(input=input, output=output, upscale=up, encode=enc,
                     start=args.start, end=args.end, resume=getattr(args, "resume", False),
                     max_segments=getattr(args, "max_segments", None), faces=faces, fps=args.fps,
                     deinterlace=args.deinterlace)


class RenderProgress:
    """A render's progress bar (tqdm, unless quiet) and, once a few frames are timed, one line
    estimating the time left: the first frame (model load, warm-up) is not counted."""

    def __init__(self, label: str, quiet: bool, probe: int = 5, probe_seconds: float = 20.0):
        self.bar = None if quiet else _progress(label)
        self.label, self.quiet, self.probe, self.probe_seconds = label, quiet, probe, probe_seconds
        self.t0: float | None = None
        self.d0 = 0
        self.said = False

    def __call__(self, done: int, total: int) -> None:
        if self.bar is not None:
            self.bar(done, total)
        if self.said or not total or done <= 0:
            return
        now = time.monotonic()
        if self.t0 is None:
            self.t0, self.d0 = now, done
            return
        timed = done - self.d0
        if timed >= self.probe or (timed >= 1 and now - self.t0 >= self.probe_seconds):
            self.said = True
            per = (now - self.t0) / timed
            if done < total and not self.quiet:
                _say(f"{self.label}: about {_duration(per * (total - done))} left for {total - done} of "
                     f"{total} frames ({per:.2f} s a frame, timed over {timed})")


def _duration(seconds: float) -> str:
    s = int(round(seconds))
    if s >= 3600:
        return f"{s // 3600}h {s % 3600 // 60:02d}m"
    return f"{s // 60}m {s % 60:02d}s" if s >= 60 else f"{s}s"


def _say(line: str) -> None:
    """One line on stderr that does not break a progress bar drawn there."""
    from tqdm import tqdm
    tqdm.write(f"steadyscale: {line}", file=sys.stderr)


def _plan(args: argparse.Namespace):
    from ..app.batch import plan
    from ..app.presets import load_preset
    from ..host.resize import target_size

    up = dict(load_preset(args.preset).tables.get("upscale", {}))
    w = args.width or up.get("width", 3840)
    h = args.height or up.get("height", 2160)
    if args.dci:
        w, h = target_size("upscale", w, h, "dci")
    return plan(args.input, args.output, args.name, w, h, args.preset)


def cmd_upscale(args: argparse.Namespace) -> int:
    if args.threads is not None:
        if args.threads < 1:
            raise ValueError(f"--threads must be >= 1, got {args.threads}")
        import torch
        import vapoursynth as vs
        vs.core.num_threads = args.threads
        torch.set_num_threads(args.threads)
    from ..app.batch import is_batch
    if args.cache_mb < 256:
        raise ValueError(f"--cache-mb must be >= 256, got {args.cache_mb}")
    import vapoursynth as vs
    vs.core.max_cache_size = args.cache_mb  # bounded on purpose: peak memory follows it (docs/user-guide.md)
    items = _plan(args)
    if is_batch(args.input):
        return _render_batch(args, items)
    return _render_one(args, items[0].input, items[0].output)


def _render_one(args: argparse.Namespace, src: str, output: Path, label: str = "upscale") -> int:
    from ..app.render import render

    job = _job(args, src, output)
    if str(job.output) == "-":
        return _to_stdout(job)
    from ..app.output import OutputLock, check_output
    from ..encode.encoders import DEFAULT_ENCODER
    from ..encode.streams import container_of
    check_output(job.input, job.output, args.overwrite)
    container_of(job.output, job.encode.get("encoder", DEFAULT_ENCODER))  # before the graph is built
    t0 = time.time()
    progress = RenderProgress(label, args.quiet)
    with OutputLock(job.output):
        if args.ray:
            from ..app.cluster import render_ray
            out = render_ray(job, args.ray, progress=progress,
                             gpus_per_task=args.ray_gpus_per_task, threads_per_task=args.ray_threads,
                             storage=Path(args.ray_storage) if args.ray_storage else None, verbose=args.verbose)
        else:
            out = render(job, progress=progress)
    print(f"steadyscale: wrote {out} in {time.time() - t0:.1f}s", file=sys.stderr)
    return 0


def _render_batch(args: argparse.Namespace, items) -> int:
    """Each item in turn; one that fails is reported and the batch goes on (Ctrl-C stops it all)."""
    from ..errors import first_line
    t0 = time.time()
    written, skipped, failed = 0, 0, []
    n = len(items)
    for i, it in enumerate(items, 1):
        if it.output.exists() and not args.overwrite and not it.output.is_dir():
            print(f"steadyscale: [{i}/{n}] skipped {it.input}: {it.output} exists (-y replaces it)", file=sys.stderr)
            skipped += 1
            continue
        print(f"steadyscale: [{i}/{n}] {it.input} -> {it.output}", file=sys.stderr, flush=True)
        try:
            _render_one(args, it.input, it.output, label=f"[{i}/{n}]")
            written += 1
        except Exception as e:  # noqa: BLE001 - reported below; the expected kinds in one line
            if not _expected(e):
                raise
            if args.verbose:
                import traceback
                traceback.print_exc(file=sys.stderr)
            print(f"steadyscale: [{i}/{n}] {it.input} failed: {first_line(e)}", file=sys.stderr)
            failed.append(it.input)
    summary = f"{written} of {n} written in {time.time() - t0:.1f}s"
    if skipped:
        summary += f", {skipped} skipped (outputs exist)"
    if failed:
        summary += f", {len(failed)} failed: {', '.join(failed)}"
    print(f"steadyscale: {summary}", file=sys.stderr)
    return 2 if failed else 0


def _to_stdout(job) -> int:
    """y4m on stdout, for piping into another encoder; nothing else goes there."""
    from ..app.render import build, frame_range

    _, out = build(job)
    s, e = frame_range(out.num_frames, job.start, job.end)
    out[s:e].output(sys.stdout.buffer, y4m=True)
    return 0


def _served_clip(args: argparse.Namespace):
    """(clip, stem) for ``serve``: a .vpy script's output 0, or IN through the upscale graph
    exactly as ``steadyscale upscale IN -o -`` builds it."""
    if args.input.endswith(".vpy"):
        import runpy

        import vapoursynth as vs
        if not Path(args.input).is_file():
            raise FileNotFoundError(f"serve: script not found: {args.input}")
        runpy.run_path(args.input, run_name="__vapoursynth__")
        outputs = vs.get_outputs()
        if 0 not in outputs:
            raise ValueError(f"serve: {args.input} sets no output 0 (call clip.set_output())")
        clip = getattr(outputs[0], "clip", outputs[0])
        if clip.format.color_family == vs.RGB or clip.format.sample_type != vs.INTEGER:
            raise ValueError(f"serve: {args.input}'s output is {clip.format.name}; y4m needs integer YUV or GRAY "
                             "(convert it in the script, e.g. core.resize.Bicubic(clip, format=vs.YUV444P16, "
                             "matrix_s='709'))")
        return clip, Path(args.input).stem
    from ..app.render import build, frame_range

    _, out = build(_job(args))
    s, e = frame_range(out.num_frames, args.start, args.end)
    return out[s:e], Path(args.input.rstrip("/")).stem or "render"


def cmd_serve(args: argparse.Namespace) -> int:
    import signal

    from ..serve.files import ServedRender

    if not args.mountdir and not args.http:
        raise ValueError("serve: give a MOUNTDIR, --http HOST:PORT, or both")
    if args.mountdir:
        from ..serve.fuse_fs import _fuse, check_mountpoint
        _fuse()
        check_mountpoint(Path(args.mountdir))  # before the (slow) graph is built
    if args.cache_mb <= 0:
        raise ValueError(f"serve: --cache-mb must be > 0, got {args.cache_mb}")
    import vapoursynth as vs
    vs.core.max_cache_size = max(64, int(args.cache_mb))  # VapourSynth's own frame cache, bounded alike
    clip, stem = _served_clip(args)
    served = ServedRender(clip, stem, cache_mb=args.cache_mb, readahead=args.readahead)
    server = None
    if args.http:
        from ..serve.http import make_server, serve_in_background
        host, _, port = args.http.rpartition(":")
        try:
            server = make_server(served, host.strip("[]") or "127.0.0.1", int(port))
        except (ValueError, OSError) as e:
            raise ValueError(f"serve: --http {args.http}: {e}") from None
        where = f"http://{server.server_address[0]}:{server.server_address[1]}/{stem}.y4m"
        print(f"steadyscale: serving {where} ({clip.num_frames} frames)", file=sys.stderr, flush=True)
    if not args.mountdir:  # with a mount, libfuse's own handlers end its loop on SIGINT/SIGTERM
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    else:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        if args.mountdir:
            from ..serve.fuse_fs import mount
            if server:
                serve_in_background(server)
            print(f"steadyscale: mounted {args.mountdir}/{stem}.y4m and {args.mountdir}/{stem}/ "
                  f"({clip.num_frames} frames); Ctrl+C unmounts", file=sys.stderr, flush=True)
            mount(served, Path(args.mountdir))  # returns once unmounted (SIGINT, SIGTERM, fusermount3 -u)
        else:
            server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if server:
            if args.mountdir:  # serving from its background thread
                server.shutdown()
            server.server_close()
        served.close()
    print("steadyscale: stopped serving", file=sys.stderr)
    return 0


def cmd_script(args: argparse.Namespace) -> int:
    from ..app.output import check_output
    from ..app.script import write_vpy

    check_output(args.input, Path(args.output), args.overwrite, command="script")
    job = _job(args)
    path = write_vpy(job, Path(args.output))
    print(f"steadyscale: wrote {path}", file=sys.stderr)
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from ..app.compare import write_comparison

    if args.at is not None and args.frame is not None:
        raise ValueError("compare: give --at or --frame, not both")
    crop = None
    if args.crop:
        try:
            crop = tuple(int(v) for v in args.crop.split(","))
            if len(crop) != 2:
                raise ValueError
        except ValueError:
            raise ValueError(f"compare: --crop must be X,Y in output pixels, got {args.crop!r}") from None
    job = _job(args, args.input, Path(args.output) if args.output else None)
    path, frame = write_comparison(job, args.at, args.frame, Path(args.output) if args.output else None, crop,
                                   args.overwrite)
    print(f"steadyscale: wrote {path} (frame {frame})", file=sys.stderr)
    return 0


def cmd_presets(args: argparse.Namespace) -> int:
    from ..app.presets import list_presets, load_preset

    if args.action == "list":
        for p in list_presets():
            print(f"{p.name:10s} {p.description}")
        return 0
    if not args.name:
        raise ValueError("presets show: give a preset name")
    p = load_preset(args.name)
    print(f"# {p.path}\n# {p.description}")
    for table, values in p.tables.items():
        print(f"[{table}]")
        for k, v in values.items():
            print(f"{k} = {v!r}")
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    from ..models import manager
    from ..models.registry import builtin_models

    models = builtin_models()
    if args.action == "list":
        print("built-in (models/MODELS.toml):")
        for d in models.values():
            print(f"  {d.name:16s} x{d.scale}  {d.frames} frame(s)  {d.parameters:>7d} params  {d.purpose}  {d.file}")
        store = manager.store_dir()
        print(f"user store ({store}):")
        for file, meta in sorted(manager.read_index(store).items()):
            print(f"  {file:32s} sha256 {meta['sha256'][:12]}...  {meta.get('kind', meta.get('purpose', ''))}")
        print("catalogue (steadyscale models fetch NAME):")
        for e in manager.CATALOGUE.values():
            have = "fetched" if (store / e.file).exists() else "not fetched"
            print(f"  {e.name:16s} {e.file}  [{e.licence}] {e.purpose} ({have})")
        return 0
    if args.action == "info":
        if args.name in models:
            for k, v in models[args.name].__dict__.items():
                print(f"{k:14s} {v}")
            return 0
        if args.name in manager.CATALOGUE:
            for k, v in manager.CATALOGUE[args.name].__dict__.items():
                print(f"{k:10s} {v}")
            return 0
        raise ValueError(f"unknown model {args.name!r}; built-in: {', '.join(models) or '(none)'}; "
                         f"catalogue: {', '.join(manager.CATALOGUE)}")
    if not args.name:
        raise ValueError(f"models {args.action}: give a name, URL or file")
    if args.action == "fetch":
        path = manager.fetch(args.name, args.sha256, progress=_progress("download", "B"))
        print(f"steadyscale: fetched {path}", file=sys.stderr)
        return 0
    path = manager.add(args.name, force=args.force)
    print(f"steadyscale: added {path}", file=sys.stderr)
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    import json

    from ..app.bench import bench, machine

    print(f"# {machine(args.device)}")
    print(f"{'input':>10s} {'lanczos':>8s} {'flow':>7s} {'model':>7s} {'fusion':>7s} {'total':>7s} {'fps':>6s}")
    rows = []
    for size in args.sizes.split(","):
        w, h = (int(v) for v in size.lower().split("x"))
        r = bench(w, h, args.frames, args.model, args.device)
        rows.append(r)
        print(f"{r['input']:>10s} {r['lanczos_s']:8.3f} {r['flow_s']:7.3f} {r['model_perframe_s']:7.3f} "
              f"{r['fusion_s']:7.3f} {r['full_s']:7.3f} {r['fps']:6.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": machine(args.device), "results": rows}, indent=1))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from ..app.demo import run_demo

    out = run_demo(Path(args.output), frames=args.frames, progress=_progress("demo"))
    print(f"upscaled with: {out['path']}")
    print(f"video:      {out['video']}")
    print(f"comparison: {out['compare']}")
    print(f"source:     {out['source_frame']}")
    return 0


def _version() -> str:
    """This install's version, with VapourSynth's core version beside it."""
    from importlib.metadata import PackageNotFoundError, version
    try:
        ours = version("steadyscale")
    except PackageNotFoundError:  # run from a checkout that was never installed
        ours = "(not installed)"
    try:
        import vapoursynth as vs
        return f"{ours} (VapourSynth R{vs.core.core_version.release_major})"
    except Exception:  # noqa: BLE001 - the version line must not fail
        return ours


def build_parser() -> argparse.ArgumentParser:
    ap = OneLineErrors(prog="steadyscale", epilog=EPILOG,
                                 description="Flow-aligned, temporally stable AI video upscaling to 4K.")
    ap.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    ap.add_argument("--version", action="version", version=f"steadyscale {_version()}")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=OneLineErrors)

    up = sub.add_parser("upscale", help="upscale videos or image sequences and encode them",
                        description="Open IN (vapoursynth-bestsource; a folder or glob of images works "
                                    "too), upscale it and encode it with ffmpeg. The output appears "
                                    "only when complete. Audio and subtitles are copied from IN. "
                                    "Several INs, or a folder of videos, render one after the other "
                                    "(a batch): each output is named by --name, in -o FOLDER or beside "
                                    "its input.")
    up.add_argument("input", metavar="IN", nargs="+", help="video file, folder of images or videos, or glob")
    up.add_argument("-o", "--output", metavar="OUT",
                    help="output file, a folder (ending in / or existing) for --name'd outputs, or - for "
                         "y4m on stdout (default: beside each input, named by --name)")
    from ..app.batch import DEFAULT_NAME, FIELDS
    up.add_argument("--name", default=DEFAULT_NAME, metavar="TEMPLATE",
                    help=f"output name when -o is a folder or absent; fields "
                         f"{', '.join('{' + f + '}' for f in FIELDS)} (default: {DEFAULT_NAME})".replace("%", "%%"))
    _add_graph_options(up)
    up.add_argument("--resume", action="store_true",
                    help="render in segments, skip finished ones, join losslessly at the end")
    from ..effects.encode import ENCODE
    from .options import add_effect_options
    add_effect_options(up, ENCODE, ("segment_frames",))
    up.add_argument("--max-segments", type=int, help="with --resume: stop after rendering this many new segments")
    up.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    up.add_argument("-y", "--overwrite", action="store_true", help="replace OUT if it exists (default: refuse)")
    up.add_argument("--threads", type=int, help="CPU threads for VapourSynth and torch (default: all cores)")
    up.add_argument("--cache-mb", type=int, default=2048,
                    help="VapourSynth's frame cache in MB (default 2048: the window's UHD frames fit, so none is "
                         "rendered twice; 1536 saves ~0.4 GB for ~10%% more time at 540p->UHD)")
    ray = up.add_argument_group("cluster (pip install 'steadyscale[cluster]'; docs/cluster.md)")
    ray.add_argument("--ray", metavar="ADDRESS", help="render chunks on a Ray cluster: 'auto', HOST:PORT or ray://...")
    ray.add_argument("--ray-gpus-per-task", type=float, default=0.0, help="GPUs per chunk task (default 0)")
    ray.add_argument("--ray-threads", type=int, default=1, help="CPU threads per chunk task (default 1)")
    ray.add_argument("--ray-storage", metavar="DIR",
                     help="segment folder every node sees (default: .OUT.parts next to the output)")
    up.set_defaults(func=cmd_upscale)

    sc = sub.add_parser("script", help="write an editable .vpy with the same graph",
                        description="Write a commented .vpy script building the same graph as "
                                    "'steadyscale upscale' would, for vspipe, previewers and editors.")
    sc.add_argument("input", metavar="IN")
    sc.add_argument("-o", "--output", required=True, metavar="SCRIPT.vpy")
    sc.add_argument("-y", "--overwrite", action="store_true", help="replace SCRIPT.vpy if it exists (default: refuse)")
    _add_graph_options(sc)
    sc.set_defaults(func=cmd_script)

    cp = sub.add_parser("compare", help="one frame as source, Lanczos and steadyscale, side by side (PNG)",
                        description="Render one frame of IN three ways with the same options as 'steadyscale "
                                    "upscale' and write a PNG: the whole steadyscale frame with the crop "
                                    "marked, over 100%% crops of the source (pixels enlarged as they are), "
                                    "Lanczos and steadyscale. The crop goes where the source has most detail.")
    cp.add_argument("input", metavar="IN")
    cp.add_argument("--at", metavar="TIME", help="time in the clip: seconds (12.5), M:SS or H:MM:SS (default 0)")
    cp.add_argument("--frame", type=int, metavar="N", help="frame number instead of --at")
    cp.add_argument("--crop", metavar="X,Y", help="top-left corner of the 100%% crops, in output pixels "
                                                  "(default: where the source has most detail)")
    cp.add_argument("-o", "--output", metavar="OUT.png", help="default: IN.compare-FRAME.png beside IN")
    cp.add_argument("-y", "--overwrite", action="store_true", help="replace OUT.png if it exists (default: refuse)")
    _add_graph_options(cp)
    cp.set_defaults(func=cmd_compare)

    sv = sub.add_parser("serve", help="serve a render as seekable files (FUSE mount and/or HTTP)",
                        description="Mount a read-only folder holding IN.y4m (the exact bytes of "
                                    "'steadyscale upscale IN -o -') and IN/NNNNNN.tif (16-bit RGB), "
                                    "rendered on demand in any order; or serve the same over HTTP with "
                                    "byte ranges. IN may be a .vpy script (its output 0). docs/serve.md")
    sv.add_argument("input", metavar="IN|SCRIPT.vpy")
    sv.add_argument("mountdir", metavar="MOUNTDIR", nargs="?", help="an empty folder to mount on")
    sv.add_argument("--http", metavar="HOST:PORT", help="also (or only) serve over HTTP, e.g. 127.0.0.1:8080")
    sv.add_argument("--cache-mb", type=float, default=512, help="frame cache bound in MB (default 512)")
    sv.add_argument("--readahead", type=int, default=4, help="frames rendered ahead of a reader (default 4)")
    _add_graph_options(sv)
    sv.set_defaults(func=cmd_serve)

    pr = sub.add_parser("presets", help="list presets or show one")
    pr.add_argument("action", choices=["list", "show"])
    pr.add_argument("name", nargs="?")
    pr.set_defaults(func=cmd_presets)

    mo = sub.add_parser("models", help="list, inspect, fetch or add models",
                        description="Built-in models ship with steadyscale; user models live in "
                                    "$STEADYSCALE_MODELS or the user cache folder. 'fetch' downloads a "
                                    "catalogue entry (or a URL with --sha256) atomically and verified; "
                                    "'add' checks a local .pth/.safetensors/.onnx file and copies it in.")
    mo.add_argument("action", choices=["list", "info", "fetch", "add"])
    mo.add_argument("name", nargs="?", help="model name, URL (fetch) or file (add)")
    mo.add_argument("--sha256", help="expected sha256 when fetching a URL")
    mo.add_argument("--force", action="store_true", help="add: replace a different stored model of the same name")
    mo.set_defaults(func=cmd_models)

    be = sub.add_parser("bench", help="measure upscale() speed by stage (seconds per frame)",
                        description="Time Lanczos, the flow node, the model per frame and the temporal "
                                    "fusion for inputs going to 3840x2160 on this machine.")
    be.add_argument("--sizes", default="960x540,1920x1080", help="input sizes (default: 960x540,1920x1080)")
    be.add_argument("--frames", type=int, default=4, help="frames per measurement (default 4)")
    be.add_argument("--model", default="builtin")
    be.add_argument("--device", default="cpu")
    be.add_argument("--json", help="also write the results as JSON")
    be.set_defaults(func=cmd_bench)

    demo = sub.add_parser("demo", help="make a sample clip, upscale it to UHD, encode it, compare",
                          description="Make a short sample clip (camera motion over a bundled photo), "
                                      "upscale it to 3840x2160 with the best available path, encode it "
                                      "with x265 and write a side-by-side comparison PNG.")
    demo.add_argument("-o", "--output", default="out/demo", help="output folder (default: out/demo)")
    demo.add_argument("--frames", type=int, default=24, help="clip length in frames (default: 24, one second)")
    demo.set_defaults(func=cmd_demo)
    return ap


def _expected(e: Exception) -> bool:
    """Failures a user can act on, shown as one line (anything else is a bug: a traceback)."""
    import vapoursynth as vs

    from ..errors import SteadyscaleException
    return isinstance(e, (vs.Error, SteadyscaleException, ValueError, FileNotFoundError, PermissionError))


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP (``docker stop``, a closed terminal): cleaned up exactly like Ctrl-C."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _terminate_like_interrupt() -> None:
    import signal

    def raise_terminated(signum, _frame):
        raise Terminated(signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) is signal.SIG_DFL:  # an inherited 'ignore' (nohup) is kept
            signal.signal(sig, raise_terminated)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr,
                        format="%(name)s: %(message)s")
    if args.command != "serve":  # serve installs its own handlers (libfuse's, or its server's)
        _terminate_like_interrupt()
    try:
        return args.func(args)
    except KeyboardInterrupt as e:
        what = "stopped by a signal" if isinstance(e, Terminated) else "interrupted"
        print(f"steadyscale: {what}; no partial output was left under the final name", file=sys.stderr)
        return 128 + e.signum if isinstance(e, Terminated) else 130
    except Exception as e:  # expected failures get one line, not a traceback
        import traceback

        from ..errors import first_line
        if _expected(e):
            if args.verbose:
                traceback.print_exc(file=sys.stderr)
            print(f"steadyscale: {first_line(e)}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
