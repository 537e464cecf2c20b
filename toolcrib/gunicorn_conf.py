"""gunicorn settings for `manage.py serve` (workers and address come from the command line)."""

import os

timeout = 60
graceful_timeout = 20
# Errors to stderr; one access line per request would drown serve's own messages.
errorlog = "-"
# Django and the libraries are imported once, before the workers fork: they start in a moment
# and share that memory. The model session is made after the fork (post_worker_init):
# onnxruntime's thread pools do not survive a fork.
preload_app = True


def when_ready(server):
    """Started by `serve` (which names itself in TOOLCRIB_SERVE_PID): stop when serve is gone.
    A serve killed with SIGKILL cannot stop us, and we run in our own session, so without this
    we would hold the port with no one to stop us."""
    import signal
    import threading
    import time

    serve = int(os.environ.get("TOOLCRIB_SERVE_PID") or 0)
    if not serve:
        return

    def watch():
        while os.getppid() == serve:
            time.sleep(0.5)
        server.log.info("serve (pid %s) is gone: stopping", serve)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, daemon=True, name="watch-serve").start()


def post_worker_init(worker):
    # Each worker loads the model before its first request, not during it.
    from inference import runtime

    runtime.get_model()


# No management socket: one fixed path would be shared by every instance on the machine.
control_socket_disable = True


def default_workers() -> int:
    """serve's worker count unless told: gunicorn's advice, (2 x cores) + 1 synchronous workers."""
    return 2 * (os.cpu_count() or 1) + 1


def worker_exit(server, worker):
    """A worker that has finished leaves at once: Python's own finalisation in a worker forked
    from the preloaded app waited on a lock until the master's graceful timeout killed it (every
    Ctrl-C took 20 s). Its requests are done and its connections are closed by the OS."""
    import sys

    error = sys.exc_info()[1]
    code = error.code if isinstance(error, SystemExit) and isinstance(error.code, int) else 0
    if error is not None and not isinstance(error, SystemExit):
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
