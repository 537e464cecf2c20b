"""gunicorn settings for `manage.py serve` (workers and address come from the command line)."""

timeout = 60
graceful_timeout = 20
# Errors to stderr; one access line per request would drown serve's own messages.
errorlog = "-"
# Django and the libraries are imported once, before the workers fork: they start in a moment
# and share that memory. The model session is made after the fork (post_worker_init):
# onnxruntime's thread pools do not survive a fork.
preload_app = True


def post_worker_init(worker):
    # Each worker loads the model before its first request, not during it.
    from inference import runtime

    runtime.get_model()


# No management socket: one fixed path would be shared by every instance on the machine.
control_socket_disable = True
