"""History store URLs: the default SQLite file, driver selection, and passwords kept out of messages."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

DEFAULT_DB_PATH = Path(".golive") / "history.db"
"""Where the default SQLite store lives, relative to the spec's directory."""


_PASSWORD_IN_URL = re.compile(r"(://[^:/@]*:)[^@]*@")


def safe_url(url: str | URL) -> str:
    """The URL as text with its password masked, safe for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError, TypeError):
        # Not parseable as a URL: still mask anything that looks like user:password@.
        return _PASSWORD_IN_URL.sub(r"\1***@", str(url))


def default_store_url(root: Path) -> str:
    """The URL of the default SQLite store for a spec whose directory is ``root``."""
    return f"sqlite:///{(root / DEFAULT_DB_PATH).resolve()}"


def normalize(url: str) -> URL:
    """The parsed URL, with plain ``postgresql://`` mapped to the installed driver."""
    parsed = make_url(url)
    # Plain postgresql:// would pick psycopg2, which is not installed: psycopg 3 is.
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def reason(error: BaseException, raw_url: str) -> str:
    """One line saying why the store failed, with the URL's password masked."""
    if isinstance(error, DBAPIError) and error.orig is not None:
        text = str(error.orig)
    else:
        text = str(error)
    text = text.strip().splitlines()[0] if text.strip() else type(error).__name__
    password = password_of(raw_url)
    return text.replace(password, "***") if password else text


def password_of(raw_url: str) -> str | None:
    """The password in a store URL, or None."""
    try:
        password = make_url(raw_url).password
        return None if password is None else str(password)
    except (ArgumentError, ValueError, TypeError):
        match = re.search(r"://[^:/@]*:([^@]*)@", raw_url)
        return match.group(1) if match else None
