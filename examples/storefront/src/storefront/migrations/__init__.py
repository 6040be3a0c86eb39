"""Alembic migration scripts, shipped inside the package so ``storefront migrate`` works anywhere."""
