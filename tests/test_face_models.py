"""Third-party face restorers load through spandrel and run deterministically."""

from __future__ import annotations

import numpy as np
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
