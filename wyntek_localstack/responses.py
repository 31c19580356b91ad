"""Small response helpers shared by the three services."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body, separators=(",", ":"), default=str), status_code=status,
                    headers=headers, media_type="application/json")


def raw_json_response(text: str | bytes, status: int = 200,
                      headers: dict[str, str] | None = None) -> Response:
    """Send JSON that Postgres already produced, without decoding it in Python."""
    return Response(text, status_code=status, headers=headers,
                    media_type="application/json; charset=utf-8")


async def read_json(request: Request) -> Any:
    """The request body as JSON; an empty body reads as an empty object. Raises ValueError."""
    body = await request.body()
    if not body.strip():
        return {}
    return json.loads(body)
