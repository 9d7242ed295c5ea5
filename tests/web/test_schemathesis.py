"""schemathesis over the JSON API, once per role (SECURITY-TESTS item 10, ASVS 2.2.1, 16.5.3).

For every operation in `/api/openapi.json`, valid and invalid requests are generated and sent
in-process to the app with a signed-in session cookie (and the session's CSRF header, so that
state changes reach the workflow rules rather than stopping at the CSRF check). Each response
must not be a server error, must carry a declared status code and content type, and must match
the schema declared for that status. Anonymous requests must get a declared 401.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from casereview.settings import WebSettings
from casereview.web.app import create_app
from casereview.web.auth import COOKIE, CSRF_HEADER

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
ROLES = {
    "reviewer": "rev_n",
    "supervisor": "sup_n",
    "analyst": "ana",
    "auditor": "aud",
    "admin": "adm",
    "anonymous": None,
}
EXAMPLES = {GenerationMode.POSITIVE: 6, GenerationMode.NEGATIVE: 3}


def _exercise(
    operation: Any, mode: GenerationMode, headers: dict[str, str], cookies: dict[str, str]
) -> list[int]:
    """Run the generated cases of one operation; returns the status codes seen."""
    seen: list[int] = []

    @hypothesis.settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        response = case.call_and_validate(headers=headers, cookies=cookies, checks=CHECKS)
        seen.append(response.status_code)

    try:
        run()
    except hypothesis.errors.Unsatisfiable:
        # No invalid request exists for an operation without parameters or body.
        assert mode is GenerationMode.NEGATIVE and not seen, operation.label
    return seen


@pytest.mark.parametrize("role", list(ROLES))
def test_api_conforms_to_its_schema(role: str, world: Any, client_for: Callable[..., Any]) -> None:
    headers: dict[str, str] = {}
    cookies: dict[str, str] = {}
    username = ROLES[role]
    if username is not None:
        client = client_for(username)
        headers[CSRF_HEADER] = client.headers[CSRF_HEADER]
        cookies[COOKIE] = client.cookies.get(COOKIE)
    app = create_app(world.engine, settings=WebSettings(), clock=world.clock)
    # The schema is served to signed-in users only: read it with a session of its own, so
    # that the anonymous run still sends no cookie.
    reader = client_for("aud").cookies.get(COOKIE)
    schema = schemathesis.openapi.from_asgi(
        "/api/openapi.json", app, headers={"Cookie": f"{COOKIE}={reader}"}
    )
    statuses: dict[str, set[int]] = {}
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        label = f"{operation.method.upper()} {operation.path}"
        for mode in EXAMPLES:
            statuses.setdefault(label, set()).update(_exercise(operation, mode, headers, cookies))
    assert operations >= 19
    everything = set().union(*statuses.values())
    if username is None:
        # Without a session every operation refuses (or rejects an unreadable body first).
        assert everything <= {400, 401, 422}, statuses
        assert 401 in everything
    else:
        # The session held: each role reached at least one operation it may use.
        assert 200 in everything, statuses
        assert 200 in statuses["GET /api/me"]
