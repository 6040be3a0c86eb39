"""Product catalog."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storefront.errors import AppError
from storefront.models import Product
from storefront.schemas import ProductIn, ProductPatch


def list_products(
    db: Session, limit: int, offset: int, include_inactive: bool = False, q: str | None = None
) -> tuple[list[Product], int]:
    """One page of products ordered by id (optionally name-filtered), and the total count."""
    cond = [] if include_inactive else [Product.active.is_(True)]
    if q:
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        cond.append(Product.name.ilike(f"%{escaped}%", escape="\\"))
    total = db.scalar(select(func.count()).select_from(Product).where(*cond)) or 0
    rows = db.scalars(select(Product).where(*cond).order_by(Product.id).limit(limit).offset(offset))
    return list(rows), int(total)


def get_product(db: Session, product_id: int, include_inactive: bool = False) -> Product:
    """A product by id; 404 when missing (or inactive, for customers)."""
    product = db.get(Product, product_id)
    if product is None or (not product.active and not include_inactive):
        raise AppError(404, "not_found", "Product not found")
    return product


def create_product(db: Session, data: ProductIn) -> Product:
    """Add a product; 409 on a duplicate SKU."""
    product = Product(**data.model_dump())
    db.add(product)
    try:
        db.commit()
    except IntegrityError as exc:
        db.rollback()
        raise AppError(409, "sku_taken", "A product with this SKU already exists") from exc
    return product


def update_product(db: Session, product_id: int, patch: ProductPatch) -> Product:
    """Apply the fields present in ``patch``."""
    product = get_product(db, product_id, include_inactive=True)
    for key, value in patch.model_dump(exclude_unset=True).items():
        setattr(product, key, value)
    db.commit()
    return product
