"""The testing and CI/CD family: test suites, coverage, API contracts and pipelines.

Check types live in :mod:`golive.testing.checks`; ``golive init ci`` in
:mod:`golive.testing.cli`.
"""
