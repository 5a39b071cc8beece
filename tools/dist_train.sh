#!/usr/bin/env bash
# Distributed training with torchrun: gloo on CPU, nccl on GPU.
#   bash tools/dist_train.sh CONFIG NUM_PROCS [train.py args...]
# Multi-node: NNODES, NODE_RANK, MASTER_ADDR and PORT are honoured.
set -euo pipefail
CONFIG=$1
NUM_PROCS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
HERE=$(cd "$(dirname "$0")" && pwd)
DEFAULT_PYTHON=python
[ -x "$HERE/../.venv/bin/python" ] && DEFAULT_PYTHON="$HERE/../.venv/bin/python"
PYTHON=${PYTHON:-$DEFAULT_PYTHON}
exec "$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" --node_rank="$NODE_RANK" --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$NUM_PROCS" --master_port="$PORT" \
    "$HERE/train.py" "$CONFIG" --launcher pytorch "${@:3}"
