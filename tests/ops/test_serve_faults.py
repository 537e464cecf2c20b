"""`serve` in production form: gunicorn, a supervised embedded PostgreSQL, 503 while the
database is away, and nothing left running when it stops. The real serve, the real PostgreSQL,
killed for real."""

import os
import signal
import time
import urllib.error
import urllib.request

from tests.serving import postgres_pid
from toolcrib.lib.embedded_db import EmbeddedPostgres


def get(url, **headers):
    """(status, content type, body) without raising on 4xx/5xx."""
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode()


def api_probe(url):
    # A token the server must look up: 401 while the database answers, 503 while it is away.
    try:
        return get(f"{url}/api/tool-types/", Authorization="Token " + "0" * 40)
    except OSError as e:  # a dropped connection is a failure too, recorded as such
        return repr(e), "", ""


def statuses_until_back(url, timeout):
    """Probe every 50 ms until the API answers 401 again (at least 1 s after the kill, so
    requests fall in the gap); the statuses seen on the way, and whether it came back."""
    seen = []
    start = time.monotonic()
    while time.monotonic() < start + timeout:
        status, content_type, body = api_probe(url)
        seen.append(status)
        if status == 503:
            assert content_type == "application/json" and "database is restarting" in body
        if status == 401 and time.monotonic() > start + 1:
            return seen, True
        time.sleep(0.05)
    return seen, False


def test_it_runs_gunicorn_with_workers_from_the_core_count(serve):
    served = serve()
    workers = 2 * os.cpu_count() + 1
    assert f"(gunicorn, {workers} workers)" in served.output
    assert api_probe(served.url)[0] == 401


def test_a_killed_postgres_is_started_again_and_requests_meanwhile_get_503(serve):
    served = serve("--workers", "2")
    pgdata = served.var / "pgdata"
    for _ in range(2):  # twice: the second time right after the first recovery
        before = postgres_pid(pgdata)
        assert api_probe(served.url)[0] == 401

        started = time.monotonic()
        os.kill(before, signal.SIGKILL)
        seen, back = statuses_until_back(served.url, timeout=15)

        # How many requests fall in the gap depends on the machine; none may fail otherwise.
        assert back and time.monotonic() - started < 15, f"{seen}\n{served.output}"
        assert set(seen) <= {401, 503}, f"{seen}\n{served.output}"
        assert postgres_pid(pgdata) not in (None, before)
        served.wait_for("The embedded PostgreSQL is back.", timeout=10)
        served.forget_output()


def test_stopping_serve_stops_its_postgres_even_after_a_crash_left_a_stale_pid(serve):
    served = serve("--workers", "1")
    pgdata = served.var / "pgdata"
    assert postgres_pid(pgdata) is not None
    served.stop(signal.SIGINT)
    assert postgres_pid(pgdata) is None
    # A crash left pgserver's handle list with a pid that is gone: it used to keep the next
    # Ctrl-C from stopping PostgreSQL.
    (pgdata / ".handle_pids.json").write_text("[999999999]")

    served = serve("--workers", "1")
    assert postgres_pid(pgdata) is not None
    assert not (pgdata / ".handle_pids.json").exists()
    assert served.stop(signal.SIGTERM) == 0
    assert postgres_pid(pgdata) is None
    assert "Stopped the embedded PostgreSQL." in served.output


def wait_until(check, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(what)


def answers(url):
    try:
        get(f"{url}/healthz")
    except OSError:
        return False
    return True


def test_a_serve_killed_with_sigkill_leaves_nothing_running(serve):
    """gunicorn sees serve gone and stops; so does the marking reader, the last user of the
    embedded PostgreSQL, which stops it."""
    served = serve("--workers", "1")
    pgdata = served.var / "pgdata"
    assert get(f"{served.url}/healthz")[0] == 200
    served.proc.kill()  # SIGKILL: serve stops nothing itself
    served.proc.wait()

    wait_until(lambda: not answers(served.url), 20, "the web server still answers after 20 s")
    wait_until(lambda: postgres_pid(pgdata) is None, 20, "PostgreSQL still runs after 20 s")
    again = serve("--workers", "1")
    assert get(f"{again.url}/healthz")[0] == 200
    assert again.stop(signal.SIGTERM) == 0
    assert postgres_pid(pgdata) is None


def test_when_serve_and_its_reader_are_killed_the_next_serve_takes_its_postgres_over(serve):
    import psutil

    served = serve("--workers", "1")
    pgdata = served.var / "pgdata"
    assert get(f"{served.url}/healthz")[0] == 200
    reader = [
        p
        for p in psutil.Process(served.proc.pid).children()
        if "read_markings" in " ".join(p.cmdline())
    ]
    assert len(reader) == 1
    served.proc.kill()
    reader[0].kill()  # nobody is left to stop PostgreSQL
    served.proc.wait()
    wait_until(lambda: not answers(served.url), 20, "the web server still answers after 20 s")
    assert postgres_pid(pgdata) is not None

    again = serve("--workers", "1")
    assert "takes it over" in again.output
    assert get(f"{again.url}/healthz")[0] == 200
    assert again.stop(signal.SIGTERM) == 0
    assert postgres_pid(pgdata) is None


def test_the_last_user_of_the_embedded_postgres_stops_it_not_the_first(pg_tmp):
    """A command that started the server (`manage.py backup`) and a test run or a serve that
    joined it after: the command ending leaves it running for the other; the last one stops
    it. A server its users did not start is never stopped by them."""
    from multiprocessing import get_context

    from toolcrib.lib import embedded_db

    data = pg_tmp / "pgdata"
    joined, go = get_context("spawn").Event(), get_context("spawn").Event()
    first = get_context("spawn").Process(target=_use_until, args=(data, joined, go))
    first.start()  # starts the server and holds it until `go`
    assert joined.wait(120)
    with embedded_db.running(data) as server:
        go.set()
        first.join(60)
        assert first.exitcode == 0
        assert server.pid() is not None  # the first user left; this one still uses it
    assert EmbeddedPostgres(data).pid() is None  # the last one out stopped it

    by_hand = EmbeddedPostgres(data)
    by_hand.start()
    (data.parent / f".{data.name}.started").unlink()  # as if started outside Toolcrib
    with embedded_db.running(data):
        pass
    assert by_hand.pid() is not None
    by_hand.stop()


def _use_until(data, joined, go):
    from toolcrib.lib import embedded_db

    with embedded_db.running(data):
        joined.set()
        go.wait(120)


def test_with_database_url_an_outage_gets_503_and_the_app_recovers(serve, pg_tmp):
    external = EmbeddedPostgres(pg_tmp / "external")
    external.start()
    try:
        url = f"postgresql://postgres@/toolcrib?host={external.sockets}"
        served = serve("--workers", "2", DATABASE_URL=url)
        assert api_probe(served.url)[0] == 401
        assert not (served.var / "pgdata").exists()  # serve started no embedded server

        os.kill(external.pid(), signal.SIGKILL)
        for _ in range(3):
            status, content_type, body = api_probe(served.url)
            assert (status, content_type) == (503, "application/json")
            assert "database is restarting" in body
        # A page (the session is looked up in the database) answers in HTML.
        status, content_type, body = get(served.url + "/", Cookie="sessionid=" + "x" * 32)
        assert (status, content_type.split(";")[0]) == (503, "text/html"), body
        assert "Database restarting" in body
        # serve does not supervise someone else's database: it is back when its operator
        # brings it back, and the app follows by itself.
        assert postgres_pid(external.data_dir) is None
        external.start()
        assert statuses_until_back(served.url, timeout=15)[0][-1] == 401
    finally:
        external.stop()
