"""Export the weights of a training checkpoint as a bare state_dict (official layout).

    python tools/export_checkpoint.py work_dirs/x/iter_5000.pth checkpoints/model.pth [--fp16]

The result loads like a released checkpoint (``Refiner(checkpoint=...)``,
``tools/test.py``); --fp16 halves its size (weights are cast back to fp32 on loading).
"""
from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import torch

from segrefiner.utils.checkpoint import extract_state_dict, read_checkpoint
from segrefiner.utils.errors import UserError, run_cli
from segrefiner.utils.io import write_bytes_atomic


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint")
    parser.add_argument("out")
    parser.add_argument("--fp16", action="store_true", help="store floating weights as fp16")
    args = parser.parse_args(argv)
    if Path(args.out).resolve() == Path(args.checkpoint).resolve():
        raise UserError(f"{args.out}: refusing to overwrite the input checkpoint")
    state_dict = extract_state_dict(read_checkpoint(args.checkpoint), args.checkpoint)
    if args.fp16:
        state_dict = {k: v.half() if v.is_floating_point() else v for k, v in state_dict.items()}
    buf = io.BytesIO()
    torch.save(state_dict, buf)
    write_bytes_atomic(args.out, buf.getvalue())
    print(f"tensors: {len(state_dict)}")
    print(f"written: {args.out} ({len(buf.getvalue()) / 2**20:.1f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
