"""/api/v1 against its OpenAPI description: every route described, schemathesis finds no 500."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from oncall.app import create_app
from oncall.settings import Settings
from oncall.web.api.openapi import description
from tests.reliability.inputs import Seeded, running_service, seed

METHODS = ("get", "post", "put", "patch", "delete")
CONFORMANCE = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Small enough for the whole file to stay well under 30 s on a busy 2-core machine.
EXAMPLES = 40


def _described() -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, operations in description()["paths"].items()
        for method in operations
        if method in METHODS
    }


def _registered() -> set[tuple[str, str]]:
    app = create_app(Settings())
    found: set[tuple[str, str]] = set()
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = str(info.get("path") or info.get("formatter") or "")
        if path.startswith("/api/") and route.method != "HEAD":
            found.add((route.method, path))
    return found


def test_every_api_route_is_described_and_every_description_is_a_route() -> None:
    registered, described = _registered(), _described()
    assert registered == described, {
        "routes with no description": registered - described,
        "descriptions with no route": described - registered,
    }


@pytest.fixture(scope="module")
def service(module_db_url: str) -> Iterator[tuple[Seeded, str]]:
    """One seeded service per database for the module (the API only reads, bar its audit reads)."""
    url = module_db_url
    seeded = asyncio.run(seed(url))
    with running_service(url) as settings:
        yield seeded, settings.public_url


@pytest.fixture(scope="module")
def schema(service: tuple[Seeded, str]) -> Any:
    _, base = service
    loaded = schemathesis.openapi.from_url(f"{base}/api/v1/openapi.json")
    return loaded


def _run(schema: Any, base: str, headers: dict[str, str], mode: Any, checks: list[Any]) -> int:
    """Run EXAMPLES generated cases across every operation; the number of calls made."""
    calls = 0
    http = requests.Session()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=schema.as_strategy(generation_mode=mode), data=st.data())
    def check(case: Any, data: st.DataObject) -> None:
        nonlocal calls
        del data
        case.call_and_validate(base_url=base, session=http, headers=headers, checks=checks)
        calls += 1

    try:
        check()
    finally:
        http.close()
    return calls


def test_valid_requests_with_a_manager_token_conform(
    service: tuple[Seeded, str], schema: Any
) -> None:
    seeded, base = service
    headers = {"Authorization": f"Bearer {seeded.tokens['manager']}"}
    assert _run(schema, base, headers, schemathesis.GenerationMode.POSITIVE, CONFORMANCE) > 0


def test_invalid_requests_with_an_admin_token_get_no_500_and_json_errors(
    service: tuple[Seeded, str], schema: Any
) -> None:
    # negative_data_rejection is left out: schemathesis also "violates" a parameter by sending a
    # null or an empty list, which reach the server as an empty value, and an empty value means
    # absent here (documented). BAD_PARAMETERS below pins the refusals instead.
    seeded, base = service
    headers = {"Authorization": f"Bearer {seeded.tokens['admin']}"}
    assert _run(schema, base, headers, schemathesis.GenerationMode.NEGATIVE, CONFORMANCE) > 0


BAD_PARAMETERS = [
    ("/api/v1/on-duty?at=tomorrow", "at"),
    ("/api/v1/on-duty?at=2027-01-08T23:00:00", "at"),
    ("/api/v1/on-duty?at=1266-04-12T03:10:39Z", "at"),
    ("/api/v1/on-duty?at=0001-01-01T00:00:00%2B05:00", "at"),
    ("/api/v1/contacts?from=yesterday", "from"),
    ("/api/v1/contacts?from=2027-01-09&to=2027-01-08", "to"),
    ("/api/v1/contacts?page=0", "page"),
    ("/api/v1/contacts?page_size=201", "page_size"),
    ("/api/v1/contacts?missed=1&missed=0", "missed"),
    ("/api/v1/contacts/99999999999999999999", "contact_id"),
    ("/api/v1/events?contact=%C2%B2", "contact"),
    ("/api/v1/events?contact=99999999999999999999", "contact"),
    ("/api/v1/events?after_seq=-1", "after_seq"),
    ("/api/v1/events?limit=1e3", "limit"),
    ("/api/v1/events?kind=call%00", "kind"),
    ("/api/v1/contacts?caller=%00", "caller"),
    ("/api/v1/events?from=9999-12-31T23:59:59-23:59", "from"),
    ("/api/v1/missing-episodes?status=lost", "status"),
    ("/api/v1/missing-episodes?risk=severe", "risk"),
    ("/api/v1/missing-episodes?from=yesterday", "from"),
    ("/api/v1/missing-episodes?from=2027-01-09&to=2027-01-08", "to"),
    ("/api/v1/missing-episodes?page_size=201", "page_size"),
    ("/api/v1/missing-episodes?risk=high&risk=low", "risk"),
]


@pytest.mark.parametrize(("path", "field"), BAD_PARAMETERS)
def test_a_bad_parameter_gets_a_400_naming_it(
    service: tuple[Seeded, str], path: str, field: str
) -> None:
    seeded, base = service
    headers = {"Authorization": f"Bearer {seeded.tokens['admin']}"}
    answer = requests.get(base + path, headers=headers, timeout=10)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["message"].startswith(f"{field}:")


@pytest.mark.parametrize("who", ["anonymous", "worker", "forged"])
def test_unauthorised_callers_get_a_json_401_or_403(
    service: tuple[Seeded, str], schema: Any, who: str
) -> None:
    seeded, base = service
    headers = {
        "anonymous": {},
        "worker": {"Authorization": f"Bearer {seeded.tokens['worker']}"},
        "forged": {"Authorization": "Bearer oc_not-a-token"},
    }[who]
    assert _run(schema, base, headers, schemathesis.GenerationMode.POSITIVE, CONFORMANCE) > 0
    paths = ("/api/v1/contacts", "/api/v1/events", f"/api/v1/contacts/{seeded.contact_ids[0]}",
             "/api/v1/missing-episodes")  # fmt: skip
    for path in paths:
        answer = requests.get(base + path, headers=headers, timeout=10)
        assert answer.status_code == (403 if who == "worker" else 401), path
        assert answer.json()["error"]["status"] == answer.status_code
