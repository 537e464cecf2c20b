"""The OpenAPI schema lists the errors each operation can answer, all in ErrorSerializer's format."""

from typing import Any, Literal

from drf_spectacular.openapi import AutoSchema

from toolcrib.api.errors import ErrorSerializer

WRITES = {"POST", "PUT", "PATCH", "DELETE"}


class CribSchema(AutoSchema):
    def _get_response_bodies(
        self, direction: Literal["request", "response"] = "response"
    ) -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        codes = {
            "400": "Invalid input (query, body or header); `errors` says which field.",
            "401": "Not signed in: send `Authorization: Token <key>` or a session cookie.",
            "403": "Your role may not do this.",
        }
        if "{" in self.path:
            codes["404"] = "No such record."
        if self.method in WRITES:
            codes["409"] = (
                "Conflicts with the crib's records (a tool already issued, a record still in use)."
            )
            codes["415"] = (
                "Unsupported content type: send JSON (or multipart where a file is accepted)."
            )
        for code, description in codes.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    ErrorSerializer, code, direction=direction
                )
                responses[code]["description"] = description
        return responses
