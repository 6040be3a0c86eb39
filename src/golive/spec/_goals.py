"""Cross-field rules for ``goals:``: every goal names real criteria, every criterion is in one goal.

A criterion left out of every goal would silently not count once tiers are scored over goals,
and one in two goals would count twice; both are spec errors, reported with the other problems.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from typing import Any

from golive.spec._yaml import shown

Loc = tuple[str | int, ...]


def _hint(word: str, choices: list[str]) -> str:
    found = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean {shown(found[0])}?)" if found else ""


def goal_problems(
    data: Mapping[str, Any], criteria: Mapping[str, int], add: Callable[[Loc, str], None]
) -> None:
    """Report unknown ids, duplicate goals and criteria in no goal or in two (``criteria``: id → index)."""
    goals = data.get("goals")
    if not isinstance(goals, list) or not goals:
        return
    ids = list(criteria)
    owner: dict[str, str] = {}
    goal_ids: set[str] = set()
    for g_index, goal in enumerate(goals):
        if not isinstance(goal, dict):
            continue
        gid = str(goal.get("id", f"goals[{g_index}]"))
        if gid in goal_ids:
            add(("goals", g_index, "id"), f"duplicate goal id {shown(gid)}")
        goal_ids.add(gid)
        members = goal.get("criteria")
        for c_index, cid in enumerate(members if isinstance(members, list) else []):
            if not isinstance(cid, str):
                continue
            if cid not in criteria:
                add(
                    ("goals", g_index, "criteria", c_index),
                    f"goal {shown(gid)} names unknown criterion {shown(cid)}{_hint(cid, ids)}",
                )
            elif cid in owner and owner[cid] != gid:
                add(
                    ("goals", g_index, "criteria", c_index),
                    f"criterion {shown(cid)} is in goal {shown(owner[cid])} and in goal {shown(gid)}; "
                    "a criterion belongs to one goal",
                )
            else:
                owner[cid] = gid
    for cid, index in criteria.items():
        if cid not in owner:
            add(
                ("criteria", index, "id"),
                f"criterion {shown(cid)} is in no goal: with goals declared, tiers are scored over goals, "
                "so add it to the goal it proves",
            )
