"""Command line: ``storefront serve | migrate | seed``."""

from __future__ import annotations

import logging
import os
import random
import signal
from types import FrameType

import click
import uvicorn

from storefront.config import Settings
from storefront.logging_setup import configure_logging

log = logging.getLogger("storefront.cli")


@click.group()
def main() -> None:
    """storefront: a small online shop API."""


def _exit_cleanly(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(0)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=8000, show_default=True, type=int, envvar="PORT")
@click.option("--workers", default=1, show_default=True, type=int, help="Worker processes.")
@click.option(
    "--proxy-headers/--no-proxy-headers",
    default=False,
    show_default=True,
    help="Trust X-Forwarded-* from FORWARDED_ALLOW_IPS (behind a reverse proxy).",
)
def serve(host: str, port: int, workers: int, proxy_headers: bool) -> None:
    """Run the HTTP server (graceful shutdown on SIGTERM drains in-flight requests)."""
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    if workers > 1 and settings.jwt_secret_generated:
        # Each worker would invent its own key and reject the others' tokens.
        raise click.UsageError("--workers > 1 needs JWT_SECRET to be set")
    # uvicorn drains in-flight requests on SIGTERM/SIGINT, then re-raises the signal with the
    # previous handler restored. Making that handler a clean exit gives status 0 after a
    # completed graceful shutdown instead of "killed by SIGTERM".
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _exit_cleanly)
    uvicorn.run(
        "storefront.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        access_log=False,
        proxy_headers=proxy_headers,
        server_header=False,
        timeout_graceful_shutdown=settings.shutdown_timeout_seconds,
    )


@main.command()
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@click.option("--downgrade", is_flag=True, help="Downgrade to --revision instead (e.g. base).")
def migrate(revision: str, downgrade: bool) -> None:
    """Apply (or revert) database migrations."""
    from storefront import migrate as mig
    from storefront.db import make_engine

    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    engine = make_engine(settings)
    try:
        if downgrade:
            mig.downgrade(engine, revision)
        else:
            mig.upgrade(engine, revision)
        click.echo(f"database at revision {mig.current_revision(engine)}")
    finally:
        engine.dispose()


ADJECTIVES = (
    "Classic",
    "Organic",
    "Vintage",
    "Compact",
    "Deluxe",
    "Rugged",
    "Smart",
    "Handmade",
    "Eco",
    "Premium",
    "Everyday",
    "Travel",
    "Wireless",
    "Ceramic",
    "Bamboo",
    "Woollen",
)
NOUNS = (
    "Coffee Mug",
    "Backpack",
    "Desk Lamp",
    "Notebook",
    "Water Bottle",
    "Headphones",
    "Teapot",
    "Sneakers",
    "Umbrella",
    "Cutting Board",
    "Blanket",
    "Phone Stand",
    "Scarf",
    "Plant Pot",
    "Keyboard",
    "Sunglasses",
    "Wallet",
    "Candle",
    "Chess Set",
    "Yoga Mat",
)
FIRST = (
    "Ana",
    "Ben",
    "Chloé",
    "Dmitri",
    "Eva",
    "Farid",
    "Greta",
    "Hiro",
    "Ines",
    "Jonas",
    "Kemal",
    "Lena",
    "Mateo",
    "Nora",
    "Oskar",
    "Priya",
    "Quentin",
    "Rosa",
    "Sven",
    "Tara",
)
LAST = (
    "Müller",
    "Rossi",
    "García",
    "Nowak",
    "Silva",
    "Jensen",
    "Dubois",
    "Kowalski",
    "Novak",
    "Ivanova",
    "Okafor",
    "Tanaka",
    "Haddad",
    "Larsen",
    "Moreau",
    "Yilmaz",
)


@main.command()
@click.option("--products", default=50, show_default=True, type=click.IntRange(0, 1_000_000))
@click.option("--users", default=0, show_default=True, type=click.IntRange(0, 1_000_000))
@click.option(
    "--stock",
    default=100,
    show_default=True,
    type=click.IntRange(0, 1_000_000),
    help="Stock per product.",
)
@click.option(
    "--seed",
    "rng_seed",
    default=42,
    show_default=True,
    type=int,
    help="Random seed (same seed, same data).",
)
def seed(products: int, users: int, stock: int, rng_seed: int) -> None:
    """Insert realistic demo data; create the admin from ADMIN_EMAIL/ADMIN_PASSWORD.

    Users are ``user<N>@example.com`` with the password from ``SEED_USER_PASSWORD`` (required
    when --users > 0). Existing SKUs and e-mails are skipped, so seeding twice is harmless.
    """
    from sqlalchemy import select

    from storefront import migrate as mig
    from storefront.db import make_engine, make_sessionmaker
    from storefront.models import Product, User
    from storefront.security import make_password_hasher
    from storefront.services.auth import ensure_admin

    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    if users and not settings.seed_user_password:
        raise click.UsageError("set SEED_USER_PASSWORD to seed users")
    engine = make_engine(settings)
    if settings.should_auto_migrate:
        mig.upgrade(engine)
    sessions = make_sessionmaker(engine)
    hasher = make_password_hasher(settings)
    rng = random.Random(rng_seed)
    try:
        with sessions() as db:
            if settings.admin_email and settings.admin_password:
                ensure_admin(db, hasher, settings.admin_email, settings.admin_password)
                click.echo(f"admin: {settings.admin_email}")
            existing = set(db.scalars(select(Product.sku)))
            batch: list[Product] = []
            for i in range(1, products + 1):
                sku = f"SKU-{i:06d}"
                if sku in existing:
                    continue
                name = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"
                batch.append(
                    Product(
                        sku=sku,
                        name=name,
                        description=f"A {name.lower()} for everyday use. Item {i}.",
                        price_cents=rng.randrange(199, 19999, 50),
                        stock=stock,
                    )
                )
                if len(batch) >= 1000:
                    db.add_all(batch)
                    db.commit()
                    batch = []
            db.add_all(batch)
            db.commit()
            if users:
                # One argon2 hash shared by all seeded users: hashing thousands of passwords at
                # production cost would take minutes, and these are throwaway load-test accounts.
                password_hash = hasher.hash(settings.seed_user_password or "")
                emails = set(db.scalars(select(User.email)))
                new_users = []
                for i in range(1, users + 1):
                    email = f"user{i}@example.com"
                    if email in emails:
                        continue
                    new_users.append(
                        User(
                            email=email,
                            name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                            password_hash=password_hash,
                        )
                    )
                db.add_all(new_users)
                db.commit()
        click.echo(f"seeded: products={products} users={users}")
    finally:
        engine.dispose()


if __name__ == "__main__":  # pragma: no cover
    main(prog_name=os.path.basename(__file__))
