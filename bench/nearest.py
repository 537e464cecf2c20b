"""1:N benchmark (issue 3): N enrolled features in PostgreSQL, nearest 5 instances of one type.

Run: uv run python -m bench.nearest [--n 100000] [--queries 200] [--ef 40,100,200,400]
     [--m 16 --ef-construction 64]  (other graph parameters than the migration's, to compare)

A throwaway database with the real schema (migrations) is created on the same server as the
app's (the embedded one unless DATABASE_URL is set) and dropped at the end; the developer's
`toolcrib` database is never touched. It is filled (binary COPY) with synthetic features that
have the structure of real ones: a centre per tool type (related types share a part), an offset
per tool instance, noise per enrolment, unit length. When the model and ../shared/photos are
there, the cosine spread of the real features is printed next to the synthetic one.

Each query is a fresh noisy view of a random enrolled instance, asked through the app's own
`recognition.nearest_instances` (tool_type_id = the instance's type, in_crib_only False and
True). The exact answer is the same call with index scans off (a sequential scan and a sort on
the exact distance). recall@5 = |approx ∩ exact| / 5, averaged over the queries.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from contextlib import contextmanager

import numpy as np

DIM = 512
SHA = "b" * 64
# Related kit types (class indices) whose centres share a part: screwdrivers, pliers, wrenches.
TYPE_GROUPS = [(0, 1, 2), (4, 5, 10), (7, 9)]
STATUS_WEIGHTS = {
    "in_crib": 0.75,
    "issued": 0.17,
    "in_calibration": 0.04,
    "broken": 0.02,
    "lost": 0.02,
}


def unit(x):
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


class Synthetic:
    """Types -> instances -> enrolments, with per-level spreads like the model's features."""

    def __init__(self, n_types: int, seed: int = 7):
        self.rng = np.random.default_rng(seed)
        raw = self.rng.standard_normal((n_types, DIM))
        for group in TYPE_GROUPS:
            shared = self.rng.standard_normal(DIM)
            for k in group:
                if k < n_types:
                    raw[k] = 0.7 * unit(raw[k]) + 0.7 * unit(shared)
        self.centres = unit(raw)
        # Some types are common in the crib, some rare.
        w = self.rng.uniform(0.3, 1.7, n_types)
        self.type_weights = w / w.sum()

    def instance(self, type_index: int) -> np.ndarray:
        spread = self.rng.uniform(0.55, 0.85)  # how far this tool is from its type's centre
        return unit(self.centres[type_index] + spread * unit(self.rng.standard_normal(DIM)))

    def view(self, instance: np.ndarray, n: int = 1) -> np.ndarray:
        """n photos of one tool: its point plus per-photo noise (pose, light, background)."""
        noise = self.rng.uniform(0.3, 0.9, (n, 1)) * unit(self.rng.standard_normal((n, DIM)))
        return unit(instance[None, :] + noise).astype(np.float32)


def spread_table(features, types, tools) -> dict[str, np.ndarray]:
    f = np.asarray(features, dtype=np.float64)
    sims = f @ f.T
    i, j = np.triu_indices(len(f), 1)
    types, tools = np.asarray(types), np.asarray(tools)
    same_tool = tools[i] == tools[j]
    same_type = (types[i] == types[j]) & ~same_tool
    other = types[i] != types[j]
    return {
        "same tool": sims[i, j][same_tool],
        "same type, other tool": sims[i, j][same_type],
        "different types": sims[i, j][other],
    }


def real_features():
    """Features of the hand-boxed shared photos from the real model, or None when absent."""
    from pathlib import Path

    from bench.shared_dataset import SHARED_PHOTOS, shared_boxes, tool_of
    from inference.recognise import recognise
    from inference.runtime import load_model

    model_path = Path(
        os.environ.get("TOOLCRIB_MODEL", SHARED_PHOTOS.parent / "models" / "clf.onnx")
    )
    if not model_path.is_file() or not SHARED_PHOTOS.is_dir():
        return None
    model = load_model(model_path, threads=1)
    feats, types, tools = [], [], []
    for rel, box in sorted(shared_boxes().items()):
        path = SHARED_PHOTOS / rel
        feats.append(recognise(path.read_bytes(), [box], model, rotation_mode="none")[0].feature)
        label, tool = tool_of(path)
        types.append(label)
        tools.append(tool)
    return feats, types, tools


