"""Inference speed, medians side by side in one run.

(a) overhead of the app's model call (Model.run: contract handling, dequantisation)
    over a bare session.run on the same batch, batch 1 and 16 (target <= 1.10x);
(b) a 12-megapixel JPEG with one tool, photo bytes -> class + feature, with JPEG
    draft-mode decoding vs a full decode (target >= 3x).

Run: TOOLCRIB_MODEL=../shared/models/clf.onnx uv run python -m bench.inference
"""

from __future__ import annotations

import io
import os
import statistics
import time
from pathlib import Path

import numpy as np
from PIL import Image

from bench.shared_dataset import shared_boxes
from inference.config import REPO_ROOT
from inference.recognise import model_outputs, recognise
from inference.runtime import load_model

SHARED = REPO_ROOT.parent / "shared"


def median_ms(fn, repeat: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def interleaved(fns: dict, repeat: int, rounds: int = 5) -> dict[str, float]:
    """Median ms of each function, alternating them in rounds so load changes hit all alike."""
    samples = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            samples[name].append(median_ms(fn, repeat))
    return {name: statistics.median(v) for name, v in samples.items()}


def overhead(model) -> None:
    print("(a) Model.run overhead over bare session.run (median ms per call)")
    session, name = model.session, model.contract.input_name
    rng = np.random.default_rng(0)
    for n in (1, 16):
        batch = rng.integers(0, 256, (n, 112, 112, 3), dtype=np.uint8)
        ms = interleaved(
            {
                "session.run": lambda: session.run(None, {name: batch}),
                "Model.run": lambda: model.run(batch),
                "model_outputs(none)": lambda: model_outputs(model, batch, "none"),
            },
            repeat=40 if n == 1 else 8,
        )
        base = ms["session.run"]
        print(
            f"  batch {n:2d}: "
            + "  ".join(f"{k} {v:.2f} ms ({v / base:.3f}x)" for k, v in ms.items())
        )


PHOTO = "single/8_adjustable_wrench__paper.jpg"


def big_photo() -> tuple[bytes, tuple[int, int, int, int]]:
    """The photo upscaled to 4000x3000, and its hand-drawn tool box scaled alike."""
    source = Image.open(SHARED / "photos" / PHOTO).convert("RGB")
    buf = io.BytesIO()
    source.resize((4000, 3000), Image.Resampling.BICUBIC).save(buf, "JPEG", quality=90)
    sx, sy = 4000 / source.width, 3000 / source.height
    x0, y0, x1, y1 = shared_boxes()[PHOTO]
    return buf.getvalue(), (round(x0 * sx), round(y0 * sy), round(x1 * sx), round(y1 * sy))


def twelve_megapixels(model) -> None:
    data, box = big_photo()
    print(
        f"(b) 12 MP JPEG (4000x3000, {len(data) / 1e6:.1f} MB, {PHOTO} upscaled), "
        "bytes -> class + feature (median ms)"
    )
    for boxes, what in ((None, "whole photo"), ([box], f"tool box {box}")):
        for mode in ("none", "tta"):
            ms = interleaved(
                {
                    "full decode": lambda: recognise(data, boxes, model, mode, draft=False),
                    "draft decode": lambda: recognise(data, boxes, model, mode, draft=True),
                },
                repeat=3,
            )
            full, draft = ms["full decode"], ms["draft decode"]
            label = recognise(data, boxes, model, mode)[0].candidates[0].class_name
            print(
                f"  {what}, rotation={mode:4s}: full decode {full:.1f} ms, draft decode {draft:.1f} ms, "
                f"speed-up {full / draft:.1f}x (class {label})"
            )


def main() -> None:
    path = Path(os.environ.get("TOOLCRIB_MODEL") or SHARED / "models" / "clf.onnx")
    model = load_model(path)
    print(f"model {path} sha256 {model.sha256[:12]}, onnxruntime threads {os.cpu_count()}")
    overhead(model)
    twelve_megapixels(model)


if __name__ == "__main__":
    main()
