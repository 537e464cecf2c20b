"""Memory of the server while it refuses oversized requests, against an accepted photo.

    uv run python -m bench.upload_memory [--repeats 3]

Starts its own installation (embedded PostgreSQL in a scratch folder under var/, a storekeeper
with an API token) and gunicorn with one sync worker on 127.0.0.1, then sends, streamed from a
generator so the client holds none of it in memory:
  - a 300 MB multipart "photo" to /api/photos/ (over TOOLCRIB_MAX_UPLOAD_MB: refused, 413),
  - a 30 MB JSON body to /api/issues/ (over TOOLCRIB_MAX_JSON_KB: refused, 413),
  - an accepted 12 MP synthetic JPEG (noise, ~7.6 MB) to /api/photos/, for comparison.
The worker's resident memory is sampled every 5 ms during each request; the figure is its peak
minus its size just before the request (median over the repeats). Stops everything it started.
"""

import argparse
import http.client
import io
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
MB = 1024 * 1024


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def worker_of(master: int) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.2)
    raise RuntimeError("gunicorn started no worker")


def multipart(field: str, filename: str, size: int, boundary: str):
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
        f'filename="{filename}"\r\nContent-Type: image/jpeg\r\n\r\n'
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    return head, tail, len(head) + size + len(tail)


def chunks(head: bytes, size: int, tail: bytes, filler: bytes | None = None):
    yield head
    if filler is not None:
        yield filler
    else:
        block = b"\xff" * (1 * MB)
        for _ in range(size // MB):
            yield block
        yield b"\xff" * (size % MB)
    yield tail


def send(port, path, body_parts, length, content_type, token, pid):
    peak, before, done = [0.0], rss_mb(pid), threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_mb(pid))
            time.sleep(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    status = None
    try:
        conn.putrequest("POST", path)
        conn.putheader("Content-Type", content_type)
        conn.putheader("Content-Length", str(length))
        conn.putheader("Authorization", f"Token {token}")
        conn.endheaders()
        for part in body_parts:
            conn.send(part)
        status = conn.getresponse().status
    except (BrokenPipeError, ConnectionResetError) as e:
        status = type(e).__name__
    finally:
        elapsed = time.perf_counter() - started
        done.set()
        sampler.join()
        conn.close()
    return status, max(0.0, max(peak[0], rss_mb(pid)) - before), elapsed


def synthetic_jpeg() -> bytes:
    rng = np.random.default_rng(0)
    image = Image.fromarray(rng.integers(0, 255, (3000, 4000, 3), dtype=np.uint8))
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=80)
    return buf.getvalue()


def manage(env, *args):
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    repeats = parser.parse_args().repeats

    (ROOT / "var").mkdir(exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="bench-upload-", dir=ROOT / "var"))
    scratch.chmod(0o755)
    env = {
        **os.environ,
        "TOOLCRIB_VAR": str(scratch),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_SETTINGS_MODULE": "toolcrib.settings",
    }
    env.pop("DATABASE_URL", None)
    server = None
    # The embedded PostgreSQL runs for the whole bench (manage.py and gunicorn find it up).
    from toolcrib.lib import embedded_db

    database = embedded_db.running(scratch / "pgdata")
    database.__enter__()
    try:
        manage(env, "migrate", "-v", "0")
        token = secrets.token_hex(20)
        manage(
            env,
            "shell",
            "-c",
            "from django.contrib.auth.models import Group, User;"
            "from rest_framework.authtoken.models import Token;"
            "u = User.objects.create_user('bench');"
            "u.groups.add(Group.objects.get(name='storekeeper'));"
            f"Token.objects.create(user=u, key='{token}')",
        )
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "toolcrib.wsgi",
                "-w",
                "1",
                "-b",
                f"127.0.0.1:{port}",
                "--timeout",
                "300",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        worker = worker_of(server.pid)
        wait_until_up(port)
        photo = synthetic_jpeg()
        boundary = "benchboundary"
        cases = []
        for path, size in [("/api/photos/", 300 * MB)]:
            head, tail, length = multipart(
                "image" if path.startswith("/api") else "photo", "big.jpg", size, boundary
            )
            cases.append(
                (
                    f"{size // MB} MB upload to {path}",
                    path,
                    lambda h=head, t=tail, s=size: chunks(h, s, t),
                    length,
                    f"multipart/form-data; boundary={boundary}",
                )
            )
        pad = 30 * MB
        json_head, json_tail = b'{"engineer": 1, "tools": [], "pad": "', b'"}'
        cases.append(
            (
                "30 MB JSON to /api/issues/",
                "/api/issues/",
                lambda: chunks(json_head, pad, json_tail, b"x" * pad),
                len(json_head) + pad + len(json_tail),
                "application/json",
            )
        )
        head, tail, length = multipart("image", "photo.jpg", len(photo), boundary)
        cases.append(
            (
                f"accepted {len(photo) / MB:.1f} MB synthetic 12 MP JPEG to /api/photos/",
                "/api/photos/",
                lambda: chunks(head, 0, tail, photo),
                length,
                f"multipart/form-data; boundary={boundary}",
            )
        )

        print(f"gunicorn, 1 sync worker; worker RSS at start {rss_mb(worker):.0f} MB")
        print(f"{'request':62} {'answer':>7} {'peak RSS growth':>16} {'time':>8}")
        for name, path, body, length, ctype in cases:
            runs = [send(port, path, body(), length, ctype, token, worker) for _ in range(repeats)]
            statuses = {r[0] for r in runs}
            growth = statistics.median(r[1] for r in runs)
            elapsed = statistics.median(r[2] for r in runs)
            print(f"{name:62} {'/'.join(map(str, statuses)):>7} {growth:13.1f} MB {elapsed:7.2f}s")
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(60)
        database.__exit__(None, None, None)
        shutil.rmtree(scratch, ignore_errors=True)


def wait_until_up(port):
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/accounts/login/")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("the server did not come up")


if __name__ == "__main__":
    main()
