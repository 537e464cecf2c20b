"""Match % at one desk: the return test's layout (tests/crib/test_return_matching.py).

    uv run python -m bench.desk_matches

Three tools from ../shared/photos are laid on a desk at issue, then laid out anew (moved,
quarter-turned) at return beside a Phillips screwdriver that was never issued. Prints the match %
of every issued tool against every returned one: the diagonal of the same tools against every
other pairing. The returned tools are the same pixels turned, so this is an upper bound for a
real desk, where light and pose change too.
"""

import numpy as np

from inference.recognise import recognise
from inference.runtime import get_model, model_status
from inference.similarity import pairwise_match_percent
from tests.kit_photos import compose

SCREW, PLIERS, WRENCH, PHILLIPS = (
    "1_screw_flat__black",
    "5_safety_pliers__black",
    "10_open_end_wrench_3_4__black",
    "2_screw_plus__black",
)


def main():
    model = get_model()
    if model is None:
        raise SystemExit(model_status().message)
    issued, issued_boxes = compose(
        [(SCREW, (50, 50), 0), (PLIERS, (900, 100), 0), (WRENCH, (200, 500), 0)]
    )
    returned, returned_boxes = compose(
        [
            (WRENCH, (700, 550), 3),
            (SCREW, (100, 900), 2),
            (PLIERS, (1000, 100), 1),
            (PHILLIPS, (300, 500), 1),
        ]
    )
    a = np.stack([r.feature for r in recognise(issued, issued_boxes, model)])
    b = np.stack([r.feature for r in recognise(returned, returned_boxes, model)])
    percent = pairwise_match_percent(a, b)
    columns = ["wrench", "screwdriver", "pliers", "phillips"]
    print("issued \\ returned " + "".join(f"{c:>12}" for c in columns))
    for name, row in zip(["screwdriver", "pliers", "wrench"], percent):
        print(f"{name:<18}" + "".join(f"{v:>11.1f}%" for v in row))
    same = [percent[0, 1], percent[1, 2], percent[2, 0]]
    others = [v for (i, j), v in np.ndenumerate(percent) if (i, j) not in {(0, 1), (1, 2), (2, 0)}]
    print(
        f"same tool: {min(same):.1f}-{max(same):.1f}%   every other pairing: {min(others):.1f}-{max(others):.1f}%"
    )


if __name__ == "__main__":
    main()
