"""The crib's refusals, apart from the services that raise most of them (so that a module the
services use, such as photos.py, can raise them too without importing the services)."""


class CribError(Exception):
    """A request the crib refuses; the message says why, in the crib's words."""


class ToolUnavailable(CribError):
    pass
