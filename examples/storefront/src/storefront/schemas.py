"""Request and response models. Inputs are strict: bounded lengths, no unknown fields."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    StrictBool,
    StringConstraints,
)


def _reject_bool(value: object) -> object:
    # JSON true/false are not numbers, whatever Python's bool-is-int says.
    if isinstance(value, bool):
        raise ValueError("must be an integer, not a boolean")
    return value


NoBool = BeforeValidator(_reject_bool)
Password = Annotated[str, Field(min_length=10, max_length=128)]
# At least one visible character; not stripped, so what the schema accepts is what we accept.
Name = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"\S")]


class StrictModel(BaseModel):
    """Base for request bodies: unknown fields are rejected, not ignored."""

    model_config = ConfigDict(extra="forbid", str_max_length=10_000)


# --- auth ------------------------------------------------------------------------------------


class RegisterIn(StrictModel):
    """Create an account."""

    email: Annotated[EmailStr, Field(max_length=254)]
    password: Password
    name: Name


class LoginIn(StrictModel):
    """Exchange credentials for tokens. Any identifier is accepted: unknown ones just fail."""

    email: Annotated[str, Field(min_length=1, max_length=254)]
    password: Annotated[str, Field(min_length=1, max_length=128)]


class RefreshIn(StrictModel):
    """Rotate a refresh token."""

    refresh_token: Annotated[str, Field(min_length=16, max_length=256)]


class LogoutIn(StrictModel):
    """Optional body of logout; the session comes from the access token."""

    refresh_token: Annotated[str | None, Field(default=None, max_length=256)] = None


class TokenPair(BaseModel):
    """Tokens issued at login and refresh."""

    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    session_id: str


class UserOut(BaseModel):
    """Public view of a user."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    email: str
    name: str
    role: str
    created_at: datetime


class SessionOut(BaseModel):
    """One login session of the current user."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    user_agent: str | None
    ip: str | None
    current: bool = False


# --- catalog ---------------------------------------------------------------------------------

Sku = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
ProductName = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"\S")]
Description = Annotated[str, Field(max_length=2000)]
PriceCents = Annotated[int, Field(ge=0, le=100_000_000), NoBool]
Stock = Annotated[int, Field(ge=0, le=1_000_000), NoBool]


class ProductIn(StrictModel):
    """Create a product (admin)."""

    sku: Sku
    name: ProductName
    description: Description = ""
    price_cents: PriceCents
    stock: Stock = 0
    active: StrictBool = True


class ProductPatch(StrictModel):
    """Partial update of a product (admin): omit a field to keep it; ``null`` is invalid."""

    # Defaults are not validated, so "absent" is None while an explicit null is rejected.
    name: ProductName = Field(default=None)  # type: ignore[assignment]
    description: Description = Field(default=None)  # type: ignore[assignment]
    price_cents: PriceCents = Field(default=None)  # type: ignore[assignment]
    stock: Stock = Field(default=None)  # type: ignore[assignment]
    active: StrictBool = Field(default=None)  # type: ignore[assignment]


class ProductOut(BaseModel):
    """A catalog entry."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    sku: str
    name: str
    description: str
    price_cents: int
    stock: int
    active: bool


class ProductPage(BaseModel):
    """One page of the catalog."""

    items: list[ProductOut]
    total: int
    limit: int
    offset: int


# --- orders ----------------------------------------------------------------------------------


class OrderItemIn(StrictModel):
    """One requested line."""

    product_id: Annotated[int, Field(ge=1, le=2**31 - 1), NoBool]
    quantity: Annotated[int, Field(ge=1, le=100), NoBool]


class OrderIn(StrictModel):
    """Create an order."""

    items: Annotated[list[OrderItemIn], Field(min_length=1, max_length=50)]


class OrderItemOut(BaseModel):
    """One line of an order."""

    model_config = ConfigDict(from_attributes=True)

    product_id: int
    product_name: str
    quantity: int
    unit_price_cents: int


class OrderOut(BaseModel):
    """An order as its owner sees it."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    status: str
    total_cents: int
    currency: str
    items: list[OrderItemOut]
    payment_ref: str | None
    created_at: datetime
    paid_at: datetime | None
    cancelled_at: datetime | None


class OrderPage(BaseModel):
    """The current user's orders, newest first."""

    items: list[OrderOut]
    total: int
    limit: int
    offset: int


class NotificationOut(BaseModel):
    """A message produced by the event consumers."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    event_id: str
    event_type: str
    message: str
    created_at: datetime


# --- ops -------------------------------------------------------------------------------------


class FaultsIn(StrictModel):
    """Fault-injection settings (drills only)."""

    error_rate: Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)] = 0.0
    latency_ms: Annotated[int, Field(ge=0, le=60_000), NoBool] = 0


class FaultsOut(BaseModel):
    """Current fault-injection settings."""

    enabled: bool
    error_rate: float
    latency_ms: int


class VersionOut(BaseModel):
    """Build information."""

    name: str
    version: str
    build_sha: str
    build_date: str
    python: str
    environment: str


class ErrorDetail(BaseModel):
    """The error inside the JSON error envelope."""

    model_config = ConfigDict(extra="allow")

    code: str
    message: str
    request_id: str = ""


class ErrorOut(BaseModel):
    """The JSON error envelope every error response uses."""

    error: ErrorDetail
