"""The command line itself: stdout hygiene, presets, help, errors, scripts, signals, options."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from commands import EXE, FAST, decode, run

from vs_plugin.app.presets import PRESETS_DIR, list_presets
from vs_plugin.encode import find_ffmpeg


def test_stdout_carries_only_y4m(clip_with_audio):
    r = run("upscale", clip_with_audio, "-o", "-", *FAST, "--end", 3)
    assert r.returncode == 0, r.stderr.decode()
    header, _, body = r.stdout.partition(b"\n")
    assert header.startswith(b"YUV4MPEG2 ") and b" W320 H180 " in header and b"C420p10" in header
    assert len(body) == 3 * (len(b"FRAME\n") + 320 * 180 * 3 // 2 * 2)  # 3 frames, nothing else


def test_every_preset_loads_and_builds_a_graph(clip_with_audio):
    from vs_plugin.app.render import RenderJob, build

    presets = list_presets()
    assert {p.name for p in presets} >= {"fast", "balanced", "quality", "portrait", "faithful"}
    for p in presets:
        up = dict(p.tables.get("upscale", {}), width=320, height=180)
        if up.get("model") == "builtin":
            from vs_plugin.models.registry import builtin_models
            if not builtin_models():
                pytest.skip("no built-in model shipped")
        _, out = build(RenderJob(str(clip_with_audio), Path("x.mkv"), up, p.tables.get("encode", {})))
        assert (out.width, out.height) == (320, 180)


def test_quality_preset_runs_the_ensemble_and_yields_to_model_lanczos(clip_with_audio, tmp_path):
    out = tmp_path / "q.mkv"
    r = run("upscale", clip_with_audio, "-o", out, "--preset", "quality", "--width", "320", "--height", "180",
            "--end", 3, "--encoder", "ffv1", "-q")
    assert r.returncode == 0, r.stderr.decode()
    assert len(decode(out)) == 3
    r = run("upscale", clip_with_audio, "-o", tmp_path / "l.mkv", "--preset", "quality", *FAST, "--end", 3)
    assert r.returncode == 0, r.stderr.decode()  # the preset's ensemble does not apply to Lanczos
    r = run("upscale", clip_with_audio, "-o", tmp_path / "e.mkv", *FAST, "--ensemble")
    assert r.returncode != 0 and b"ensemble=True needs a torch model" in r.stderr


def test_bad_preset_and_bad_flag_give_one_line_errors(clip_with_audio, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[upscale]\nstabilty = 0.5\n")
    r = run("upscale", clip_with_audio, "-o", tmp_path / "o.mkv", "--preset", bad)
    err = r.stderr.decode().strip()
    assert r.returncode == 2 and len(err.splitlines()) == 1
    assert "preset bad.toml: [upscale] unknown parameter 'stabilty'" in err
    bad.write_text("[upscale]\nstability = 2\n")
    err = run("upscale", clip_with_audio, "-o", tmp_path / "o.mkv", "--preset", bad).stderr.decode().strip()
    assert err == ("steadyscale: steadyscale.upscale: preset bad.toml: [upscale] stability must be a number "
                   "in [0, 1], got 2")
    r = run("upscale", clip_with_audio, "-o", tmp_path / "o.mkv", "--fit", "zoom")
    err = r.stderr.decode().strip()
    assert r.returncode == 2 and len(err.splitlines()) == 1 and "--fit" in err and "'zoom'" in err
    r = run("upscale", tmp_path / "missing.mp4", "-o", tmp_path / "o.mkv", *FAST)
    missing = tmp_path / "missing.mp4"
    assert r.returncode == 2
    assert r.stderr.decode().strip() == f"steadyscale: steadyscale.source: input not found: {missing}"


def test_help_reads_well():
    r = run("--help")
    assert r.returncode == 0 and b"upscale" in r.stdout and b"script" in r.stdout
    for cmd in ("upscale", "script", "compare", "serve", "presets", "models", "bench", "demo"):
        r = run(cmd, "--help")
        assert r.returncode == 0 and b"usage: steadyscale " + cmd.encode() in r.stdout


def test_script_writes_a_vpy_that_vspipe_renders(clip_with_audio, tmp_path):
    vpy = tmp_path / "edit.vpy"
    r = run("script", clip_with_audio, "-o", vpy, *FAST[:-1], "--end", 6)
    assert r.returncode == 0, r.stderr.decode()
    text = vpy.read_text()
    assert "vs_plugin.upscale(" in text and "model='lanczos'" in text
    vspipe = Path(sys.executable).parent / "vspipe"
    p = subprocess.run([str(vspipe), "-c", "y4m", str(vpy), "-"], capture_output=True)
    assert p.returncode == 0, p.stderr.decode()
    header, _, body = p.stdout.partition(b"\n")
    assert b" W320 H180 " in header
    assert len(body) == 6 * (len(b"FRAME\n") + 320 * 180 * 3 // 2 * 2)


def test_presets_listed(tmp_path):
    r = run("presets", "list")
    assert r.returncode == 0
    names = [line.split()[0] for line in r.stdout.decode().splitlines()]
    assert names == sorted(p.stem for p in PRESETS_DIR.glob("*.toml"))


@pytest.mark.parametrize("flag, message", [
    (["--device", "nonsense"], "device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got 'nonsense'"),
    (["--model", "builtin-face-x4"], "model 'builtin-face-x4' is a face-sr model; use it with face_layer()"),
])
def test_bad_values_are_one_line_errors_at_graph_build(clip_with_audio, tmp_path, flag, message):
    r = run("upscale", clip_with_audio, "-o", tmp_path / "o.mkv", "--width", "320", "--height", "180", "-q", *flag)
    assert r.returncode == 2
    assert r.stderr.decode().strip() == f"steadyscale: steadyscale.upscale: {message}"


def test_a_model_listed_by_name_renders(clip_with_audio, tmp_path):
    r = run("upscale", clip_with_audio, "-o", tmp_path / "o.mkv", "--model", "builtin-clean-x2", "--width", "320",
            "--height", "180", "-q", "--end", 2)
    assert r.returncode == 0, r.stderr.decode()


def _four_seconds(folder: Path) -> Path:
    """A 4 s clip with audio: about 15 s to render at 1280x720 here, so a signal lands mid-render."""
    folder.mkdir()
    src = folder / "in.mp4"
    subprocess.run([find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc2=size=160x90:rate=24", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
                    "-t", "4", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(src)],
                   check=True)
    return src


def test_sigint_exits_130_and_leaves_no_output(tmp_path):
    """Ctrl-C while ffmpeg is writing (a 4 s clip, about 15 s to render here, so the signal lands
    mid-render)."""
    import signal
    import time
    src = _four_seconds(tmp_path / "src")
    work = tmp_path / "out"
    out = work / "o.mkv"
    # the default SIGINT disposition, as in a terminal: a test run launched in the background
    # by a shell without job control inherits SIGINT ignored, and so would the command
    p = subprocess.Popen([EXE, "upscale", str(src), "-o", str(out), "--model", "builtin-clean",
                          "--width", "1280", "--height", "720", "--encoder", "ffv1"], stderr=subprocess.PIPE,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    t0 = time.time()
    while not list(work.glob(".*partial*")) and time.time() - t0 < 60:
        time.sleep(0.05)
    assert p.poll() is None, "the render ended before it could be interrupted"
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130, err.decode()
    assert not out.exists() and not list(work.iterdir())


def test_script_builds_the_same_graph_as_the_command(clip_with_audio, tmp_path):
    args = ["--model", "lanczos", "--width", "320", "--height", "240", "--fit", "pad", "--end", "4"]
    script = tmp_path / "same.vpy"
    assert run("script", clip_with_audio, "-o", script, *args).returncode == 0
    piped = subprocess.run([str(Path(sys.executable).parent / "vspipe"), "-c", "y4m", str(script), "-"],
                           capture_output=True)
    assert piped.returncode == 0, piped.stderr.decode()
    direct = run("upscale", clip_with_audio, "-o", "-", *args, "-q")
    assert direct.returncode == 0
    assert piped.stdout == direct.stdout


def test_every_upscale_and_encode_parameter_is_an_option_with_the_descriptors_type_and_choices():
    from vs_plugin.cli.main import build_parser
    from vs_plugin.effects.encode import ENCODE
    from vs_plugin.effects.upscale import UPSCALE
    sub = next(a for a in build_parser()._actions if a.dest == "command").choices
    not_flags = {"size": "--uhd/--dci", "format": "follows --bits"}
    for command in ("upscale", "script", "serve"):
        actions = {}
        for a in sub[command]._actions:  # the parameter's own flag first, then aliases such as --no-audio
            actions.setdefault(a.dest, a)
        for effect in (UPSCALE, ENCODE):
            for p in effect.params:
                if p.name in not_flags or (p.name == "segment_frames" and command != "upscale"):
                    continue
                a = actions[p.name]
                assert a.option_strings[0] == "--" + p.name.replace("_", "-"), (command, p.name)
                assert a.default is None and p.doc in a.help
                if p.kind == "choice":
                    assert tuple(a.choices) == p.choices
    args = sub["upscale"].parse_args(["in.mp4", "-o", "o.mkv", "--tile", "128x64", "--flow-preset", "fast",
                                      "--no-ensemble", "--kernel", "spline36"])
    assert (args.tile, args.flow_preset, args.ensemble, args.kernel) == ((128, 64), "fast", False, "spline36")


def test_a_bad_tile_is_a_one_line_error_naming_the_flag(clip_with_audio, tmp_path):
    r = run("upscale", clip_with_audio, "-o", tmp_path / "o.mkv", *FAST, "--tile", "8by8")
    err = r.stderr.decode().strip().splitlines()
    assert r.returncode == 2 and "argument --tile: must be WxH or 'auto', got '8by8'" in err[-1]


def test_script_never_replaces_the_input_or_an_existing_file_without_y(clip_with_audio, tmp_path):
    src = tmp_path / "in.mp4"
    src.write_bytes(clip_with_audio.read_bytes())
    r = run("script", src, "-o", src, *FAST[:-1])
    assert r.returncode == 2
    assert r.stderr.decode().strip() == (f"steadyscale: steadyscale.script: -o {src} is the input file itself; "
                                         "choose another output name")
    assert src.read_bytes() == clip_with_audio.read_bytes()
    edited = tmp_path / "edit.vpy"
    edited.write_text("# my hand-edited script\n")
    r = run("script", src, "-o", edited, *FAST[:-1])
    assert r.returncode == 2 and f"{edited} exists; pass -y to overwrite it" in r.stderr.decode()
    assert edited.read_text() == "# my hand-edited script\n"
    assert run("script", src, "-o", edited, *FAST[:-1], "-y").returncode == 0
    assert "vs_plugin.upscale(" in edited.read_text()


@pytest.mark.parametrize("signame, code", [("SIGTERM", 143), ("SIGHUP", 129)])
def test_sigterm_and_sighup_clean_up_like_ctrl_c(tmp_path, signame, code):
    """`docker stop` and a closed terminal: the hidden partial file and the lock are removed."""
    import signal
    import time
    src = _four_seconds(tmp_path / "src")
    work = tmp_path / "out"
    out = work / "o.mkv"
    p = subprocess.Popen([EXE, "upscale", str(src), "-o", str(out), "--model", "builtin-clean",
                          "--width", "1280", "--height", "720", "--encoder", "ffv1"], stderr=subprocess.PIPE,
                         preexec_fn=lambda: signal.signal(getattr(signal, signame), signal.SIG_DFL))
    t0 = time.time()
    while not list(work.glob(".*partial*")) and time.time() - t0 < 60:
        time.sleep(0.05)
    assert p.poll() is None, "the render ended before it could be stopped"
    p.send_signal(getattr(signal, signame))
    _, err = p.communicate(timeout=60)
    assert p.returncode == code, err.decode()
    assert "steadyscale: stopped by a signal; no partial output was left under the final name" in err.decode()
    assert not out.exists() and not list(work.iterdir())


def test_version():
    from importlib.metadata import version
    r = run("--version")
    assert r.returncode == 0 and r.stdout.decode().startswith(f"steadyscale {version('steadyscale')} (VapourSynth R")


def test_an_unreachable_ray_address_fails_at_once_and_leaves_nothing(clip_with_audio, tmp_path):
    pytest.importorskip("ray", reason="Ray is the optional extra steadyscale[cluster]")
    out = tmp_path / "o.mkv"
    r = run("upscale", clip_with_audio, "-o", out, *FAST, "--ray", "127.0.0.1:1", timeout=120)  # it hung 10+ min
    err = r.stderr.decode().strip()
    assert r.returncode == 2
    assert err.startswith("steadyscale: steadyscale.upscale: --ray 127.0.0.1:1: nothing answers there (")
    assert not list(tmp_path.iterdir())  # no .parts folder, no lock, no partial file
