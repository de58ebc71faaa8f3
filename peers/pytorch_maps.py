"""PyTorch CPU peer of the bench card's 2^20 map and zip rows and its reductions, on this machine.

performance.md names PyTorch the best peer for sigmoid (0.216 ms at 2^20 on the reference
machine). This script times the card's rows here: f32, outputs written into tensors allocated
once (`out=`) where PyTorch offers it, median wall-clock ms of repeated calls after warm-up, at 1
and 2 threads, printed in the card's format: `PEER pytorch <op> <shape> <threads> <median_ms> ms`.

    python3 peers/pytorch_maps.py [--threads 1 2] [--calls 50]
"""

import torch
import torch.nn.functional as F

from peer_timing import median_ms, parser


def main():
    p = parser(__doc__)
    a = p.parse_args()
    torch.manual_seed(1)
    n = 1 << 20
    x, b, out = torch.randn(n), torch.randn(n), torch.empty(n)
    m = torch.randn(1024, 1024)
    col, row = torch.empty(1024), torch.empty(1024)
    rows = [
        ("relu", "n=1048576", lambda: torch.clamp_min(x, 0.0, out=out)),
        ("sigmoid", "n=1048576", lambda: torch.sigmoid(x, out=out)),
        ("exp", "n=1048576", lambda: torch.exp(x, out=out)),
        ("tanh", "n=1048576", lambda: torch.tanh(x, out=out)),
        # F.gelu has no out=; it allocates its 4 MiB output on every call.
        ("gelu", "n=1048576", lambda: F.gelu(x, approximate="tanh")),
        ("add", "n=1048576", lambda: torch.add(x, b, out=out)),
        ("mul", "n=1048576", lambda: torch.mul(x, b, out=out)),
        ("reduce_sum", "1024x1024", lambda: torch.sum(m, 1, out=col)),
        ("reduce_max", "1024x1024", lambda: torch.amax(m, 1, out=col)),
        ("reduce_sum_dim0", "1024x1024", lambda: torch.sum(m, 0, out=row)),
        ("reduce_max_dim0", "1024x1024", lambda: torch.amax(m, 0, out=row)),
    ]
    print(f"torch {torch.__version__}")
    for threads in a.threads:
        torch.set_num_threads(threads)
        for name, key, f in rows:
            print(f"PEER pytorch {name} {key} {threads} {median_ms(f, a.calls):.4f} ms", flush=True)


if __name__ == "__main__":
    main()
