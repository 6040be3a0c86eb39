"""Product catalog endpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from storefront.api.deps import AdminUser, Db, ReleasingRoute
from storefront.schemas import ProductIn, ProductOut, ProductPage, ProductPatch
from storefront.services import catalog as svc

router = APIRouter(prefix="/products", tags=["catalog"], route_class=ReleasingRoute)

Limit = Annotated[int, Query(ge=1, le=100)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


@router.get("", response_model=ProductPage)
def list_products(
    db: Db,
    limit: Limit = 20,
    offset: Offset = 0,
    q: Annotated[str | None, Query(max_length=100, description="Name contains")] = None,
) -> ProductPage:
    """Active products, ordered by id, paginated with ``limit``/``offset``."""
    rows, total = svc.list_products(db, limit, offset, q=q)
    return ProductPage(
        items=[ProductOut.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )


ProductId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("/{product_id}", response_model=ProductOut, responses={404: {}})
def get_product(product_id: ProductId, db: Db) -> ProductOut:
    """One product; discontinued ones stay readable with ``active: false``."""
    return ProductOut.model_validate(svc.get_product(db, product_id, include_inactive=True))


@router.post("", status_code=201, response_model=ProductOut, responses={401: {}, 403: {}, 409: {}})
def create_product(body: ProductIn, admin: AdminUser, db: Db) -> ProductOut:
    """Add a product (admin only)."""
    return ProductOut.model_validate(svc.create_product(db, body))


@router.patch("/{product_id}", response_model=ProductOut, responses={401: {}, 403: {}, 404: {}})
def update_product(
    product_id: ProductId, body: ProductPatch, admin: AdminUser, db: Db
) -> ProductOut:
    """Change a product's fields (admin only)."""
    return ProductOut.model_validate(svc.update_product(db, product_id, body))