def print_spreads(synthetic: Synthetic, n_types: int):
    feats, types, tools = [], [], []
    for t in range(n_types):
        for k in range(3):
            point = synthetic.instance(t)
            for f in synthetic.view(point, 3):
                feats.append(f), types.append(t), tools.append(f"{t}/{k}")
    rows = [("synthetic", spread_table(feats, types, tools))]
    real = real_features()
    if real is not None:
        rows.append(("real model, shared photos", spread_table(*real)))
    print("cosine similarity between features (percentiles 5 / 50 / 95, pairs)")
    for name, table in rows:
        for kind, sims in table.items():
            p5, p50, p95 = np.percentile(sims, [5, 50, 95])
            print(f"  {name:27s} {kind:22s} {p5:6.2f} {p50:6.2f} {p95:6.2f}  ({len(sims)})")


@contextmanager
def timed(label: str, out: dict):
    start = time.perf_counter()
    yield
    out[label] = time.perf_counter() - start


def fill(
    n: int,
    synthetic: Synthetic,
    type_ids: list[int],
    timings: dict,
    m: int | None = None,
    ef_construction: int | None = None,
):
    """COPY the instances and n enrolments in; build the HNSW index afterwards, as pgvector advises."""
    from django.db import connection
    from django.utils import timezone
    from pgvector.psycopg import register_vector

    rng = synthetic.rng
    statuses, weights = zip(*STATUS_WEIGHTS.items())
    now = timezone.now()
    connection.ensure_connection()
    raw = connection.connection
    register_vector(raw)
    with connection.cursor() as c:
        c.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'enrolment_embedding_hnsw'")
        indexdef = c.fetchone()[0]
        # To try other graph parameters than the migration's (m=16, ef_construction=64).
        if m:
            indexdef = indexdef.replace("m='16'", f"m='{m}'")
        if ef_construction:
            indexdef = indexdef.replace(
                "ef_construction='64'", f"ef_construction='{ef_construction}'"
            )
        c.execute("DROP INDEX enrolment_embedding_hnsw")
    instances = []  # (id, type index, status, point, enrolments)
    left = n
    while left > 0:
        t = int(rng.choice(len(type_ids), p=synthetic.type_weights))
        k = min(left, int(rng.integers(1, 4)))
        instances.append(
            (len(instances) + 1, t, str(rng.choice(statuses, p=weights)), synthetic.instance(t), k)
        )
        left -= k
    with timed("load", timings), raw.cursor() as cur:
        with cur.copy(
            "COPY crib_toolinstance (id, inventory_number, tool_type_id, status, notes, created_at)"
            " FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(["bigint", "varchar", "bigint", "varchar", "text", "timestamptz"])
            for pk, t, status, _, _ in instances:
                copy.write_row([pk, f"T{t:02d}-{pk:06d}", type_ids[t], status, "", now])
        with cur.copy(
            "COPY crib_enrolment (embedding, model_sha256, tool_instance_id, created_at)"
            " FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(["vector", "varchar", "bigint", "timestamptz"])
            for pk, _, _, point, k in instances:
                for f in synthetic.view(point, k):
                    copy.write_row([f, SHA, pk, now])
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('crib_toolinstance', 'id'), %s)", [len(instances)]
        )
    raw.commit()
    with timed("index", timings), connection.cursor() as c:
        c.execute("SET maintenance_work_mem = '1GB'")
        c.execute(indexdef)
    with timed("analyze", timings), connection.cursor() as c:
        c.execute("VACUUM ANALYZE crib_toolinstance, crib_enrolment")
    return instances


def query_plan(feature, tool_type_id, in_crib_only, exact: bool) -> str:
    """The plan PostgreSQL picks for nearest_instances' query (scan nodes only)."""
    from django.db import connection, transaction
    from pgvector.django import CosineDistance

    from toolcrib.crib.models import Enrolment, ToolInstance

    qs = Enrolment.objects.filter(
        model_sha256=SHA, tool_instance__tool_type_id=tool_type_id
    ).exclude(embedding=None)
    if in_crib_only:
        qs = qs.filter(tool_instance__status=ToolInstance.Status.IN_CRIB)
    qs = (
        qs.annotate(distance=CosineDistance("embedding", feature))
        .order_by("distance")
        .values_list("tool_instance_id", "tool_instance__inventory_number", "distance")[:40]
    )
    with transaction.atomic(), connection.cursor() as c:
        if exact:
            c.execute("SET LOCAL enable_indexscan = off")
        plan = qs.explain()
    scans = [line.strip().lstrip("-> ") for line in plan.splitlines() if "Scan" in line]
    return "; ".join(scans)


