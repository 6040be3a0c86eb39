"""The one base of every pydantic model golive loads: frozen and strict about unknown fields."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Frozen(BaseModel):
    """Immutable after loading; an unknown field is an error (a typo is never ignored).

    A float is finite: `.inf`, `1e400` or `nan` in a spec would be a wait that never ends
    or a comparison that never fails.

    A model's validator is built when it is first used, not when its module is imported:
    validating a spec then pays only for the check types the spec uses.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False, defer_build=True)
