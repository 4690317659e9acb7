"""Data-parallel training on torch.distributed: process group set-up and the few collectives
the trainer needs.

`gen train` run under ``torchrun`` finds RANK, WORLD_SIZE, LOCAL_RANK and MASTER_ADDR/PORT in its
environment (env:// rendezvous), so one node (``--standalone --nproc-per-node N``) and many nodes
(``--nnodes M --rdzv-endpoint HOST:PORT``) need nothing special here. Without those variables
everything below is a no-op for a single process, so the ordinary path pays nothing.

Backends: NCCL for CUDA, gloo for CPU. A collective that waits longer than ``GEN_DIST_TIMEOUT``
seconds (default 1800: evaluation on rank 0 may take a while) fails instead of hanging forever; a
peer that dies usually fails the collective at once (its socket closes).
"""

from __future__ import annotations

import os
from datetime import timedelta

import torch
import torch.distributed as dist

from gen.errors import GenError


def world_size() -> int:
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def rank() -> int:
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def is_main() -> bool:
    return rank() == 0


def launched() -> bool:
    """True under torchrun (or any env:// launcher) with more than one process."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def setup(device: torch.device) -> torch.device:
    """Join the process group if launched by torchrun; returns the device this rank uses
    (cuda:LOCAL_RANK on a multi-GPU node)."""
    if not launched() or dist.is_initialized():
        return device
    if not dist.is_available():
        raise GenError("this torch build has no torch.distributed; run a single process")
    if device.type == "mps":
        raise GenError("multi-process training runs on cpu or cuda, not mps")
    backend = "nccl" if device.type == "cuda" else "gloo"
    if device.type == "cuda":
        local = int(os.environ.get("LOCAL_RANK", "0"))
        if local >= torch.cuda.device_count():
            raise GenError(f"process with LOCAL_RANK {local} has no GPU of its own "
                           f"({torch.cuda.device_count()} visible): start at most that many "
                           "processes per node")
        device = torch.device("cuda", local)
        torch.cuda.set_device(device)
    timeout = timedelta(seconds=float(os.environ.get("GEN_DIST_TIMEOUT", "1800")))
    try:
        dist.init_process_group(backend, init_method="env://", timeout=timeout)
    except Exception as e:  # rendezvous failures come as many exception types
        raise GenError(f"could not join the training processes ({backend}): "
                       f"{str(e).splitlines()[0] if str(e) else type(e).__name__}") from None
    return device


def teardown() -> None:
    if dist.is_available() and dist.is_initialized():
        import gc

        # The DDP wrapper sits in reference cycles; collect it while the process group still
        # exists, or its C++ threads may be torn down at interpreter exit and abort the process.
        gc.collect()
        try:
            dist.destroy_process_group()
        except Exception:
            pass  # a dead peer must not turn a clear error into a traceback on the way out


def barrier() -> None:
    if world_size() > 1:
        dist.barrier()


def broadcast_object(obj, src: int = 0):
    """Rank ``src``'s ``obj`` on every rank (small JSON-like values: a path, a summary)."""
    if world_size() == 1:
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=src)
    return box[0]


def sum_floats(values: list[float], device: torch.device) -> list[float]:
    """Element-wise sum over ranks of a few floats, in one collective."""
    if world_size() == 1:
        return values
    t = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(t)
    return t.tolist()


def gather_streams(t: torch.Tensor) -> torch.Tensor:
    """Concatenate every rank's (L, b, H) hidden state along the stream axis, in rank order:
    ranks own contiguous blocks of streams, so the result is the state of all B in global order."""
    if world_size() == 1:
        return t
    parts = [torch.empty_like(t) for _ in range(world_size())]
    dist.all_gather(parts, t.contiguous())
    return torch.cat(parts, dim=1)


def my_streams(total: int) -> slice:
    """This rank's contiguous share of ``total`` parallel streams."""
    n = world_size()
    if total % n:
        raise GenError(f"{total} parallel streams do not split evenly over {n} processes: "
                       f"pick a --batch-size that is a multiple of {n}")
    share = total // n
    return slice(rank() * share, (rank() + 1) * share)


def is_peer_failure(e: BaseException) -> bool:
    """An error raised by a collective because another rank died or timed out."""
    if world_size() == 1:
        return False
    names = {"DistBackendError", "DistNetworkError", "DistError", "DistStoreError"}
    if type(e).__name__ in names:
        return True
    text = str(e).lower()
    return isinstance(e, RuntimeError) and any(
        k in text for k in ("gloo", "nccl", "connection", "timed out", "timeout", "peer"))
