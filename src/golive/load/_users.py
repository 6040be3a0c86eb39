"""The Locust user classes of a load plan: its locustfile's, or one built from its requests.

Imported only by the load engine process (:mod:`golive.load._worker`), after gevent has
patched the standard library: never import it from golive's own process.
"""

from __future__ import annotations

import contextlib
import importlib.util
import inspect
import itertools
import json
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from locust import FastHttpUser, User, between, constant, constant_throughput

__all__ = ["build_users"]


def _substitute(value: Any, user_no: int) -> Any:
    if isinstance(value, str):
        if "{" not in value:
            return value
        return value.replace("{uuid}", uuid.uuid4().hex).replace("{user}", str(user_no))
    if isinstance(value, dict):
        return {k: _substitute(v, user_no) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, user_no) for v in value]
    return value


_USER_NUMBERS = itertools.count(1)


def _request_task(spec: dict[str, Any]) -> Callable[[Any], None]:
    method, name, path, body = spec["method"].upper(), spec["name"], spec["path"], spec.get("json")
    static_headers: dict[str, str] = dict(spec.get("headers") or {})
    expect = set(spec.get("expect_status") or [])
    templated = "{" in json.dumps([path, body, static_headers])

    fixed: dict[str, Any] = {"name": name, "headers": static_headers or None}
    if body is not None:
        fixed["json"] = body

    def run(user: Any) -> None:
        # Runs for every request: whatever does not change per request was prepared above.
        send_path, kwargs = path, fixed
        if templated or user.golive_headers:
            headers = static_headers
            kwargs = {**fixed}
            if templated:
                send_path = _substitute(path, user.golive_no)
                headers = _substitute(static_headers, user.golive_no)
                if body is not None:
                    kwargs["json"] = _substitute(body, user.golive_no)
            kwargs["headers"] = {**headers, **user.golive_headers} or None
        if not expect:
            user.client.request(method, send_path, **kwargs)
            return
        with user.client.request(method, send_path, catch_response=True, **kwargs) as resp:
            if resp.status_code in expect:
                resp.success()
            else:
                resp.failure(f"HTTP {resp.status_code}, expected one of {sorted(expect)}")

    return run


def _wait_time(plan: dict[str, Any]) -> Callable[..., float]:
    if plan.get("rate_per_user"):
        return constant_throughput(float(plan["rate_per_user"]))
    lo, hi = plan.get("wait") or [0.0, 0.0]
    return between(lo, hi) if hi > lo else constant(lo)


def build_users(plan: dict[str, Any]) -> list[type[User]]:
    """The Locust user classes of a plan: its locustfile's, or one built from its requests."""
    timeout = float(plan["request_timeout_s"])
    if plan.get("locustfile"):
        path = Path(plan["locustfile"])
        spec = importlib.util.spec_from_file_location(f"golive_locustfile_{path.stem}", path)
        if spec is None or spec.loader is None:
            raise SystemExit(f"cannot import {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        wanted = set(plan.get("user_classes") or [])
        classes = [
            c
            for _, c in inspect.getmembers(module, inspect.isclass)
            if issubclass(c, User)
            and c.__module__ == module.__name__
            and not getattr(c, "abstract", False)
            and (not wanted or c.__name__ in wanted)
        ]
        if not classes:
            raise SystemExit(
                f"no Locust user class in {path}" + (f" named {sorted(wanted)}" if wanted else "")
            )
        for c in classes:
            c.host = plan["host"]
            if issubclass(c, FastHttpUser):
                c.network_timeout = c.connection_timeout = timeout
        return classes

    tasks = {_request_task(r): int(r["weight"]) for r in plan["requests"]}
    auth = plan.get("auth")

    class ScenarioUser(FastHttpUser):
        host = plan["host"]
        wait_time = _wait_time(plan)
        network_timeout = timeout
        connection_timeout = timeout

        def on_start(self) -> None:
            self.golive_no = next(_USER_NUMBERS)
            self.golive_headers: dict[str, str] = {}
            if not auth:
                return
            if auth.get("register_path"):
                self.client.request(
                    "POST",
                    auth["register_path"],
                    name="auth:register",
                    json=_substitute(auth.get("register_json"), self.golive_no),
                )
            resp = self.client.request(
                auth["method"],
                auth["path"],
                name="auth:login",
                json=_substitute(auth.get("json"), self.golive_no),
            )
            token = None
            with contextlib.suppress(Exception):
                token = resp.json().get(auth["token_field"])
            if token:
                self.golive_headers[auth["header"]] = f"{auth['prefix']}{token}"

    # Locust turns a {task: weight} dict into a weighted list only when the class is created;
    # assigned afterwards, the dict's weights would be dropped (each task picked equally often).
    ScenarioUser.tasks = [task for task, weight in tasks.items() for _ in range(weight)]
    return [ScenarioUser]
