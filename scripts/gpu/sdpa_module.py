"""Writes a TorchScript module whose forward(q, k, v) is PyTorch's fused causal attention, for
dev.prosparse.device.SdpaProbe (issue 10: does DJL run it with autograd?). Usage: python3 sdpa_module.py OUT.pt"""
import sys
import torch
import torch.nn.functional as F


class Sdpa(torch.nn.Module):
    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        return F.scaled_dot_product_attention(q, k, v, is_causal=True)


torch.jit.script(Sdpa()).save(sys.argv[1])
print("wrote", sys.argv[1])
