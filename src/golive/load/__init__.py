"""Load, capacity, soak and stress checks on Locust, the capacity plan built from them, and its cost.

Locust runs in a separate process (:mod:`golive.load._worker`) because it relies on gevent
monkey-patching, which must not touch golive's asyncio process.
"""

from golive.kit.family import Command, Family

FAMILY = Family(
    name="load",
    help="Load, capacity, soak and stress tests on Locust; capacity plans and their cost.",
    checks={
        "load.test": "golive.load.checks:LoadTestCheck",
        "load.capacity": "golive.load._capacity_check:LoadCapacityCheck",
        "load.soak": "golive.load._soak:LoadSoakCheck",
        "load.stress": "golive.load._stress:LoadStressCheck",
        "load.cost": "golive.load._cost_check:LoadCostCheck",
        "db.queries": "golive.load.checks:DbQueriesCheck",
    },
    params={
        "load.test": "golive.load._params:LoadTestParams",
        "load.capacity": "golive.load._params:LoadCapacityParams",
        "load.soak": "golive.load._params:LoadSoakParams",
        "load.stress": "golive.load._params:LoadStressParams",
        "load.cost": "golive.load._params:LoadCostParams",
        "db.queries": "golive.load._params:DbQueriesParams",
    },
    warnings={
        "load.test": "golive.load._warnings:load_test_warnings",
        "load.capacity": "golive.load._warnings:capacity_warnings",
        "load.soak": "golive.load._warnings:load_test_warnings",
        "load.stress": "golive.load._warnings:stress_warnings",
        "load.cost": "golive.load._warnings:cost_warnings",
    },
    commands={
        "plan": Command(target="golive.load.cli:plan_app", help="Plans built from measurements: capacity.")
    },
)

__all__ = ["FAMILY"]
