"""PyTorch CPU peer of the bench card's softmax rows: softmax and log-softmax forward, and
softmax forward + backward through autograd, on a [1024, 1024] f32 tensor over the last dim,
at 1 and 2 threads. Median wall-clock ms of repeated calls after warm-up, the same protocol as
`cargo run --release --example bench_card -- --quick` (its softmax rows use the wall clock).

    python3 peers/pytorch_softmax.py [--threads 1 2] [--calls 50]
"""

import torch

from peer_timing import median_ms, parser


def main():
    p = parser(__doc__)
    a = p.parse_args()
    torch.manual_seed(1)
    x = torch.randn(1024, 1024)
    g = torch.randn(1024, 1024)
    leaf = x.clone().requires_grad_(True)
    y = torch.softmax(x, -1)

    def fwdbwd():
        leaf.grad = None
        torch.softmax(leaf, -1).backward(g)

    rows = [
        ("softmax", lambda: torch.softmax(x, -1)),
        ("logsoftmax", lambda: torch.log_softmax(x, -1)),
        ("softmax_bwd", lambda: torch._softmax_backward_data(g, y, -1, torch.float32)),
        ("softmax_fwdbwd", fwdbwd),
    ]
    print(f"torch {torch.__version__}")
    for threads in a.threads:
        torch.set_num_threads(threads)
        for name, f in rows:
            print(f"PEER pytorch {name} 1024x1024 {threads} {median_ms(f, a.calls):.4f} ms")


if __name__ == "__main__":
    main()
