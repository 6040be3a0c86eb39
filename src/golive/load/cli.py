"""CLI of the load family: ``golive plan capacity``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markdown import Markdown

from golive.cli._common import EnvOption, PathArg, handle_errors, load_spec, stdout
from golive.errors import SpecError, UsageError
from golive.kit.files import atomic_write
from golive.load import plan as planning
from golive.load._capacity import plan_markdown
from golive.load.plan import CapacitySource
from golive.spec import find_spec

__all__ = ["capacity_cmd", "plan_app"]

plan_app = typer.Typer(name="plan", help="Plans built from measurements: capacity.", no_args_is_help=True)


@plan_app.command("capacity")
def capacity_cmd(
    path: PathArg = Path("."),
    growth: Annotated[str | None, typer.Option("--growth", help="Projected growth, e.g. 3x.")] = None,
    headroom: Annotated[str | None, typer.Option("--headroom", help="Capacity kept free, e.g. 30%.")] = None,
    current_rps: Annotated[
        float | None, typer.Option("--current-rps", min=0, help="Production traffic now, req/s.")
    ] = None,
    unit_cost: Annotated[
        float | None, typer.Option("--unit-cost", min=0, help="Price of one instance per month (730 h).")
    ] = None,
    instance_hour_price: Annotated[
        float | None,
        typer.Option("--instance-hour-price", min=0, help="Price of one instance per hour (or --unit-cost)."),
    ] = None,
    currency: Annotated[str | None, typer.Option("--currency", help="[default: recorded, else EUR]")] = None,
    db_max_connections: Annotated[
        int | None, typer.Option("--db-max-connections", min=1, help="PostgreSQL max_connections.")
    ] = None,
    source: Annotated[
        Path | None,
        typer.Option("--from", help="A capacity.json [default: the latest load.capacity result]."),
    ] = None,
    env: EnvOption = None,
    store: Annotated[str | None, typer.Option("--store", help="History store URL.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the plan (Markdown).")] = None,
) -> None:
    """Instances, DB connections and cost for today's traffic and projected growth, from load.capacity."""
    with handle_errors():
        g = planning.parse_factor(growth) if growth else None
        h = planning.parse_percent(headroom) if headroom else None
        found = source and planning.from_file(source) or _latest(path, env, store)
        plan = planning.plan_from(
            found,
            current_rps=current_rps,
            growth=g,
            headroom=h,
            unit_cost=unit_cost,
            instance_hour_price=instance_hour_price,
            currency=currency,
            db_max_connections=db_max_connections,
        )
        text = plan_markdown(plan) + f"\n_Source: {found.origin}_\n"
        if output:
            atomic_write(output, text)
        stdout().print(Markdown(text))


def _latest(path: Path, env: str | None, store_url: str | None) -> CapacitySource:
    """The newest load.capacity result: history store first, then the reports directory."""
    # SQLAlchemy loads only when the history is read.
    from golive.history.store import DEFAULT_DB_PATH, open_store

    root = path if path.is_dir() else path.parent
    service = _service_name(path)
    if service and (store_url or (root / DEFAULT_DB_PATH).is_file()):
        with open_store(store_url, root=root) as db:
            for summary in db.reviews(service, env, limit=50):
                review = db.load_review(summary.id)
                for result in review.results:
                    if result.check_type == "load.capacity" and result.status.value == "pass":
                        return planning.from_result(result, f"review #{summary.id} ({result.criterion_id})")
    latest = planning.latest_in_dir(root / ".golive" / "reports")
    if latest is not None:
        return planning.from_file(latest)
    raise UsageError(
        f"no load.capacity result found for {root}: run `golive review --only <capacity criterion>` "
        "first, or pass --from capacity.json"
    )


def _service_name(path: Path) -> str | None:
    """The service the spec at ``path`` describes; None when there is no spec (a reports folder)."""
    try:
        spec_file = find_spec(path)
    except SpecError:
        return None
    return load_spec(spec_file).service.name
