"""CLI of the load family: ``golive plan capacity``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markdown import Markdown

from golive.load.plan import CapacitySource

plan_app = typer.Typer(name="plan", help="Plans built from measurements: capacity.", no_args_is_help=True)


def register(app: typer.Typer, init_app: typer.Typer) -> None:
    """Add ``golive plan`` (with ``capacity``) to the CLI."""
    app.add_typer(plan_app, name="plan")


@plan_app.command("capacity")
def capacity_cmd(
    path: Annotated[Path, typer.Argument(help="Spec file or its directory.")] = Path("."),
    growth: Annotated[str | None, typer.Option("--growth", help="Projected growth, e.g. 3x.")] = None,
    headroom: Annotated[str | None, typer.Option("--headroom", help="Capacity kept free, e.g. 30%.")] = None,
    current_rps: Annotated[
        float | None, typer.Option("--current-rps", min=0, help="Production traffic now, req/s.")
    ] = None,
    unit_cost: Annotated[
        float | None, typer.Option("--unit-cost", min=0, help="Cost of one instance per month.")
    ] = None,
    currency: Annotated[str | None, typer.Option("--currency")] = None,
    db_max_connections: Annotated[
        int | None, typer.Option("--db-max-connections", min=1, help="PostgreSQL max_connections.")
    ] = None,
    source: Annotated[
        Path | None,
        typer.Option("--from", help="A capacity.json [default: the latest load.capacity result]."),
    ] = None,
    env: Annotated[str | None, typer.Option("--env", "-e", help="Environment name.")] = None,
    store: Annotated[str | None, typer.Option("--store", help="History store URL.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the plan (Markdown).")] = None,
) -> None:
    """Instances and DB connections for today's traffic and projected growth, from load.capacity."""
    from golive.cli import handle_errors
    from golive.load import plan as planning

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
            currency=currency,
            db_max_connections=db_max_connections,
        )
        from golive.load._capacity import plan_markdown

        text = plan_markdown(plan) + f"\n_Source: {found.origin}_\n"
        if output:
            output.write_text(text)
        Console(highlight=False).print(Markdown(text))


def _latest(path: Path, env: str | None, store_url: str | None) -> CapacitySource:
    """The newest load.capacity result: history store first, then the reports directory."""
    from golive.errors import UsageError
    from golive.history.store import DEFAULT_DB_PATH, open_store
    from golive.load import plan as planning

    root = path if path.is_dir() else path.parent
    spec_file = (
        path
        if path.is_file()
        else next((root / n for n in ("golive.yaml", "golive.yml") if (root / n).is_file()), None)
    )
    service = _service_name(spec_file) if spec_file else None
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


def _service_name(spec_file: Path) -> str | None:
    from ruamel.yaml import YAML

    try:
        data = YAML(typ="safe").load(spec_file.read_text(encoding="utf-8"))
    except Exception:
        return None
    svc = data.get("service") if isinstance(data, dict) else None
    return str(svc["name"]) if isinstance(svc, dict) and "name" in svc else None
