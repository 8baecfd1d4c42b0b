#!/usr/bin/env python3
"""PyTorch peer for the d-dimensional Gaussian attention-pooling bench.

Nadaraya-Watson with a Gaussian product kernel and bandwidth h per dimension (w = 1/h) is

    yhat(q) = sum_k softmax_k(score(q, k)) y_k,   score(q, k) = -1/2 |w * (q - k)|^2
            = (w^2 q) . k - 1/2 |w k|^2 - 1/2 |w q|^2,

and the last term is the same for every key, so it cancels in the softmax. That is exactly

    scaled_dot_product_attention(Q = w^2 * q, K = k, V = y,
                                 attn_mask = -1/2 |w k|^2 (shape (1, n), added to every row),
                                 scale = 1.0).

V = y has head dim 1, and torch 2.15 then runs SDPA's unfused "math" path on the CPU; with
V padded to Q's head dim d (y in column 0, zeros elsewhere) it runs the fused CPU flash
kernel instead, several times faster. Both are timed.

The script checks this on a small case against a direct float64 numpy computation, then
times it in float32 (best of 5 after one warm-up call) for d = 2, 4, 8 at 4096 queries x
4096 keys and 2000 queries x 200,000 keys with torch.set_num_threads(1) and (2). Data:
queries and keys uniform on [0, 1]^d (numpy seed 7), h = 0.5 in every dimension,
y = sum_l sin(2 pi x_l). Reports pairs per second = m * n / seconds.

Prints a markdown table and writes it, with the torch version, date, CPU and command, to
benches/peers/torch_sdpa.md.

Run: python3 benches/peers/torch_sdpa.py   (a few minutes; needs ~5 GB of memory for the
2000 x 200,000 case, where CPU SDPA with a float mask may materialize the m x n scores)
"""
import datetime
import os
import platform
import subprocess
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

HERE = Path(__file__).resolve().parent
REPEATS = 5
DIMS = [2, 4, 8]
SIZES = [(4096, 4096), (2000, 200_000)]
THREADS = [1, 2]
VARIANT = {False: "V = y (math path)", True: "V padded to d (flash path)"}
H = 0.5


def sdpa_pool(q, k, y, h, padded=False):
    """Gaussian NW pooling via SDPA; q (m, d), k (n, d), y (n,), h (d,) tensors of one dtype.

    padded=False passes V = y as it is (head dim 1). torch 2.15 then runs SDPA's "math"
    path on the CPU (QK^T, softmax, matmul, each m x n matrix materialized), because its CPU
    flash kernel wants V's head dim equal to Q's. padded=True passes V = [y, 0, ..., 0]
    (n x d) and reads column 0: the same numbers through the fused flash kernel.
    """
    m, d = q.shape
    n = k.shape[0]
    w2 = 1.0 / (h * h)
    bias = (-0.5 * (k * k * w2).sum(dim=1)).view(1, 1, 1, n)  # broadcast over queries
    if padded:
        v = torch.zeros(n, d, dtype=y.dtype)
        v[:, 0] = y
    else:
        v = y.view(n, 1)
    out = F.scaled_dot_product_attention(
        (q * w2).view(1, 1, m, d), k.view(1, 1, n, d), v.view(1, 1, n, -1), attn_mask=bias, scale=1.0
    )
    return out[0, 0, :, 0]


def direct_f64(q, k, y, h):
    z = (q[:, None, :] - k[None, :, :]) / h
    s = -0.5 * (z * z).sum(axis=2)
    s -= s.max(axis=1, keepdims=True)
    p = np.exp(s)
    return (p @ y) / p.sum(axis=1)


def data(m, n, d, seed=7):
    rng = np.random.default_rng(seed)
    q = rng.random((m, d))
    k = rng.random((n, d))
    y = np.sin(2 * np.pi * k).sum(axis=1)
    return q, k, y


def verify():
    lines = []
    for d in DIMS:
        q, k, y, = data(50, 300, d)
        h = np.full(d, H)
        ref = direct_f64(q, k, y, h)
        for dtype in (torch.float64, torch.float32):
            for padded in (False, True):
                t = lambda a: torch.tensor(a, dtype=dtype)  # noqa: E731
                got = sdpa_pool(t(q), t(k), t(y), t(h), padded).double().numpy()
                err = float(np.max(np.abs(got - ref)))
                lines.append((d, 0.5, VARIANT[padded], str(dtype).replace("torch.", ""), err))
    # A narrow bandwidth, where the dropped -1/2|w q|^2 term is large.
    q, k, y = data(50, 300, 2)
    h = np.full(2, 0.05)
    ref = direct_f64(q, k, y, h)
    for dtype in (torch.float64, torch.float32):
        for padded in (False, True):
            got = sdpa_pool(*(torch.tensor(a, dtype=dtype) for a in (q, k, y, h)), padded).double().numpy()
            lines.append((2, 0.05, VARIANT[padded], str(dtype).replace("torch.", ""),
                          float(np.max(np.abs(got - ref)))))
    return lines


