"""Bounded load on the real `manage.py serve`: clients issue and return kits with photos
through the API for a fixed time, then the database is checked.

    uv run python -m bench.load              # 20 clients, 60 s, one serve, embedded PostgreSQL
    uv run python -m bench.load --kill-db    # the same; the embedded PostgreSQL SIGKILLed at 30 s
    uv run python -m bench.load --two        # two serve on two ports, one database, one object store
                                             # (this machine's workers split between them)
    uv run python -m bench.load --pace 5     # each desk takes 2.5-7.5 s of its own before a call

Bounded: 127.0.0.1 only, in a scratch folder under var/, at most 300 s and 50 clients (then at
most DRAIN_SECONDS waiting for the marking reader); it stops everything it started. The photos are kits composed from the real tool photos in
../shared/photos (tests/kit_photos.py); the return photo is the issue photo, so what is
measured is the service, not the matching. Each client is its own engineer; the kits are
shared, so clients also race for the same tools (a 409 is a correct answer). Each client
settles its return lines as a desk does (recount, confirm by eye), and looks again before its
next kit at lines whose marking the marking reader had not read yet.

Printed: answers by status, 5xx, p50/p99 per call and overall, the markings still pending
when the clients stop and how long the marking reader (run by serve) takes to read them, then
the checks: every acknowledged issue and return in the database exactly once, every tool with
one holder or none and its status agreeing; with --kill-db the gap (kill to the first success).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path

import psycopg
import requests

from tests.kit_photos import compose, tool_image
from tests.serving import ROOT, Served
from toolcrib.gunicorn_conf import default_workers
from toolcrib.lib.embedded_db import EmbeddedPostgres, socket_dir

SHARED_SINGLE = ROOT.parent / "shared" / "photos" / "single"
KITS = 15
RETRY_503_SECONDS = 0.5
GRACE = 30
DRAIN_SECONDS = 900  # at most this long waiting for the marking reader after the run

SEED = """
import json
from django.contrib.auth.models import Group, User
from rest_framework.authtoken.models import Token
from toolcrib.crib.models import Engineer, ToolInstance, ToolType

user = User.objects.create_user("load-desk", password="load-pass-123")
user.groups.add(Group.objects.get(name="storekeeper"), Group.objects.get(name="return desk"))
engineers = [Engineer.objects.create(badge_number=f"L{i}", name=f"Load {i}").pk for i in range(CLIENTS)]
kits = []
for k, names in enumerate(KIT_PHOTOS):
    kit = []
    for j, name in enumerate(names):
        kind = int(name.split("_")[0]) - 1
        tool = ToolInstance.objects.create(
            inventory_number=f"LOAD-{k}-{j}", tool_type=ToolType.objects.get(model_class_index=kind)
        )
        kit.append(tool.pk)
    kits.append(kit)
