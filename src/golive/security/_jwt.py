"""JWT variants for the auth probes: tampered, ``alg: none`` and expired tokens.

HS256 by hand: golive must not depend on a JWT library to test one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwt_parts(token: str) -> tuple[dict[str, Any], dict[str, Any], str] | None:
    """Header, claims and signature of a JWT, or None when it is not one."""
    pieces = token.split(".")
    if len(pieces) != 3:
        return None
    try:
        return json.loads(_unb64(pieces[0])), json.loads(_unb64(pieces[1])), pieces[2]
    except (ValueError, UnicodeDecodeError):
        return None


def tampered(token: str) -> str:
    """The token with its signature altered (one byte flipped)."""
    head, body, sig = token.split(".")
    raw = bytearray(_unb64(sig) or b"\0")
    raw[0] ^= 0x01
    return f"{head}.{body}.{_b64(bytes(raw))}"


def alg_none(token: str) -> str:
    """The token's claims re-wrapped with ``alg: none`` and no signature."""
    parts = jwt_parts(token)
    claims = parts[1] if parts else {}
    header = {"alg": "none", "typ": "JWT"}
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}."


def expired(token: str, key: str) -> str:
    """The token's claims with ``exp``/``iat`` in the past, correctly signed with HS256 ``key``."""
    parts = jwt_parts(token)
    claims = dict(parts[1]) if parts else {}
    now = int(time.time())
    claims.update({"iat": now - 7200, "exp": now - 3600})
    if "nbf" in claims:
        claims["nbf"] = now - 7200
    head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = _b64(json.dumps(claims).encode())
    sig = hmac.new(key.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64(sig)}"