def backend_ops(q, k, y, h, padded):
    """Name of the aten kernel SDPA dispatched to (which CPU path ran)."""
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        sdpa_pool(q, k, y, h, padded)
    names = {e.key for e in prof.key_averages()}
    return sorted(n for n in names if n.startswith("aten::_scaled_dot_product"))


def bench():
    rows = []
    backends = {}
    for m, n in SIZES:
        for d in DIMS:
            q, k, y = data(m, n, d)
            tq, tk, ty = (torch.tensor(a, dtype=torch.float32) for a in (q, k, y))
            th = torch.full((d,), H, dtype=torch.float32)
            for padded in (False, True):
                backends.setdefault(VARIANT[padded], set()).update(backend_ops(tq, tk, ty, th, padded))
                for threads in THREADS:
                    torch.set_num_threads(threads)
                    sdpa_pool(tq, tk, ty, th, padded)  # warm-up
                    times = []
                    for _ in range(REPEATS):
                        t0 = time.perf_counter()
                        sdpa_pool(tq, tk, ty, th, padded)
                        times.append(time.perf_counter() - t0)
                    best = min(times)
                    rows.append((d, m, n, VARIANT[padded], threads, best, m * n / best))
                    print(f"d={d} {m}x{n} {VARIANT[padded]} threads={threads}: best {best:.4f} s, "
                          f"{m * n / best:.3e} pairs/s (all {', '.join(f'{t:.4f}' for t in times)})", flush=True)
            del tq, tk, ty
    return rows, backends


def cpu_model():
    out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        if line.startswith("Model name:"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def main():
    checks = verify()
    rows, backends = bench()
    md = []
    md.append("# PyTorch SDPA as Gaussian attention pooling (peer for the d-dimensional bench)\n")
    md.append(f"- torch {torch.__version__} (PyPI wheel, run on the CPU; CPU capability "
              f"{torch.backends.cpu.get_cpu_capability()}), numpy {np.__version__}, Python {platform.python_version()}")
    md.append(f"- date {datetime.date.today().isoformat()}; CPU: {cpu_model()}, {os.cpu_count()} cores "
              f"(shared with other work; load average at the end {os.getloadavg()[0]:.2f})")
    md.append("- command: `python3 benches/peers/torch_sdpa.py`")
    md.append("- `F.scaled_dot_product_attention(Q = w^2 q, K = k, V = y, attn_mask = -1/2 |w k|^2 (1 x n), scale = 1)`, "
              "w = 1/h, h = 0.5 per dimension, float32; queries and keys uniform on [0,1]^d, y = sum_l sin(2 pi x_l); "
              f"best of {REPEATS} after one warm-up; pairs/s = m n / seconds")
    md.append("- two ways to pass V: `V = y` (head dim 1) and `V = [y, 0, ..., 0]` padded to Q's head dim d, "
              "output column 0. The same numbers; torch picks a different CPU kernel:")
    for variant, ops in backends.items():
        md.append(f"  - {variant}: {', '.join(sorted(ops))}")
    md.append("")
    md.append("Check against a direct float64 numpy computation (50 queries x 300 keys), max abs error:\n")
    md.append("| d | h | V | dtype | max abs error |")
    md.append("|---:|---:|---|---|---:|")
    for d, h, variant, dt, err in checks:
        md.append(f"| {d} | {h} | {variant} | {dt} | {err:.2e} |")
    md.append("")
    md.append("| d | queries x keys | V | threads | seconds (best of 5) | pairs / s |")
    md.append("|---:|---|---|---:|---:|---:|")
    for d, m, n, variant, threads, best, pps in rows:
        md.append(f"| {d} | {m} x {n:,} | {variant} | {threads} | {best:.4f} | {pps:.3e} |")
    text = "\n".join(md) + "\n"
    print(text)
    (HERE / "torch_sdpa.md").write_text(text)


if __name__ == "__main__":
    main()
