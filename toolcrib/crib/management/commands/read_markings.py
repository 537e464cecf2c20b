"""`manage.py read_markings`: the marking reader (toolcrib/crib/marking_reader.py).

    uv run manage.py read_markings           # read what is pending, then stop
    uv run manage.py read_markings --loop    # keep reading as boxes are queued (serve runs this)

It lowers its own CPU priority first (nice 19): the OCR takes seconds a box, and the web
requests come first. `manage.py serve` starts it beside gunicorn; a deployment without serve
runs it as its own service (README, "The marking reader").
"""

import contextlib
import os
import signal

from django.core.management.base import BaseCommand

from toolcrib.crib import marking_queue, marking_reader


class Command(BaseCommand):
    help = (
        "Read the pending markings (OCR) of photographed tools, at low CPU priority: once, or "
        "with --loop as they are queued."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--loop", action="store_true", help="keep reading as boxes are queued (a service)"
        )
        parser.add_argument(
            "--nice", type=int, default=19, help="CPU niceness to add (default 19, the lowest)"
        )

    def handle(self, *args, loop, nice, **options):
        if nice:
            os.nice(nice)
        # SIGTERM (serve stopping, systemd) stops it as Ctrl-C does: a read under way is
        # rolled back and stays pending; an embedded PostgreSQL this command started is stopped.
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        if not loop:
            done = marking_reader.drain()
            self.stdout.write(f"Read {done} pending marking(s); {marking_queue.pending()} left.")
            return
        serve = int(os.environ.get("TOOLCRIB_SERVE_PID") or 0)
        self.stdout.write(f"The marking reader is reading (nice {os.nice(0)}, pid {os.getpid()}).")
        self.stdout.flush()

        def say(text):
            self.stderr.write(text)
            self.stderr.flush()

        with contextlib.suppress(KeyboardInterrupt):
            marking_reader.run(serve_pid=serve, say=say)
