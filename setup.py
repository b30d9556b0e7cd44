"""Build hook: the wheel carries the built-in models and the presets inside the package.

``models/`` and ``presets/`` stay at the top of the repository (the source of truth, read
directly by a checkout or an editable install); a regular build copies them to
``vs_plugin/_data/`` so that ``pip install steadyscale`` works offline from any folder
(see vs_plugin/resources.py).
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildPyWithData(build_py):
    def run(self):
        super().run()
        if self.editable_mode:  # the checkout's folders are read in place
            return
        for name, pattern in (("models", ("*.safetensors", "MODELS.toml")), ("models/onnx", ("*.onnx", "manifest.json")),
                              ("presets", ("*.toml",))):
            dst = Path(self.build_lib) / "vs_plugin" / "_data" / name
            dst.mkdir(parents=True, exist_ok=True)
            for pat in pattern:
                for f in sorted((ROOT / name).glob(pat)):
                    shutil.copyfile(f, dst / f.name)


setup(cmdclass={"build_py": BuildPyWithData})
