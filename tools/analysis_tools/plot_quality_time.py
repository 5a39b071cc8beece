"""Plot quality against time per image from eval_real_sets.py results (a PNG, drawn with
OpenCV: no plotting library needed).

    python tools/analysis_tools/plot_quality_time.py LABEL=RESULTS.json [...] \
        [--metric IoU|mBA] [--sets grabcut berkeley] -o docs/figures/quality_vs_time.png

Each RESULTS.json is an ``eval_real_sets.py --json-out`` file; every method in it becomes a
point per set (``LABEL/method``, or ``LABEL`` when the file holds one method), at x = its
``seconds_per_image`` (log scale) and y = the metric, one panel per set. The coarse masks
are drawn as a dashed line.
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import cv2
import numpy as np

from segrefiner.utils.errors import UserError, run_cli
from segrefiner.utils.io import read_json, write_bytes_atomic

WIDTH, HEIGHT, MARGIN = 640, 480, 70
SET_COLOURS = [(200, 80, 30), (40, 130, 40), (30, 60, 200), (150, 40, 150)]  # BGR
METHOD_NAMES = {"segrefiner": "exact", "segrefiner_fast": "fast", "grabcut": "GrabCut",
                "guided": "guided filter"}


def collect(specs: list[str], metric: str, sets: list[str]) -> tuple[list[tuple], dict]:
    """Points ``(set, label, seconds, value)`` and the coarse value of each set."""
    points, coarse = [], {}
    for spec in specs:
        label, sep, path = spec.partition("=")
        if not sep:
            raise UserError(f"{spec}: give LABEL=RESULTS.json")
        metrics = read_json(path, "eval_real_sets results")
        for key, value in metrics.items():
            set_name, _, rest = key.partition("/")
            method, _, name = rest.partition("/")
            if set_name not in sets or name != metric:
                continue
            if method == "coarse":
                coarse[set_name] = value
                continue
            seconds = metrics.get(f"{set_name}/{method}/seconds_per_image")
            if seconds is None or seconds <= 0:
                continue
            methods = {k.split("/")[1] for k in metrics if k.endswith(f"/{metric}")} - {"coarse"}
            shown = METHOD_NAMES.get(method, method)
            name_shown = label if len(methods) == 1 else (
                f"{label} {shown}" if method.startswith("segrefiner") else shown)
            points.append((set_name, name_shown, seconds, value))
    if not points:
        raise UserError(f"no {metric} with seconds_per_image for the sets {sets}")
    return points, coarse


def draw_panel(points: list[tuple], coarse: float | None, metric: str, set_name: str,
               colour: tuple[int, int, int], span: tuple[float, float, float, float]
               ) -> np.ndarray:
    """One set's panel: its points and coarse line on shared axes ``span`` (log10 t_low,
    t_high, value low, high)."""
    t_low, t_high, low, high = span
    canvas = np.full((HEIGHT, WIDTH, 3), 255, np.uint8)

    def xy(seconds: float, value: float) -> tuple[int, int]:
        x = MARGIN + (math.log10(seconds) - t_low) / (t_high - t_low) * (WIDTH - 2 * MARGIN)
        y = HEIGHT - MARGIN - (value - low) / (high - low) * (HEIGHT - 2 * MARGIN)
        return round(x), round(y)

    black, font = (0, 0, 0), cv2.FONT_HERSHEY_SIMPLEX
    cv2.rectangle(canvas, (MARGIN, MARGIN), (WIDTH - MARGIN, HEIGHT - MARGIN), black, 1)
    last_label = -100
    for power in range(math.floor(t_low), math.ceil(t_high) + 1):
        for mult in (1, 2, 5):
            seconds = mult * 10.0 ** power
            if t_low <= math.log10(seconds) <= t_high:
                x, _ = xy(seconds, low)
                cv2.line(canvas, (x, HEIGHT - MARGIN), (x, HEIGHT - MARGIN + 5), black, 1)
                if x - last_label >= 45:  # no label closer than that to the last one
                    cv2.putText(canvas, f"{seconds:g}", (x - 10, HEIGHT - MARGIN + 22), font,
                                0.45, black, 1, cv2.LINE_AA)
                    last_label = x
    for i in range(6):
        value = low + (high - low) * i / 5
        _, y = xy(10 ** t_low, value)
        cv2.putText(canvas, f"{value:.3f}", (8, y + 4), font, 0.45, black, 1, cv2.LINE_AA)
    cv2.putText(canvas, "seconds per image (log scale)", (WIDTH // 2 - 120, HEIGHT - 20), font,
                0.55, black, 1, cv2.LINE_AA)
    cv2.putText(canvas, f"{set_name}: {metric} (dashed: the coarse masks)", (MARGIN, MARGIN - 25),
                font, 0.6, colour, 2, cv2.LINE_AA)
    if coarse is not None:
        _, y = xy(10 ** t_low, coarse)
        for x in range(MARGIN, WIDTH - MARGIN, 14):
            cv2.line(canvas, (x, y), (min(x + 7, WIDTH - MARGIN), y), colour, 1)
    placed: list[tuple[int, int, int, int]] = []  # label boxes drawn so far
    centres = [xy(seconds, value) for _, _, seconds, value in points]
    for x, y in centres:
        cv2.circle(canvas, (x, y), 6, colour, -1, cv2.LINE_AA)
    for (_, label, _, _), (x, y) in zip(points, centres, strict=True):
        (w, h), _ = cv2.getTextSize(label, font, 0.45, 1)
        box = place_label(x, y, w, h, placed, centres)
        placed.append(box)
        cv2.line(canvas, (x, y), (box[0] if box[0] > x else box[2], (box[1] + box[3]) // 2),
                 (160, 160, 160), 1, cv2.LINE_AA)
        cv2.putText(canvas, label, (box[0], box[3]), font, 0.45, black, 1, cv2.LINE_AA)
    return canvas


def place_label(x: int, y: int, w: int, h: int, placed: list[tuple[int, int, int, int]],
                centres: list[tuple[int, int]]) -> tuple[int, int, int, int]:
    """A box (x1, y1, x2, y2) of a w x h label near the point (x, y) that overlaps no
    placed label and no point, trying positions at growing distance."""
    def free(box: tuple[int, int, int, int]) -> bool:
        x1, y1, x2, y2 = box
        if x1 < 2 or x2 > WIDTH - 2 or y1 < MARGIN or y2 > HEIGHT - MARGIN:
            return False
        if any(x1 < b[2] and b[0] < x2 and y1 < b[3] and b[1] < y2 for b in placed):
            return False
        return not any(x1 - 7 < cx < x2 + 7 and y1 - 7 < cy < y2 + 7 for cx, cy in centres)

    for distance in range(10, 160, 12):
        for dx, dy in ((1, -1), (1, 1), (-1, -1), (-1, 1), (0, -1), (0, 1)):
            left = x + dx * distance if dx >= 0 else x - distance - w
            if dx == 0:
                left = x - w // 2
            top = y + dy * distance - (h if dy < 0 else 0)
            box = (left, top, left + w, top + h)
            if free(box):
                return box
    return (x + 9, y - h - 6, x + 9 + w, y - 6)


def draw(points: list[tuple], coarse: dict, metric: str, sets: list[str]) -> np.ndarray:
    """One panel per set, side by side, on the same axes."""
    values = [p[3] for p in points] + list(coarse.values())
    low, high = min(values), max(values)
    pad = (high - low) * 0.08 or 0.01
    times = [p[2] for p in points]
    span = (math.log10(min(times)) - 0.3, math.log10(max(times)) + 0.3, low - pad, high + pad)
    panels = [draw_panel([p for p in points if p[0] == set_name], coarse.get(set_name), metric,
                         set_name, SET_COLOURS[i % len(SET_COLOURS)], span)
              for i, set_name in enumerate(sets)]
    return np.concatenate(panels, axis=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+", help="LABEL=RESULTS.json")
    parser.add_argument("--metric", default="IoU", choices=["IoU", "mBA"])
    parser.add_argument("--sets", nargs="+", default=["grabcut", "berkeley"])
    parser.add_argument("-o", "--output", required=True, help="PNG to write")
    args = parser.parse_args(argv)
    points, coarse = collect(args.results, args.metric, args.sets)
    ok, png = cv2.imencode(".png", draw(points, coarse, args.metric, args.sets))
    if not ok:
        raise UserError(f"{args.output}: cannot encode the plot")
    write_bytes_atomic(Path(args.output), png.tobytes())
    print(f"written: {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