def nearest(feature, tool_type_id, in_crib_only, *, ef_search=None, exact=None):
    """The app's 1:N query: instance ids best first and the time it took (ms)."""
    from toolcrib.crib.recognition import nearest_instances

    start = time.perf_counter()
    found = nearest_instances(
        feature,
        SHA,
        tool_type_id=tool_type_id,
        in_crib_only=in_crib_only,
        ef_search=ef_search,
        exact=exact,
    )
    return [c.tool_instance_id for c in found], (time.perf_counter() - start) * 1000


def ms(values):
    values = sorted(values)
    return statistics.median(values), values[
        min(len(values) - 1, int(round(0.95 * (len(values) - 1))))
    ]


def run(args):
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "toolcrib.settings")
    django.setup()
    from django.db import connection

    from toolcrib.crib.models import ToolType

    settings_db = connection.settings_dict
    settings_db.setdefault("TEST", {})["NAME"] = args.db
    old_name = settings_db["NAME"]
    print(
        f"N = {args.n} enrolments, {args.queries} queries, ef_search {args.ef}; "
        f"throwaway database {args.db} on {settings_db['HOST']}"
    )
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False, keepdb=False)
    try:
        with connection.cursor() as c:
            c.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
            pgvector = c.fetchone()[0]
            c.execute("SHOW server_version")
            server = c.fetchone()[0]
            c.execute("SHOW shared_buffers")
            buffers = c.fetchone()[0]
        print(f"PostgreSQL {server}, pgvector {pgvector}, shared_buffers {buffers}")
        kit = list(ToolType.objects.exclude(model_class_index=None).order_by("model_class_index"))
        type_ids = [t.pk for t in kit]
        synthetic = Synthetic(len(kit), seed=args.seed)
        print_spreads(synthetic, len(kit))
        timings = {}
        instances = fill(args.n, synthetic, type_ids, timings, args.m, args.ef_construction)
        with connection.cursor() as c:
            c.execute("SELECT reloptions FROM pg_class WHERE relname = 'enrolment_embedding_hnsw'")
            index_params = ", ".join(c.fetchone()[0])
        per_type = np.bincount([t for _, t, _, _, _ in instances], minlength=len(kit))
        in_crib = sum(1 for _, _, s, _, _ in instances if s == "in_crib")
        print(
            f"loaded {args.n} enrolments of {len(instances)} instances ({in_crib} in crib) in "
            f"{timings['load']:.1f} s (COPY); HNSW index ({index_params}) built in "
            f"{timings['index']:.1f} s; VACUUM ANALYZE {timings['analyze']:.1f} s"
        )
        with connection.cursor() as c:
            c.execute(
                "SELECT pg_size_pretty(pg_table_size('crib_enrolment')), pg_size_pretty(pg_total_relation_size("
                "reltoastrelid)), pg_size_pretty(pg_relation_size('enrolment_embedding_hnsw'))"
                " FROM pg_class WHERE relname = 'crib_enrolment'"
            )
            table, toast, index = c.fetchone()
        print(f"enrolment table {table} (of which TOAST {toast}), HNSW index {index}")
        print(f"instances per type: min {per_type.min()}, max {per_type.max()}")
        run_queries(args, synthetic, instances, type_ids)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run_queries(args, synthetic, instances, type_ids):
    rng = np.random.default_rng(args.seed + 1)
    picks = rng.choice(len(instances), args.queries, replace=True)
    own = [(synthetic.view(instances[i][3])[0], type_ids[instances[i][1]]) for i in picks]
    # The type asked for is not the query's own (the classifier's top type was wrong): the
    # query's neighbourhood holds none of the type's enrolments.
    others = [
        (f, type_ids[(type_ids.index(t) + int(rng.integers(1, len(type_ids)))) % len(type_ids)])
        for f, t in own
    ]
    f0, t0 = own[0]
    print("plans: approx:", query_plan(f0, t0, True, exact=False))
    print("       exact: ", query_plan(f0, t0, True, exact=True))
    # Warm the caches (table and index pages) once before timing.
    for f, t in own[:20]:
        nearest(f, t, False, ef_search=max(args.ef), exact=False)
        nearest(f, t, False, exact=True)
    header = (
        f"{'type':>5} {'in_crib':>7} {'ef':>4} | {'HNSW only (exact=False)':^38} | "
        f"{'app default (exact=None)':^30} | {'exact=True':^14}"
    )
    print()
    print(header)
    print(
        f"{'asked':>5} {'only':>7} {'':>4} | {'recall@5':>8} {'top1':>5} {'short':>5} {'median':>8} {'p95':>8} | "
        f"{'recall@5':>8} {'exact':>5} {'median':>6} {'p95':>6} | {'median':>6} {'p95':>6}"
    )
    print("-" * len(header))
    for asked, queries, in_crib_only in (
        ("own", own, False),
        ("own", own, True),
        ("other", others, False),
    ):
        exact, exact_ms = [], []
        for f, t in queries:
            ids, elapsed = nearest(f, t, in_crib_only, exact=True)
            exact.append(ids)
            exact_ms.append(elapsed)
        e_med, e_p95 = ms(exact_ms)
        for ef in args.ef:
            cols = []
            for mode in (False, None):
                recalls, top1, times, short = [], [], [], 0
                for (f, t), truth in zip(queries, exact):
                    ids, elapsed = nearest(f, t, in_crib_only, ef_search=ef, exact=mode)
                    times.append(elapsed)
                    recalls.append(len(set(ids) & set(truth)) / len(truth))
                    top1.append(ids[:1] == truth[:1])
                    short += len(ids) < len(truth)
                cols.append((np.mean(recalls), np.mean(top1), short, *ms(times)))
            (r, t1, short, med, p95), (r2, _, _, med2, p952) = cols
            print(
                f"{asked:>5} {str(in_crib_only):>7} {ef:>4} | {r:>8.3f} {t1:>5.2f} {short:>5} {med:>8.1f} {p95:>8.1f} | "
                f"{r2:>8.3f} {short:>5} {med2:>6.1f} {p952:>6.1f} | {e_med:>6.1f} {e_p95:>6.1f}"
            )
    print(
        "times in ms per query (median, p95). type asked: own = the query tool's type (the usual case),"
    )
    print(
        "other = another type (a wrong top type from the classifier). top1 = share of queries whose best"
    )
    print(
        "instance is the exact best; short = queries the index answered with fewer than 5 instances;"
    )
    print("the app default searches those again exactly (column 'exact').")
    new_types(own[:50], synthetic)


