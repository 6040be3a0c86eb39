"""The testing family's check types, registered through ``CHECK_TYPES``."""

from __future__ import annotations

from golive.checks.base import Check
from golive.testing.contract import ContractCheck
from golive.testing.coverage import CoverageCheck
from golive.testing.history import HistoryCheck
from golive.testing.pipeline import PipelineCheck
from golive.testing.suite import SuiteCheck

CHECK_TYPES: list[type[Check]] = [
    SuiteCheck,
    CoverageCheck,
    ContractCheck,
    PipelineCheck,
    HistoryCheck,
]

__all__ = [
    "CHECK_TYPES",
    "ContractCheck",
    "CoverageCheck",
    "HistoryCheck",
    "PipelineCheck",
    "SuiteCheck",
]
