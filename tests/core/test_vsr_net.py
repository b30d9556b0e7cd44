"""The built-in network's weight surgery: grown networks compute what the trained one did."""

from __future__ import annotations

import pytest
import torch

from vs_plugin.core.vsr_net import FlowVSR, widen_state


def test_widen_state_computes_the_same_function_and_gives_the_new_channels_gradients():
    torch.manual_seed(0)
    narrow = FlowVSR(4, 3, channels=8, blocks=3)
    for p in narrow.parameters():
        torch.nn.init.normal_(p, std=0.2)
    wide = FlowVSR(4, 3, channels=12, blocks=3)
    wide.load_state_dict(widen_state(narrow.state_dict(), 12))
    centre, warped, conf = torch.rand(1, 3, 10, 12), torch.rand(1, 2, 3, 10, 12), torch.rand(1, 2, 1, 10, 12)
    assert torch.allclose(wide(centre, warped, conf), narrow(centre, warped, conf), atol=1e-6, rtol=0)
    wide(centre, warped, conf).square().mean().backward()
    assert wide.tail.weight.grad[:, 8:].abs().sum() > 0  # the new channels are not dead
    with pytest.raises(ValueError, match="widen_state: cannot narrow 12 channels to 8"):
        widen_state(wide.state_dict(), 8)
