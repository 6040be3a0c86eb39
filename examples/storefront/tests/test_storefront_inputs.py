"""Hostile inputs: NUL characters anywhere are a 422 on PostgreSQL; oversized chunked bodies a 413.

The NUL sweep enumerates the operations from the app's own OpenAPI document (and the web UI's
forms from its router, which is kept out of the OpenAPI document), so an endpoint added later
is covered without touching this file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from storefront.input_guard import NUL_ERROR_TYPE
from storefront.testing import (
    admin_headers,
    create_product,
    new_key,
    register_and_login,
    running_server,
)
from storefront.web import routes as web

NUL_TEXT = "nul-probe\x00value"
ON_POSTGRES = pytest.mark.parametrize(
    "db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


def _schema_of(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow ``$ref`` and single-branch ``anyOf``/``allOf`` wrappers to the object schema."""
    while True:
        if "$ref" in node:
            node = spec["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
        elif branches := [b for b in node.get("anyOf", node.get("allOf", [])) if "$ref" in b]:
            node = branches[0]
        else:
            return node


def _probes(spec: dict[str, Any]) -> Iterator[tuple[str, str, str, str]]:
    """(method, path template, channel, name) for every input of every operation."""
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            for param in op.get("parameters", []):
                yield method.upper(), path, param["in"], param["name"]
            content = op.get("requestBody", {}).get("content", {})
            for media, body in content.items():
                for field in _schema_of(spec, body["schema"]).get("properties", {}):
                    yield method.upper(), path, media, field


def _send_nul(
    client: TestClient, probe: tuple[str, str, str, str], auth: dict[str, str]
) -> httpx.Response:
    method, template, channel, name = probe
    path_value = quote(NUL_TEXT) if channel == "path" else "1"
    url = template
    for segment in template.split("/"):
        if segment.startswith("{"):
            url = url.replace(segment, path_value)
    headers = {**auth, "Idempotency-Key": new_key()}
    kwargs: dict[str, Any] = {}
    if channel == "query":
        kwargs["params"] = {name: NUL_TEXT}
    elif channel == "header":
        headers[name] = NUL_TEXT
    elif channel == "application/json":
        kwargs["json"] = {name: NUL_TEXT}
    elif channel != "path":
        kwargs["data"] = {name: NUL_TEXT}
    response: httpx.Response = client.request(method, url, headers=headers, **kwargs)
    return response


def _assert_nul_refused(response: httpx.Response, where: str, name: str) -> None:
    assert response.status_code == 422, (where, response.status_code, response.text)
    error = response.json()["error"]
    assert error["code"] == "validation_error" and error["request_id"]
    nul = [d for d in error["details"] if d["type"] == NUL_ERROR_TYPE]
    assert nul and nul[0]["loc"][-1] in (name.lower(), name, where), (where, error)
    assert "nul-probe" not in response.text  # the input is not echoed


@ON_POSTGRES
def test_every_api_input_refuses_nul_with_422(client: TestClient) -> None:
    spec = client.app.openapi()  # type: ignore[attr-defined]
    admin = admin_headers(client)
    probes = list(_probes(spec))
    channels = {channel for _, _, channel, _ in probes}
    # The sweep must actually reach every kind of input the API has.
    assert {"query", "path", "header", "application/json"} <= channels, channels
    for probe in probes:
        response = _send_nul(client, probe, admin)
        _assert_nul_refused(response, probe[2], probe[3])


@ON_POSTGRES
def test_every_web_ui_form_field_refuses_nul_with_an_html_422(client: TestClient) -> None:
    origin = {"Origin": "http://testserver"}
    forms = [
        (route.path, name)
        for route in web.router.routes
        if isinstance(route, APIRoute) and "POST" in (route.methods or ())
        for name in (p.alias for p in route.dependant.body_params)
    ]
    assert ("/ui/login", "email") in forms
    for path, name in forms:
        r = client.post(path.replace("{order_id}", "1"), data={name: NUL_TEXT}, headers=origin)
        assert r.status_code == 422, (path, name, r.status_code)
        assert r.headers["content-type"].startswith("text/html") and "\x00" not in r.text
    r = client.get("/ui/", params={"q": NUL_TEXT})
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")


@ON_POSTGRES
def test_nul_in_otherwise_valid_requests_is_422_not_500(client: TestClient) -> None:
    # The reported 500s: valid requests but for one NUL, reaching PostgreSQL without the guard.
    assert client.get("/products", params={"q": NUL_TEXT}).status_code == 422
    login = {"email": "someone@example.com", "password": NUL_TEXT}
    assert client.post("/auth/login", json=login).status_code == 422
    assert client.post("/auth/refresh", json={"refresh_token": NUL_TEXT * 3}).status_code == 422
    user = register_and_login(client)
    admin = admin_headers(client)
    product = create_product(client, admin)
    body = {"sku": "SKU-NUL", "name": NUL_TEXT, "price_cents": 100, "stock": 1}
    assert client.post("/products", json=body, headers=admin).status_code == 422
    order = {"items": [{"product_id": product["id"], "quantity": 1}]}
    headers = {**user["headers"], "Idempotency-Key": "key\x00" + new_key()}
    assert client.post("/orders", json=order, headers=headers).status_code == 422
    cookie = {"Cookie": 'sf_refresh="a\\000b"'}  # octal escape: the cookie parser decodes it
    assert client.get("/ui/", headers=cookie).status_code == 422
    # A NUL spelled out harmlessly is still fine.
    assert client.get("/products", params={"q": "\\u0000"}).status_code == 200
    escaped = {"email": "someone@example.com", "password": "\\u0000-not-a-nul"}
    assert client.post("/auth/login", json=escaped).status_code == 401


def _chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    yield b'{"email": "'
    for _ in range(total // size):
        yield b"a" * size
    yield b'"}'


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_oversized_chunked_body_is_413(client: TestClient) -> None:
    for path in ("/auth/login", "/products", "/ui/login", "/healthz"):
        r = client.post(
            path,
            content=_chunks(2 * 1024 * 1024),
            headers={"Content-Type": "application/json", "Origin": "http://testserver"},
        )
        assert "content-length" not in r.request.headers  # really chunked
        assert r.status_code == 413, (path, r.status_code)
        assert r.json()["error"]["code"] == "payload_too_large"
    # Just under the limit, chunked, the body is read and validated field by field as usual.
    small = client.post(
        "/auth/login", content=_chunks(512 * 1024), headers={"Content-Type": "application/json"}
    )
    assert small.status_code == 422
    assert ["body", "password"] in [d["loc"] for d in small.json()["error"]["details"]]


def test_oversized_chunked_body_over_real_http_is_413(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'sf.db'}", "JWT_SECRET": "t-" + "x" * 40}
    with running_server(env, tmp_path / "server.log") as server:
        with httpx.Client(base_url=server.base_url, timeout=30) as http:
            r = http.post(
                "/auth/login",
                content=_chunks(2 * 1024 * 1024),
                headers={"Content-Type": "application/json"},
            )
    assert r.request.headers.get("transfer-encoding") == "chunked"
    assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"
