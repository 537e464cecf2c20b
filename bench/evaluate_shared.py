"""Evaluate the model on ../shared/photos laid out in the training layout (symlinks in a temp dir).

Run: uv run python -m bench.evaluate_shared [--rotation none|tta|canonical] [--whole]
(the same as `manage.py evaluate PATH` on that layout). By default the hand-drawn
boxes of bench/shared_boxes.csv go into annotations.csv; --whole uses whole photos.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench.shared_dataset import layout
from inference.config import REPO_ROOT
from inference.evaluate import evaluate, format_report
from inference.rotation import MODES, rotation_mode
from inference.runtime import load_model


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rotation", choices=MODES)
    parser.add_argument(
        "--whole", action="store_true", help="whole photos instead of the drawn boxes"
    )
    args = parser.parse_args()
    model = load_model(REPO_ROOT.parent / "shared" / "models" / "clf.onnx")
    with tempfile.TemporaryDirectory() as tmp:
        mode = rotation_mode(args.rotation)
        print(f"rotation: {mode}, {'whole photos' if args.whole else 'hand-drawn boxes'}")
        root = layout(Path(tmp) / "dataset", boxes=not args.whole)
        print(format_report(evaluate(root, model, mode, shots=4)))


if __name__ == "__main__":
    main()
