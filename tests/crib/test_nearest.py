"""1:N: nearest_instances gives the exact nearest enrolled tools of a type, on the real model's
features of the shared photos, also where pgvector's HNSW scan (filtered after the scan) falls short."""

import io

import numpy as np
import pytest
from django.db import connection, transaction
from PIL import Image

from tests.conftest import MODEL, PHOTOS
from toolcrib.crib import recognition, services
from toolcrib.crib.models import Enrolment, ToolInstance, ToolType

pytestmark = [pytest.mark.django_db, pytest.mark.model, pytest.mark.photos]
NOT_IN_CRIB = {
    "1_screw_flat/kit",
    "5_safety_pliers/catalog/catalog",
    "8_adjustable_wrench/single/paper",
}


@pytest.fixture
def real_model(monkeypatch):
    from inference import runtime

    monkeypatch.setenv("TOOLCRIB_MODEL", str(MODEL))
    runtime.reset_model()
    yield runtime.get_model()
    runtime.reset_model()


@pytest.fixture
def enrolled(real_model, crib_admin):
    """Every hand-boxed shared photo enrolled; one tool instance per physical tool."""
    from bench.shared_dataset import shared_boxes, tool_of
    from inference.recognise import CLASS_NAMES

    tools = {}
    for rel, box in sorted(shared_boxes().items()):
        label, tool = tool_of(PHOTOS / rel)
        if tool not in tools:
            tools[tool] = ToolInstance.objects.create(
                inventory_number=tool,
                tool_type=ToolType.objects.get(model_class_index=CLASS_NAMES.index(label)),
                status=ToolInstance.Status.ISSUED
                if tool in NOT_IN_CRIB
                else ToolInstance.Status.IN_CRIB,
            )
        services.enrol(
            tools[tool], services.store_photo((PHOTOS / rel).read_bytes()), box, user=crib_admin
        )
    assert sum(t.status != ToolInstance.Status.IN_CRIB for t in tools.values()) == len(NOT_IN_CRIB)
    return tools


def query_features():
    """New views of the tools: the shared photos turned a quarter, with their boxes turned."""
    from bench.shared_dataset import shared_boxes
    from inference.recognise import recognise
    from inference.runtime import get_model

    model = get_model()
    out = []
    for rel, (x0, y0, x1, y1) in sorted(shared_boxes().items()):
        image = Image.open(PHOTOS / rel).convert("RGB")
        buf = io.BytesIO()
        image.transpose(Image.Transpose.ROTATE_90).save(buf, "JPEG", quality=92)
        box = (
            y0,
            image.width - x1,
            y1,
            image.width - x0,
        )  # the same box after a turn counter-clockwise
        [found] = recognise(buf.getvalue(), [box], model)
        out.append((rel, found.feature, found.candidates[0].class_index))
    return out


def brute_force(feature, sha, *, tool_type_id=None, in_crib_only=False, limit=5):
    """Instance ids by their best cosine over their enrolments, best first (numpy, every row)."""
    best = {}
    for e in Enrolment.objects.filter(model_sha256=sha).select_related("tool_instance"):
        tool = e.tool_instance
        if tool_type_id is not None and tool.tool_type_id != tool_type_id:
            continue
        if in_crib_only and tool.status != ToolInstance.Status.IN_CRIB:
            continue
        v = np.asarray(e.embedding, dtype=np.float64)
        cos = float(v @ feature / np.linalg.norm(v) / np.linalg.norm(feature))
        best[tool.pk] = max(best.get(tool.pk, -2.0), cos)
    ranked = sorted(best.items(), key=lambda kv: -kv[1])[:limit]
    return [pk for pk, _ in ranked], [round((cos + 1) / 2 * 100, 2) for _, cos in ranked]


def test_nearest_instances_of_each_type_are_the_exact_ones(enrolled):
    sha = Enrolment.objects.first().model_sha256
    type_ids = sorted(ToolType.objects.exclude(model_class_index=None).values_list("pk", flat=True))
    checked = 0
    for rel, feature, _ in query_features():
        for tool_type_id in [None, *type_ids]:  # every type, not only the photo's own
            for in_crib_only in (False, True):
                want, percents = brute_force(
                    feature, sha, tool_type_id=tool_type_id, in_crib_only=in_crib_only
                )
                for exact in (None, True):
                    got = recognition.nearest_instances(
                        feature,
                        sha,
                        tool_type_id=tool_type_id,
                        in_crib_only=in_crib_only,
                        exact=exact,
                    )
                    assert [c.tool_instance_id for c in got] == want, (
                        rel,
                        tool_type_id,
                        in_crib_only,
                        exact,
                    )
                    assert [c.match_percent for c in got] == pytest.approx(percents, abs=0.02)
                    checked += 1
    assert checked == 28 * 12 * 2 * 2


def test_a_short_index_answer_is_searched_again_exactly(enrolled):
    """With a candidate list that cannot reach the asked type, the index alone finds too few
    instances (pgvector filters after the scan); the default answer is still the exact one."""
    sha = Enrolment.objects.first().model_sha256
    rel, feature, _ = next(
        q for q in query_features() if q[0] == "single/5_safety_pliers__black.jpg"
    )
    other_type = ToolType.objects.get(model_class_index=0)  # flat screwdrivers, 3 tools
    want, _ = brute_force(feature, sha, tool_type_id=other_type.pk)
    assert len(want) == 3

    with connection.cursor() as c:
        # A table this small is read whole; make PostgreSQL take the HNSW index as on 100,000 rows.
        c.execute("SET enable_seqscan = off; SET enable_sort = off")
        try:
            index_only = recognition.nearest_instances(
                feature, sha, tool_type_id=other_type.pk, ef_search=1, exact=False
            )
            default = recognition.nearest_instances(
                feature, sha, tool_type_id=other_type.pk, ef_search=1
            )
        finally:
            c.execute("RESET enable_seqscan; RESET enable_sort")

    assert len(index_only) < 3
    assert [c.tool_instance_id for c in default] == want


def test_the_photos_own_tool_comes_first(enrolled):
    """A new view of an enrolled tool finds that very tool among its type (the app's usual query)."""
    sha = Enrolment.objects.first().model_sha256
    hits = total = 0
    for rel, feature, _class_index in query_features():
        from bench.shared_dataset import tool_of

        label, tool = tool_of(PHOTOS / rel)
        own = enrolled[tool]
        [best, *_] = recognition.nearest_instances(feature, sha, tool_type_id=own.tool_type_id)
        hits += best.tool_instance_id == own.pk
        total += 1
    # Every query photo is itself enrolled (upright): its own tool is the nearest of its type.
    assert hits == total


def test_the_planner_settings_end_with_the_query(enrolled):
    """The SET LOCALs of a query do not hold for the rest of the caller's transaction."""
    sha = Enrolment.objects.first().model_sha256
    rel, feature, _ = query_features()[0]
    with transaction.atomic(), connection.cursor() as c:
        recognition.nearest_instances(feature, sha, exact=True)
        recognition.nearest_instances(feature, sha, exact=False, ef_search=7)
        c.execute("SHOW enable_indexscan")
        assert c.fetchone()[0] == "on"
        c.execute("SHOW hnsw.ef_search")
        assert c.fetchone()[0] == "40"
