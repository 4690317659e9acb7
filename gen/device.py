"""Choosing where (device) and in what precision the model runs."""

from __future__ import annotations

import torch

from gen.errors import GenError


def pick_device(name: str = "auto") -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise GenError("--device cuda: no CUDA GPU is available; use --device cpu")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise GenError("--device mps: Apple's MPS is not available here; use --device cpu")
    if name not in ("cpu", "cuda", "mps"):
        raise GenError(f"unknown device {name!r}; choose auto, cpu, cuda or mps")
    return torch.device(name)


def cpu_has_bf16() -> bool:
    """True where oneDNN has native bf16 kernels (AVX-512 BF16 / AMX); elsewhere bf16 is slower."""
    try:
        return bool(torch.backends.mkldnn.is_available()
                    and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def pick_precision(name: str, device: torch.device) -> str:
    if name == "auto":
        if device.type == "cuda":
            # Tensor cores want half precision: bf16 where the GPU has it (Ampere on), else
            # fp16 with loss scaling.
            return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
        if device.type == "cpu":
            return "bf16" if cpu_has_bf16() else "fp32"
        return "fp32"
    if name not in ("fp32", "bf16", "fp16"):
        raise GenError(f"unknown precision {name!r}; choose auto, fp32, bf16 or fp16")
    if name == "fp16" and device.type != "cuda":
        raise GenError("--precision fp16 needs --device cuda; use bf16 or fp32")
    return name
