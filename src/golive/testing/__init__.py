"""The testing and CI/CD family: test suites, coverage, API contracts and pipelines.

Check types: ``tests.suite`` (:mod:`golive.testing.suite`), ``tests.coverage``
(:mod:`golive.testing.coverage`), ``api.contract`` (:mod:`golive.testing.contract`),
``ci.pipeline`` (:mod:`golive.testing.pipeline`) and ``ci.history``
(:mod:`golive.testing.history`); ``golive init ci`` in :mod:`golive.testing.cli`.
"""

from golive.kit.family import Command, Family

FAMILY = Family(
    name="testing",
    help="Test suites, coverage, API contracts and CI pipelines.",
    checks={
        "tests.suite": "golive.testing.suite:SuiteCheck",
        "tests.coverage": "golive.testing.coverage:CoverageCheck",
        "api.contract": "golive.testing.contract:ContractCheck",
        "ci.pipeline": "golive.testing.pipeline:PipelineCheck",
        "ci.history": "golive.testing.history:HistoryCheck",
    },
    params={
        "tests.suite": "golive.testing._params:SuiteParams",
        "tests.coverage": "golive.testing._params:CoverageParams",
        "api.contract": "golive.testing._params:ContractParams",
        "ci.pipeline": "golive.testing.pipeline:PipelineParams",
        "ci.history": "golive.testing.history:HistoryParams",
    },
    init={
        "ci": Command(target="golive.testing.cli:init_ci", help="Write a CI pipeline that runs the review.")
    },
)

__all__ = ["FAMILY"]
