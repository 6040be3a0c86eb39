"""One guard for every request input: a NUL character is a 422, before any handler runs.

PostgreSQL cannot store U+0000 in text, so a NUL that reaches a query is a 500 (and, on the
unauthenticated endpoints, a way for anyone to burn the error budget). No storefront input has
a use for it, so this middleware checks every channel a handler can read as data, the way the
framework decodes it: the path, the query string, headers and cookies, and the body (JSON
strings and keys, form fields, raw bytes of any other body). The answer is the usual
validation error, with the location of the offending input.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from urllib.parse import parse_qsl

from starlette.datastructures import Headers
from starlette.requests import Request, cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from storefront.errors import error_response

NUL = "\x00"
NUL_ERROR_TYPE = "nul_character"
"""The ``type`` of the validation detail that names the input holding a NUL."""

NUL_MESSAGE = "must not contain NUL (U+0000) characters"

Loc = list[str]


class NulInputMiddleware:
    """Answer 422 to a request whose path, query, headers, cookies or body hold a NUL.

    The body is read whole (the body-size limit outside this middleware bounds it) and handed
    on unchanged to the application.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the request, then run the app on a replay of the body already read."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        messages = await _read_body(receive)
        body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
        loc = find_nul(scope, body)
        if loc is not None:
            detail = {"loc": loc, "msg": NUL_MESSAGE, "type": NUL_ERROR_TYPE}
            response = error_response(
                Request(scope),
                422,
                "validation_error",
                "Request validation failed",
                details=[detail],
            )
            await response(scope, receive, send)
            return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


async def _read_body(receive: Receive) -> list[Message]:
    messages = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            return messages


def find_nul(scope: Scope, body: bytes) -> Loc | None:
    """Where the first NUL of the request is (a validation ``loc``), or None."""
    if NUL in scope.get("path", ""):
        return ["path"]
    query = scope.get("query_string", b"").decode("latin-1")
    found = _in_pairs("query", parse_qsl(query, keep_blank_values=True))
    if found is not None:
        return found
    headers = Headers(scope=scope)
    for name, value in headers.raw:
        if b"\x00" in name or b"\x00" in value:
            return ["header", name.decode("latin-1").replace("\x00", "")]
    found = _in_pairs("cookie", cookie_parser(headers.get("cookie", "")).items())
    if found is not None:
        return found
    return _in_body(headers.get("content-type", ""), body)


def _in_pairs(where: str, pairs: Iterable[tuple[str, str]]) -> Loc | None:
    for key, value in pairs:
        if NUL in key or NUL in value:
            return [where, key.replace(NUL, "")]
    return None


def _in_body(content_type: str, body: bytes) -> Loc | None:
    if b"\x00" in body:
        return ["body"]
    media = content_type.partition(";")[0].strip().lower()
    if media == "application/x-www-form-urlencoded" and b"%00" in body:
        return _in_pairs("body", parse_qsl(body.decode("latin-1"), keep_blank_values=True))
    if (media == "application/json" or media.endswith("+json")) and b"\\u0000" in body:
        try:
            document = json.loads(body)
        except (ValueError, RecursionError):
            return None  # not JSON: the application's own validation answers
        return _in_json(document)
    return None


def _in_json(document: object) -> Loc | None:
    # Iterative: the document may be nested as deep as the JSON parser allows.
    pending: list[tuple[Loc, object]] = [(["body"], document)]
    while pending:
        loc, value = pending.pop()
        if isinstance(value, str) and NUL in value:
            return loc
        if isinstance(value, dict):
            for key, item in value.items():
                if NUL in key:
                    return [*loc, key.replace(NUL, "")]
                pending.append(([*loc, key], item))
        elif isinstance(value, list):
            pending.extend(([*loc, str(i)], item) for i, item in enumerate(value))
    return None
