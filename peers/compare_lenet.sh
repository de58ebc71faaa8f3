#!/usr/bin/env bash
# Interleaved LeNet-5 training throughput, simdgrad vs PyTorch CPU, on the same machine:
# ROUNDS rounds of (simdgrad, PyTorch) per thread count, each one pass over the first LIMIT
# training images of full MNIST at batch 64 (LIMIT=60000: one full epoch). Interleaving and
# best-of-rounds keep a shared machine's load from favouring either side.
#   bash peers/compare_lenet.sh [ROUNDS=3] [LIMIT=12800] [DATA=/work/shared/data/mnist]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
LIMIT=${2:-12800}
DATA=${3:-/work/shared/data/mnist}
cargo build --release --example mnist >/dev/null 2>&1
for t in 1 2; do
  for r in $(seq "$ROUNDS"); do
    rate=$(./target/release/examples/mnist --data "$DATA" --model lenet --epochs 1 --batch-size 64 \
      --threads "$t" --train-limit "$LIMIT" --out target/mnist-peer 2>/dev/null |
      sed -n 's/.* \([0-9]*\) images\/s.*/\1/p')
    echo "simdgrad threads=$t round=$r images_per_s=$rate"
    rate=$(python3 peers/pytorch_lenet.py --data "$DATA" --threads "$t" --train-limit "$LIMIT" |
      sed -n 's/.*images_per_s=\([0-9]*\).*/\1/p')
    echo "pytorch threads=$t round=$r images_per_s=$rate"
  done
done
