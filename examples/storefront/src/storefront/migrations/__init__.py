"""Alembic migrations, shipped in the package so ``storefront migrate`` works from any cwd."""