print(json.dumps({"token": Token.objects.create(user=user).key, "engineers": engineers, "kits": kits}))
"""


def kit_photos() -> list[tuple[list[str], bytes, list[tuple]]]:
    names = sorted(p.stem for p in SHARED_SINGLE.glob("*.jpg"))
    kits = []
    for k in range(KITS):
        pair = [names[(2 * k) % len(names)], names[(2 * k + 1) % len(names)]]
        a, b = (tool_image(n) for n in pair)
        size = (max(a.width, b.width) + 80, a.height + b.height + 120)
        data, boxes = compose(
            [(pair[0], (40, 40), 0), (pair[1], (40, a.height + 80), 0)], size=size
        )
        kits.append((pair, data, boxes))
    return kits


class ObjectStore:
    def __init__(self, proc, env):
        self.proc, self.env = proc, env


def start_object_store() -> ObjectStore:
    import boto3

    from tests.serving import start_s3_server

    proc, url = start_s3_server()
    keys = {"aws_access_key_id": "bench", "aws_secret_access_key": "bench"}
    boto3.client("s3", endpoint_url=url, region_name="us-east-1", **keys).create_bucket(
        Bucket="crib"
    )
    return ObjectStore(
        proc,
        {
            "TOOLCRIB_S3_BUCKET": "crib",
            "TOOLCRIB_S3_ENDPOINT_URL": url,
            "TOOLCRIB_S3_REGION": "us-east-1",
            "TOOLCRIB_S3_ACCESS_KEY_ID": "bench",
            "TOOLCRIB_S3_SECRET_ACCESS_KEY": "bench",
        },
    )


class Client(threading.Thread):
    """One desk: issue a kit to its engineer, take it back, again and again until the end."""

    def __init__(self, run, n):
        super().__init__(daemon=True)
        self.run_, self.n = run, n
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Token {run.token}"
        self.base = run.urls[n % len(run.urls)]
        self.engineer = run.engineers[n]
        self.random = random.Random(n)
        self.late: list[int] = []  # return lines whose marking was still being read

    def call(self, name, method, path, **kw):
        """One request, repeated after a 503 (with the same Idempotency-Key) until the end."""
        if self.run_.pace:  # the desk's own time: laying tools out, checking the boxes
            time.sleep(self.random.uniform(0.5, 1.5) * self.run_.pace)
        # A call started before the end may be repeated up to GRACE seconds after it.
        while time.monotonic() < self.run_.deadline + GRACE:
            started = time.monotonic()
            try:
                r = self.http.request(method, self.base + path, timeout=60, **kw)
            except requests.RequestException as e:
                self.run_.record(name, f"error {type(e).__name__}", time.monotonic() - started)
                return None
            self.run_.record(name, r.status_code, time.monotonic() - started)
            if r.status_code != 503:
                return r
            time.sleep(RETRY_503_SECONDS)
        return None

    def upload(self, data):
        r = self.call("photo", "POST", "/api/photos/", files={"image": ("kit.jpg", data)})
        return r.json()["id"] if r is not None and r.status_code == 201 else None

    def warm_up(self):
        # One upload per client before the clock starts: each worker's first request pays
        # for loading what it needs; that is start-up, not load.
        self.http.post(
            self.base + "/api/photos/",
            files={"image": ("kit.jpg", self.run_.photos[0][1])},
            timeout=120,
        )

    def run(self):
        while time.monotonic() < self.run_.deadline:
            self.settle_late()
            k = self.random.randrange(KITS)
            tools, (_, data, boxes) = self.run_.kits[k], self.run_.photos[k]
            photo = self.upload(data)
            if photo is None:
                continue
            key = f"load-issue-{uuid.uuid4()}"
            lines = [
                {"tool_instance": t, "photo": photo, "box": list(b)} for t, b in zip(tools, boxes)
            ]
            r = self.call(
                "issue",
                "POST",
                "/api/issues/",
                json={"engineer": self.engineer, "tools": lines},
                headers={"Idempotency-Key": key},
            )
            if r is None or r.status_code != 201:
                continue  # 409: someone else holds a tool of this kit
            self.run_.acknowledged["issue"].append((r.json()["id"], key))
            self.take_back(data, boxes)

    def take_back(self, data, boxes):
        # Once issued, the kit comes back even after the deadline: the crib ends empty.
        photo = self.upload(data)
        key = f"load-return-{uuid.uuid4()}"
        r = self.call(
            "return",
            "POST",
            "/api/returns/",
            json={
                "engineer": self.engineer,
                "crops": [{"photo": photo, "box": list(b)} for b in boxes] if photo else [],
            },
            headers={"Idempotency-Key": key},
        )
        if r is None or r.status_code != 201:
            return
        self.run_.acknowledged["return"].append((r.json()["id"], key))
        self.settle(r.json()["tools"])

    def settle(self, lines):
        """As the desk: a recount counted by hand, a look confirmed; a line whose marking is
        still being read is looked at again later (settle_late)."""
        for line in lines:
            if line["decision"] == "recount_required":
                self.call(
                    "recount",
                    "POST",
                    f"/api/returned-tools/{line['id']}/recount/",
                    json={"found": True, "reason": "load test: counted by hand"},
                )
            elif line["decision"] == "confirm_by_eye":
                self.call(
                    "confirm", "POST", "/api/returned-tools/confirm/", json={"lines": [line["id"]]}
                )
            if line.get("marking_pending"):
                self.late.append(line["id"])

    def settle_late(self):
        """The lines the marking reader has read since: decided as the desk would (a late
        marking may have sent an accepted line to a recount)."""
        waiting, self.late = self.late, []
        for pk in waiting:
            r = self.call("line", "GET", f"/api/returned-tools/{pk}/")
            if r is not None and r.status_code == 200:
                self.settle([r.json()])


class Run:
    def __init__(self, urls, token, engineers, kits, photos, seconds, pace=0.0):
        self.urls, self.token, self.engineers = urls, token, engineers
        self.pace = pace
        self.kits, self.photos = kits, photos
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.lock = threading.Lock()
        self.answers: list[tuple[float, str, object, float]] = []
        self.acknowledged = defaultdict(list)

    def record(self, name, status, seconds):
        with self.lock:
            self.answers.append((time.monotonic(), name, status, seconds))


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))] if values else float("nan")


def report(run, killed_at):
    print(f"\n{len(run.answers)} answers in {run.seconds} s")
    by_status = Counter(str(s) for _, _, s, _ in run.answers)
    print("by status:", dict(sorted(by_status.items())))
    fives = sum(n for s, n in by_status.items() if s.startswith("5"))
    print(
        f"5xx: {fives} (503: {by_status.get('503', 0)}, other 5xx: {fives - by_status.get('503', 0)})"
    )
    ok = [(t, name, s, d) for t, name, s, d in run.answers if isinstance(s, int) and s < 500]
    for name in ("photo", "issue", "return", "recount", "confirm", "line"):
        times = [d for _, n, _, d in ok if n == name]
        if times:
            print(
                f"  {name:8s} n={len(times):5d}  p50 {percentile(times, 50):.3f} s  "
                f"p99 {percentile(times, 99):.3f} s"
            )
    times = [d for *_, d in ok]
    print(
        f"all answers below 500: p50 {percentile(times, 50):.3f} s  p99 {percentile(times, 99):.3f} s"
    )
    print(
        f"acknowledged: {len(run.acknowledged['issue'])} issues, "
        f"{len(run.acknowledged['return'])} returns"
    )
    if killed_at is not None:
        # Back: the first success after the last 503 that followed the kill.
        refused = [t for t, _, s, _ in run.answers if t > killed_at and s == 503]
        last_refused = max(refused, default=killed_at)
        after = [
            t for t, _, s, _ in run.answers if t > last_refused and isinstance(s, int) and s < 400
        ]
        gap = (min(after) - killed_at) if after else float("inf")
        during = Counter(str(s) for t, _, s, _ in run.answers if killed_at <= t <= killed_at + gap)
        print(
            f"database killed: service back {gap:.1f} s after the kill; answers meanwhile: {dict(during)}"
        )
        return fives - by_status.get("503", 0), gap
    return fives, 0.0


def drain_markings(dsn, limit: float = DRAIN_SECONDS) -> None:
    """The markings the requests queued and the marking reader (beside gunicorn, nice 19) had
    not read when the clients stopped: how many, and how long until it has read them all."""
    query = (
        "SELECT count(*) FILTER (WHERE reading IS NULL), count(*), "
        "(SELECT count(*) FROM crib_returnedtool WHERE marking_pending) FROM crib_boxmarking"
    )
    started = time.monotonic()
    with psycopg.connect(dsn, autocommit=True) as conn:
        pending, total, lines = conn.execute(query).fetchone()
        print(
            f"markings: {total} boxes queued in the run, {pending} still pending at the end "
            f"({lines} return lines waiting for theirs)"
        )
        while pending and time.monotonic() - started < limit:
            time.sleep(1)
            pending, _, lines = conn.execute(query).fetchone()
    took = time.monotonic() - started
    if pending:
        print(f"the marking reader had {pending} left after {took:.0f} s (stopped waiting)")
    else:
        print(f"the marking reader read the rest in {took:.1f} s (return lines waiting: {lines})")


def check_database(dsn, run) -> list[str]:
    problems = []
    with psycopg.connect(dsn) as conn:
        for kind, table in (("issue", "crib_issue"), ("return", "crib_return")):
            acked = run.acknowledged[kind]
            rows = conn.execute(
                f"SELECT id, idempotency_key FROM {table} WHERE idempotency_key = ANY(%s)",
                [[key for _, key in acked]],
            ).fetchall()
            found = Counter(key for _, key in rows)
            ids = {key: i for i, key in rows}
            lost = [key for i, key in acked if found[key] == 0]
            twice = [key for i, key in acked if found[key] > 1]
            wrong = [key for i, key in acked if found[key] == 1 and ids[key] != i]
            if lost or twice or wrong:
                problems.append(
                    f"{kind}s: {len(lost)} lost, {len(twice)} twice, {len(wrong)} other id"
                )
        held_twice = conn.execute(
            "SELECT tool_instance_id FROM crib_issuedtool WHERE closed_at IS NULL "
            "GROUP BY 1 HAVING count(*) > 1"
        ).fetchall()
        if held_twice:
            problems.append(f"tools with two holders: {held_twice}")
        disagree = conn.execute(
            "SELECT t.inventory_number, t.status FROM crib_toolinstance t "
            "WHERE (t.status = 'issued') <> EXISTS (SELECT 1 FROM crib_issuedtool i "
            "WHERE i.tool_instance_id = t.id AND i.closed_at IS NULL)"
        ).fetchall()
        if disagree:
            problems.append(f"status and holder disagree: {disagree}")
    return problems


def _stop(signum, frame):
    raise SystemExit(1)  # SIGTERM: still stop what was started (the `finally` below)


def main():
    signal.signal(signal.SIGTERM, _stop)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument(
        "--pace",
        type=float,
        default=0.0,
        help="seconds a desk spends before each call (0.5-1.5 x, random): 0 = back to back",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--kill-db", action="store_true", help="SIGKILL the embedded PostgreSQL at half time"
    )
    mode.add_argument("--two", action="store_true", help="two serve instances, one database")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="gunicorn workers per serve (default: serve's own; with --two, half of it each)",
    )
    args = parser.parse_args()
    if not (1 <= args.clients <= 50 and 1 <= args.seconds <= 300):
        parser.error("at most 50 clients and 300 seconds")

    (ROOT / "var").mkdir(exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="bench-load-", dir=ROOT / "var"))
    scratch.chmod(0o755)  # postgres runs as another OS user when we are root
    served, database, stores = [], None, []
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    try:
        env = {
            "TOOLCRIB_MODEL": os.environ.get(
                "TOOLCRIB_MODEL", str(ROOT.parent / "shared/models/clf.onnx")
            )
        }
        workers = args.workers
        if args.two and not workers:
            # Two serve stand for two machines but share this one's cores: each gets half of
            # serve's own worker count (5 each put 10 workers on 2 cores: p99 2.5 s vs 1.7 s).
            workers = max(1, default_workers() // 2)
        extra = ["--workers", str(workers)] if workers else []
        if args.two:
            database = EmbeddedPostgres(scratch / "db")
            database.start()
            env["DATABASE_URL"] = f"postgresql://postgres@/toolcrib?host={database.sockets}"
            # One photo store for both: an S3 protocol server on 127.0.0.1 (moto).
            store = start_object_store()
            stores.append(store)
            env.update(store.env)
            env["SECRET_KEY"] = uuid.uuid4().hex * 2  # as machines behind one name share it
            dsn = env["DATABASE_URL"]
        else:
            dsn = f"postgresql://postgres@/toolcrib?host={socket_dir(scratch / 'a' / 'pgdata')}"
        # One after the other: each applies the migrations at start.
        for name in ("a", "b") if args.two else ("a",):
            served.append(Served(scratch / name, env, extra))
            served[-1].wait_for("Serving http")
        print(served[0].output.splitlines()[-1])
        seed_env = {**os.environ, **env, "TOOLCRIB_VAR": str(scratch / "a")}
        kits = kit_photos()
        seed = SEED.replace("CLIENTS", str(args.clients)).replace(
            "KIT_PHOTOS", repr([pair for pair, _, _ in kits])
        )
        out = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", seed],
            cwd=ROOT,
            env=seed_env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        seeded = json.loads(out.splitlines()[-1])

        run = Run(
            [s.url for s in served],
            seeded["token"],
            seeded["engineers"],
            seeded["kits"],
            kits,
            args.seconds,
            args.pace,
        )
        clients = [Client(run, n) for n in range(args.clients)]
        warm = [threading.Thread(target=c.warm_up) for c in clients]
        for w in warm:
            w.start()
        for w in warm:
            w.join()
        run.deadline = time.monotonic() + args.seconds
        pace = f", {args.pace:g} s desk time before each call" if args.pace else ", back to back"
        print(
            f"{args.clients} clients for {args.seconds} s{pace} against {', '.join(run.urls)} ..."
        )
        for c in clients:
            c.start()
        killed_at = None
        if args.kill_db:
            time.sleep(args.seconds / 2)
            pid = EmbeddedPostgres(scratch / "a" / "pgdata").pid()
            killed_at = time.monotonic()
            os.kill(pid, signal.SIGKILL)
            print(f"killed the embedded PostgreSQL (pid {pid}) at {args.seconds / 2:.0f} s")
        for c in clients:
            c.join()
        print(f"load average {os.getloadavg()[0]:.1f} at the end")
        failures, gap = report(run, killed_at)
        drain_markings(dsn)
        problems = check_database(dsn, run)
        print(
            "database check:",
            "; ".join(problems)
            if problems
            else "every acknowledged issue and return is there exactly once; every tool has one holder or none",
        )
        ok = not problems and failures == 0 and gap <= 15
        print("RESULT:", "pass" if ok else "FAIL")
        return 0 if ok else 1
    finally:
        for s in served:
            s.stop()
        if database:
            database.stop()
        for store in stores:
            store.proc.terminate()
            store.proc.wait(10)
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
