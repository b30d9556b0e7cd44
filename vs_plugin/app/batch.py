"""Several inputs in one command: which files are inputs, and the name each output gets.

A folder of images (or an image glob) is one input, an image sequence; a folder of video files
is one input per file. Outputs are named from a template, beside their inputs or in ``-o
FOLDER``; the plan is checked whole (clashing names, an output that is another input) before
anything renders, so a Friday-night batch does not stop on Saturday at file 7.
"""

from __future__ import annotations

import glob
import string
from dataclasses import dataclass
from pathlib import Path

from ..errors import SteadyscaleError
from .source import image_files, is_glob

#: the video files a folder contributes (bestsource opens more; these are what people keep)
VIDEO_SUFFIXES = (".mkv", ".mp4", ".m4v", ".mov", ".avi", ".webm", ".ts", ".m2ts", ".mts", ".mpg", ".mpeg",
                  ".vob", ".wmv", ".flv", ".3gp", ".mxf", ".ogv", ".dv", ".y4m")
#: the containers an output can be (see encode/streams.py)
OUTPUT_SUFFIXES = (".mkv", ".mp4", ".mov")
#: the default output name: beside the input, never the input itself
DEFAULT_NAME = "{stem}.steadyscale.mkv"
#: what a name template may use
FIELDS = ("stem", "ext", "width", "height", "preset")


@dataclass(frozen=True)
class Item:
    """One render of a batch: its input (a file, a folder of images or an image glob) and output."""

    input: str
    output: Path


def _videos_in(folder: Path) -> list[Path]:
    return sorted(q for q in folder.iterdir()
                  if q.is_file() and not q.name.startswith(".") and q.suffix.lower() in VIDEO_SUFFIXES)


def expand_inputs(inputs: list[str], func: str = "upscale") -> list[str]:
    """The render inputs ``inputs`` stand for, in order, each once."""
    out: list[str] = []
    for i in inputs:
        p = Path(i)
        if image_files(i):
            out.append(i)  # an image sequence
        elif p.is_dir():
            videos = _videos_in(p)
            if not videos:
                raise SteadyscaleError(func, f"{i} holds neither images nor video files "
                                             f"({', '.join(VIDEO_SUFFIXES[:6])}, ...)")
            out += [str(v) for v in videos]
        elif is_glob(i):
            matches = sorted(Path(q) for q in glob.glob(i) if Path(q).suffix.lower() in VIDEO_SUFFIXES)
            if not matches:
                raise SteadyscaleError(func, f"{i} matches no images and no video files")
            out += [str(m) for m in matches]
        else:
            out.append(i)  # a file (a missing one fails when its render opens it, with its name)
    seen: set[Path] = set()
    unique = []
    for i in out:
        key = Path(i).resolve()
        if key not in seen:
            seen.add(key)
            unique.append(i)
    return unique


def _stem_and_folder(src: str) -> tuple[str, str, Path]:
    """(stem, extension, folder the input lives in); an image folder or glob is named after its folder."""
    p = Path(src)
    if p.is_dir():
        return p.resolve().name, "", p.resolve().parent
    if is_glob(src):
        return p.parent.resolve().name, "", p.parent.resolve().parent
    return p.stem, p.suffix.lstrip("."), p.parent


def check_template(template: str, func: str = "upscale") -> None:
    """Refuse a template with unknown fields or a suffix no output container has."""
    try:
        names = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError as e:
        raise SteadyscaleError(func, f"--name {template!r}: {e}") from None
    unknown = [n for n in names if n not in FIELDS]
    if unknown or "/" in template:
        what = f"unknown field {{{unknown[0]}}}" if unknown else "a name, not a path"
        raise SteadyscaleError(func, f"--name {template!r}: {what}; fields: "
                                     f"{', '.join('{' + f + '}' for f in FIELDS)}")
    if Path(template).suffix.lower() not in OUTPUT_SUFFIXES:
        raise SteadyscaleError(func, f"--name {template!r} must end in {', '.join(OUTPUT_SUFFIXES)}")


def output_name(src: str, template: str, folder: Path | None, width: int, height: int, preset: str) -> Path:
    """Where ``src``'s render goes: ``template`` filled in, in ``folder`` or beside the input."""
    stem, ext, home = _stem_and_folder(src)
    name = template.format(stem=stem, ext=ext, width=width, height=height, preset=Path(preset).stem)
    return (folder if folder is not None else home) / name


def is_folder_output(output: str | None) -> bool:
    """Whether ``-o`` names a folder to write into (an existing folder, or a path ending in /)."""
    if output is None or output == "-":
        return False
    return output.endswith(("/", "\\")) or Path(output).is_dir()


def is_batch(inputs: list[str]) -> bool:
    """Whether ``inputs`` stand for a batch: several, a folder of videos or a glob of videos
    (even one that matches a single file, so the output naming does not depend on the count)."""
    return len(inputs) > 1 or any(not image_files(i) and (Path(i).is_dir() or is_glob(i)) for i in inputs)


def plan(inputs: list[str], output: str | None, template: str, width: int, height: int, preset: str,
         func: str = "upscale") -> list[Item]:
    """The renders ``steadyscale upscale IN... [-o OUT]`` stands for, checked as a whole."""
    check_template(template, func)
    srcs = expand_inputs(inputs, func)
    batch = is_batch(inputs)
    if output == "-" and batch:
        raise SteadyscaleError(func, f"-o - (y4m on stdout) takes one input; got {len(srcs)}")
    if batch and output not in (None, "-") and Path(output).suffix.lower() not in OUTPUT_SUFFIXES \
            and not Path(output).is_file():
        output = output.rstrip("/\\") + "/"  # `-o renders` with several inputs: a folder, made if missing
    if output is not None and not is_folder_output(output):
        if batch:
            raise SteadyscaleError(func, f"-o {output}: {len(srcs)} inputs need an output folder "
                                         f"(e.g. -o {Path(output).stem or 'out'}/), or no -o to write each "
                                         "beside its input")
        return [Item(srcs[0], Path(output))]
    if output is not None and Path(output).is_dir() and Path(output).suffix.lower() in OUTPUT_SUFFIXES \
            and not output.endswith(("/", "\\")):  # `-o x.mkv` meant a file: say so, do not write inside
        raise SteadyscaleError(func, f"-o {output} is a folder; give a file name such as "
                                     f"{Path(output) / 'out.mkv'}")
    folder = Path(output) if output is not None else None
    items = [Item(s, output_name(s, template, folder, width, height, preset)) for s in srcs]
    outputs = {it.output.resolve(): it for it in items}
    # an earlier run's output sitting beside its input is not an input of this one
    items = [it for it in items if Path(it.input).resolve() not in outputs
             or outputs[Path(it.input).resolve()] is it]
    taken: dict[Path, str] = {}
    for it in items:
        key = it.output.resolve()
        if key in taken:
            raise SteadyscaleError(func, f"{taken[key]} and {it.input} would both be written to {it.output}; "
                                         "add {ext} to --name (e.g. --name '{stem}-{ext}.mkv')")
        taken[key] = it.input
    return items
