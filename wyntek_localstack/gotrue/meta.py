"""`/settings`, `/health` and the (empty) JWKS."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..responses import json_response
from .errors import ok


async def settings(request: Request) -> Response:
    external = {name: False for name in ("anonymous_users", "apple", "azure", "bitbucket",
                                         "discord", "facebook", "figma", "github", "gitlab",
                                         "google", "keycloak", "linkedin_oidc", "notion",
                                         "phone", "slack_oidc", "spotify", "twitch",
                                         "twitter", "workos", "zoom")}
    external["email"] = True
    return ok(request, {"external": external, "disable_signup": False,
                         "mailer_autoconfirm": True, "phone_autoconfirm": False,
                         "sms_provider": "", "saml_enabled": False})


async def health(request: Request) -> Response:
    return ok(request, {"version": "wyntek-localstack", "name": "GoTrue",
                         "description": "GoTrue-compatible auth for the WYNTEK local stack"})


async def jwks(request: Request) -> Response:
    # HMAC keys are never published.
    return json_response({"keys": []}, headers={"Cache-Control": "public, max-age=600"})
