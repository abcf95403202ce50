"""Who may read `/metrics`: anyone, or with METRICS_TOKEN set, whoever sends it as a bearer.

The metrics share the webhook's port, which faces the internet: queue depth, installation
ids and GitHub's rate limit tell an outsider when the App is busy or near a limit.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

Endpoint = Callable[[Request], Awaitable[Response]]


def allowed(authorization: str | None, token: str | None) -> bool:
    """Whether an `Authorization` header opens the metrics; no token: always."""
    if token is None:
        return True
    scheme, _, given = (authorization or "").partition(" ")
    # compare_digest: the time taken says nothing about how much of the token matched.
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def guarded(endpoint: Endpoint, token: str | None) -> Endpoint:
    """The endpoint, answering 401 to a request without the token."""
    if token is None:
        return endpoint

    async def metrics(request: Request) -> Response:
        if not allowed(request.headers.get("authorization"), token):
            return JSONResponse(
                {"message": "/metrics needs Authorization: Bearer <METRICS_TOKEN>"},
                status_code=401,
                headers={"www-authenticate": 'Bearer realm="metrics"'},
            )
        return await endpoint(request)

    return metrics
