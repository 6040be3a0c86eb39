"""Review history: store finished reviews, list them over time, and diff the latest two.

Open a store with :func:`open_store`; every store follows :class:`HistoryStore`.
"""

from golive.history.base import (
    ChangeKind,
    CriterionChange,
    DeployRecord,
    HistoryError,
    HistoryStore,
    ReviewDiff,
    ReviewSummary,
    SignoffRecord,
    StoreError,
)
from golive.history.store import SqlStore, default_store_url, open_store, safe_url

__all__ = [
    "ChangeKind",
    "CriterionChange",
    "DeployRecord",
    "HistoryError",
    "HistoryStore",
    "ReviewDiff",
    "ReviewSummary",
    "SignoffRecord",
    "SqlStore",
    "StoreError",
    "default_store_url",
    "open_store",
    "safe_url",
]
