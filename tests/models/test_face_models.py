"""Third-party face restorers load through spandrel and run deterministically."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from vs_plugin.models.backends import face_backend


def test_random_gfpgan_file_loads_and_runs_deterministically(tmp_path):
    from spandrel.architectures.GFPGAN import GFPGAN

    torch.manual_seed(0)
    net = GFPGAN(out_size=512, num_style_feat=512, channel_multiplier=2, decoder_load_path=None,
                 fix_decoder=False, num_mlp=8, input_is_latent=True, different_w=True, narrow=1, sft_half=True)
    path = tmp_path / "GFPGANv1.4-random.safetensors"
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(path))
    del net
    backend = face_backend(path, device="cpu")
    assert backend.scale == 1 and backend.dtype == torch.float32 and "GFPGAN" in backend.name
    crop = np.random.default_rng(0).random((512, 512, 3)).astype(np.float32)
    a, b = backend(crop), backend(crop)
    assert a.shape == (512, 512, 3) and a.dtype == np.float32
    assert np.array_equal(a, b)  # no random noise injection: same crop, same face


def _random_restorer(arch: str, path):
    """A randomly initialised state dict of a third-party face architecture, saved as .pth (the
    layout official weights use); small variants where spandrel reads the sizes from the keys."""
    torch.manual_seed(0)
    if arch == "GFPGAN":
        from spandrel.architectures.GFPGAN import GFPGAN
        net = GFPGAN(out_size=512, num_style_feat=512, channel_multiplier=2, decoder_load_path=None,
                     fix_decoder=False, num_mlp=8, input_is_latent=True, different_w=True, narrow=1, sft_half=True)
    elif arch == "RestoreFormer":  # RestoreFormer++'s layout; spandrel reads every size from the keys
        from spandrel.architectures.RestoreFormer import RestoreFormer
        net = RestoreFormer(ch=32, n_embed=64, embed_dim=32, z_channels=32, ch_mult=(1, 1, 2, 2, 2, 2))
    else:
        extra = pytest.importorskip("spandrel_extra_arches.architectures.CodeFormer",
                                    reason="CodeFormer needs the faces-extra (spandrel-extra-arches)")
        net = extra.CodeFormer(dim_embd=64, n_layers=2, codebook_size=64)
    torch.save(net.state_dict(), path)


@pytest.mark.parametrize("arch, stability", [("GFPGAN", 0.0), ("RestoreFormer", 0.7), ("CodeFormer", 0.0)])
def test_third_party_restorers_run_the_whole_face_layer(tmp_path, arch, stability):
    import vapoursynth as vs
    from clips import from_arrays
    from faces_clip import two_faces

    import vs_plugin
    from vs_plugin.host.arrays import frame_to_array

    path = tmp_path / f"{arch}-random.pth"
    _random_restorer(arch, path)
    src = from_arrays(two_faces(3, 320, 180))
    up = vs_plugin.upscale(src, 640, 360, model="lanczos", format=vs.RGBS)
    out = vs_plugin.face_layer(src, up, model=str(path), stability=stability, radius=1, strength=1.0)
    mask = vs_plugin.face_layer(src, up, model=str(path), stability=stability, radius=1, strength=1.0,
                                output="mask")
    a, u, m = frame_to_array(out.get_frame(1)), frame_to_array(up.get_frame(1)), frame_to_array(mask.get_frame(1))
    inside, outside = m[..., 0] > 0.5, m[..., 0] == 0
    assert inside.sum() > 2000  # the face was found and restored
    assert np.abs(a - u)[inside].mean() > 0.01  # random weights change it (the model really ran)
    assert np.array_equal(a[outside], u[outside])  # nothing outside the feathered face mask changes
    assert np.array_equal(a, frame_to_array(out.get_frame(1)))  # deterministic (no noise injection)


@pytest.mark.parametrize("arch", ["GFPGAN", "RestoreFormer", "CodeFormer"])
def test_a_restorer_added_to_the_store_is_used_by_name(tmp_path, monkeypatch, arch):
    """What docs/faces.md tells users to do with the official files: `models add`, then the name."""
    import vapoursynth as vs
    from clips import from_arrays
    from faces_clip import two_faces

    import vs_plugin
    from vs_plugin.host.arrays import frame_to_array
    from vs_plugin.models import manager

    monkeypatch.setenv("STEADYSCALE_MODELS", str(tmp_path / "store"))
    path = tmp_path / f"{arch}-random.pth"
    _random_restorer(arch, path)
    manager.add(path)
    path.unlink()  # only the store's copy is left
    src = from_arrays(two_faces(2, 320, 180))
    up = vs_plugin.upscale(src, 640, 360, model="lanczos", format=vs.RGBS)
    by_name = vs_plugin.face_layer(src, up, model=f"{arch}-random", stability=0.0, radius=1, strength=1.0)
    assert np.abs(frame_to_array(by_name.get_frame(0)) - frame_to_array(up.get_frame(0))).max() > 0.01