def new_types(queries, synthetic):
    """The other 1:N call of every recognised box: the nearest enrolment of a type enrolled after
    training (recognition._with_enrolled_types), before and after a new type is enrolled."""
    from django.utils import timezone

    from toolcrib.crib.models import Enrolment, ToolInstance, ToolType
    from toolcrib.crib.recognition import EF_SEARCH, nearest_instances

    print()
    print(
        f"new_types_only, limit 1 (ef_search {EF_SEARCH}), {len(queries)} kit queries: answered, median ms"
    )
    for label in (
        "no new type enrolled",
        "a new type like flat screwdrivers, 10 tools x 3 enrolments",
    ):
        if label.startswith("a new"):
            new = ToolType.objects.create(name="Torque wrench", slug="torque-wrench")
            centre = synthetic.instance(0)
            for k in range(10):
                tool = ToolInstance.objects.create(inventory_number=f"NEW-{k}", tool_type=new)
                point = synthetic.instance(0) * 0.2 + centre
                Enrolment.objects.bulk_create(
                    Enrolment(
                        tool_instance=tool, embedding=f, model_sha256=SHA, created_at=timezone.now()
                    )
                    for f in synthetic.view(point / np.linalg.norm(point), 3)
                )
        cells = []
        for exact in (False, None):
            answered, times = 0, []
            for f, _ in queries:
                start = time.perf_counter()
                answered += bool(
                    nearest_instances(f, SHA, limit=1, new_types_only=True, exact=exact)
                )
                times.append((time.perf_counter() - start) * 1000)
            cells.append(
                f"{'HNSW only' if exact is False else 'app default'} {answered:>3} {statistics.median(times):7.1f}"
            )
        print(f"  {label:58s} " + " | ".join(cells))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--ef", default="40,100,200,400", type=lambda s: [int(v) for v in s.split(",")]
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", default="bench_nearest", help="name of the throwaway database")
    parser.add_argument("--m", type=int, help="HNSW m for this run (the app's migration: 16)")
    parser.add_argument("--ef-construction", type=int, help="HNSW ef_construction (the app's: 64)")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
