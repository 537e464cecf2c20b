"""The API's JSON parser: the crib's depth and size limits on every JSON body."""

from collections.abc import Mapping
from typing import IO, Any

from rest_framework import exceptions, parsers

from toolcrib.lib import json_limits


class PayloadTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = "The request is too large."


class LimitedJSONParser(parsers.JSONParser):
    def parse(
        self,
        stream: IO[Any] | None,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        if stream is None:
            return None  # no body: DRF's own "empty" handling
        limit = json_limits.max_bytes()
        text = stream.read(limit + 1)  # one byte past the limit is enough to refuse
        if len(text) > limit:
            raise PayloadTooLarge(f"The JSON body is larger than {limit // 1024} KB.")
        try:
            return json_limits.loads(text, what="The JSON body")
        except json_limits.JSONRefused as e:
            raise exceptions.ParseError(str(e)) from None
