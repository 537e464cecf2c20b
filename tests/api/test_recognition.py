"""Recognising a photo over the API: boxes (given or proposed), likely tool types, and what the
answer says when the model is unavailable."""

import socket

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from inference import runtime
from tests.conftest import kit_a_photo, need_model, need_shared_photos
from toolcrib.crib.models import Photo

pytestmark = pytest.mark.django_db


@pytest.mark.model
@pytest.mark.photos
def test_it_proposes_boxes_and_names_the_tools_in_a_kit_photo(api, storekeeper):
    from tests.kit_photos import compose

    data, boxes = compose(
        [("1_screw_flat__black", (50, 50), 0), ("10_open_end_wrench_3_4__black", (700, 500), 0)]
    )
    response = api(storekeeper).post(
        "/api/recognition/",
        {"image": SimpleUploadedFile("kit.jpg", data, "image/jpeg")},
        format="multipart",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (
        body["recognition"]["available"] is True and len(body["recognition"]["model_sha256"]) == 64
    )
    assert len(body["tools"]) >= 2
    assert all(0 <= tool["confidence"] <= 1 for tool in body["tools"])
    # Proposed boxes are in the photo's own pixels: each tool's box is found where it was laid.
    for x0, _y0, x1, _y1 in boxes:
        assert any(
            abs(t["box"][0] - x0) < 40 and abs(t["box"][2] - x1) < 40 for t in body["tools"]
        ), body["tools"]
    top_types = {tool["types"][0]["name"] for tool in body["tools"] if tool["types"]}
    assert {"Flat screwdriver", "Open-end wrench 3/4"} <= top_types


@pytest.fixture
def no_model(monkeypatch, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("TOOLCRIB_MODEL", str(tmp_path / "absent.onnx"))
    monkeypatch.setenv(
        "TOOLCRIB_MODEL_URL", f"http://127.0.0.1:{port}/clf.onnx"
    )  # nothing listens there
    runtime.reset_model()
    yield
    runtime.reset_model()


def test_it_says_so_when_recognition_is_off_and_still_answers(
    api, storekeeper, jpeg, no_model, reader
):
    response = api(storekeeper).post(
        "/api/recognition/",
        {
            "image": SimpleUploadedFile("kit.jpg", jpeg(640, 480), "image/jpeg"),
            "boxes": "[10, 10, 200, 100]",
            "markings": "wait",
        },
        format="multipart",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["recognition"]["available"] is False
    assert body["recognition"]["message"].startswith("Visual recognition is disabled")
    [tool] = body["tools"]
    marking = tool.pop("marking")
    assert tool == {
        "box": [10, 10, 200, 100],
        "confidence": 1.0,
        "types": [],
        "instances": [],
        "tools_inside": 1,
        "maybe_several": False,
        "cut_from_pile": False,
        "notice": "",
    }
    # The marking needs no model: the marking reader still reads it (a plain picture holds none).
    assert (marking["check"], marking["text"]) == ("not_read", None)


def test_it_refuses_a_box_outside_the_photo(api, storekeeper, jpeg):
    client = api(storekeeper)
    photo = client.post(
        "/api/photos/",
        {"image": SimpleUploadedFile("k.jpg", jpeg(640, 480), "image/jpeg")},
        format="multipart",
    ).json()
    response = client.post(
        "/api/recognition/",
        {"photo": photo["id"], "boxes": [[0, 0, 100, 100], [0, 0, 900, 100]]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "Box [0, 0, 900, 100] lies outside the photo (640x480)."}


@pytest.mark.parametrize("box", ["[0, 0, 10]", "not json", "[10, 10, 5, 5]"])
def test_it_refuses_a_box_it_cannot_read_and_keeps_nothing(api, storekeeper, jpeg, box):
    from toolcrib.crib.models import Photo

    response = api(storekeeper).post(
        "/api/recognition/",
        {"image": SimpleUploadedFile("k.jpg", jpeg(640, 480), "image/jpeg"), "boxes": box},
        format="multipart",
    )
    assert response.status_code == 400 and response.json()["detail"]
    assert not Photo.objects.exists()


def test_it_keeps_no_new_photo_whose_boxes_do_not_fit(api, storekeeper, jpeg):
    from toolcrib.crib.models import Photo

    response = api(storekeeper).post(
        "/api/recognition/",
        {
            "image": SimpleUploadedFile("k.jpg", jpeg(640, 480), "image/jpeg"),
            "boxes": "[0, 0, 900, 100]",
        },
        format="multipart",
    )
    assert response.status_code == 400
    assert not Photo.objects.exists()


def piled_kit_photo() -> tuple[bytes, list[tuple]]:
    """Five catalogue tools on paper: two apart, three piled across each other."""
    import io
    import sys

    import numpy as np

    from tests.conftest import ROOT

    sys.path.insert(0, str(ROOT / "scripts"))
    import make_kits

    def laid(name, angle, length, x, y):
        cut = make_kits.cut_out(f"catalog/{name}.jpg")
        rgb, alpha = make_kits._posed(cut, angle, length)
        return make_kits.Placed(cut, rgb, alpha, x, y, zone=None)

    placed = [
        laid("10_open_end_wrench_3_4", 0, 330, 450, 420),
        laid("6_pliers", 90, 300, 520, 330),
        laid("2_screw_plus", 45, 300, 560, 380),
        laid("1_screw_flat", 0, 330, 80, 80),
        laid("8_adjustable_wrench", 0, 300, 80, 700),
    ]
    image = make_kits.render(placed, "paper", "spaced", 1200, 900, np.random.default_rng(0))
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=92)
    return buf.getvalue(), [p.box for p in placed]


def counted_answer(client, data: bytes, expected: int) -> list[dict]:
    """The recognition answer's boxes for a JPEG with the desk's count told."""
    response = client.post(
        "/api/recognition/",
        {"image": SimpleUploadedFile("kit.jpg", data, "image/jpeg"), "expected_tools": expected},
        format="multipart",
    )
    assert response.status_code == 200, response.content
    return response.json()["tools"]


@pytest.mark.model
@pytest.mark.photos
def test_it_says_where_tools_overlap_instead_of_one_box_for_several(api, storekeeper):
    need_model(), need_shared_photos()
    data, truths = piled_kit_photo()

    tools = counted_answer(api(storekeeper), data, 5)

    def inside(inner, outer):
        ix = max(0, min(inner[2], outer[2]) - max(inner[0], outer[0]))
        iy = max(0, min(inner[3], outer[3]) - max(inner[1], outer[1]))
        return ix * iy / ((inner[2] - inner[0]) * (inner[3] - inner[1]))

    piles = [t for t in tools if sum(inside(b, t["box"]) >= 0.6 for b in truths) >= 2]
    assert piles, tools  # the three piled tools cannot be cut apart by their outline
    for pile in piles:  # ... and the answer says so rather than offering one box for several
        assert pile["tools_inside"] >= 2
        assert pile["notice"] == (
            f"{pile['tools_inside']} tools overlap here: spread them apart or draw the boxes"
        )
    alone = [t for t in tools if t not in piles and inside(truths[3], t["box"]) >= 0.6]
    assert alone and alone[0]["tools_inside"] == 1 and alone[0]["notice"] == ""


@pytest.mark.model
@pytest.mark.photos
def test_boxes_cut_out_of_a_pile_say_check_them(api, storekeeper, tmp_path):
    """Kit A piled on a green cutting mat, expected_tools 11: the boxes cut out of the piles
    say so in the answer (cut_from_pile, notice); the others do not."""
    need_model(), need_shared_photos()
    path, _ = kit_a_photo(tmp_path, "colour", "piled")

    tools = counted_answer(api(storekeeper), path.read_bytes(), 11)
    cut = [t for t in tools if t["cut_from_pile"]]
    assert cut and len(cut) < len(tools)
    assert {t["notice"] for t in cut} == {"Cut apart from tools that overlap: check this box"}
    assert all(
        t["notice"] == ""
        for t in tools
        if not t["cut_from_pile"] and t["tools_inside"] == 1 and not t["maybe_several"]
    )


@pytest.mark.model
@pytest.mark.photos
def test_told_one_tool_the_answer_has_one_box(api, storekeeper):
    """A real screwdriver on a light wood table, Number of tools 1: the grain made four more
    boxes, each a "tool" the storekeeper had to delete."""
    need_model()
    photo = need_shared_photos() / "single" / "1_screw_flat__wood.jpg"

    response = api(storekeeper).post(
        "/api/recognition/",
        {
            "image": SimpleUploadedFile("one.jpg", photo.read_bytes(), "image/jpeg"),
            "expected_tools": 1,
        },
        format="multipart",
    )

    assert response.status_code == 200, response.content
    (tool,) = response.json()["tools"]
    x0, y0, x1, y1 = tool["box"]
    assert abs(x0 - 243) < 30 and abs(x1 - 918) < 30 and y0 < 450 < 510 < y1  # by eye


def test_it_refuses_an_expected_count_that_is_not_a_count(api, storekeeper, jpeg):
    response = api(storekeeper).post(
        "/api/recognition/",
        {"image": SimpleUploadedFile("kit.jpg", jpeg(640, 480), "image/jpeg"), "expected_tools": 0},
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json()["errors"]["expected_tools"] == [
        "Ensure this value is greater than or equal to 1."
    ]
    assert not Photo.objects.exists()  # the upload is not kept


@pytest.mark.photos
def test_the_page_proposes_the_boxes_the_evaluation_scored(api, storekeeper, tmp_path):
    """evaluate_kits' box figures are what the pages get. A 1600 px kit on a sheet of paper
    lying on the table (make_kits' hard tier): the evaluation decoded the whole photo and the
    pages a quarter of it, and it counted 11 of 11 tools found where a storekeeper got 7."""
    import sys

    from inference.kit_eval import analyse
    from tests.conftest import ROOT

    sys.path.insert(0, str(ROOT / "scripts"))
    import make_kits

    make_kits.make_kits(
        tmp_path, seed=0, kits={"kitA": make_kits.KITS["kitA"]}, hard_layouts=[("sheet", "apart")]
    )
    [scored] = analyse(tmp_path, with_model=False, count="none")
    image = SimpleUploadedFile(scored.name, (tmp_path / scored.name).read_bytes(), "image/jpeg")

    answer = api(storekeeper).post("/api/recognition/", {"image": image}, format="multipart")

    assert answer.status_code == 200, answer.content
    proposed = sorted(tuple(tool["box"]) for tool in answer.json()["tools"])
    assert len(proposed) >= 5
    assert proposed == sorted(
        tuple(round(v, 1) if isinstance(v, float) else v for v in p.fitted)
        for p in scored.proposals
    )
