"""GoTrue (`/auth/v1`): sign-up, password and refresh grants, user, logout, recovery,
emailed codes (otp, verify), email change, admin.

Wire shapes follow GoTrue: errors are `{"code","message"}` plus the
`X-Supabase-Api-Version` echo when the client sent that header (the Python client always
does), else the legacy `{"code":<status>,"error_code","msg"}`. One module per GoTrue
endpoint group, as GoTrue's own API package splits them.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from ..service import Service
from .admin import (
    admin_create_user,
    admin_delete_user,
    admin_get_user,
    admin_list_users,
    admin_update_user,
)
from .eml import write_mail
from .errors import AuthError, endpoint
from .meta import health, jwks, settings
from .otp import otp
from .recover import recover
from .resend import resend
from .sessions import start_session
from .signup import signup
from .token import token
from .user import get_user, logout, put_user
from .users import create_user, hash_password, load_user_by_email, user_json
from .verify import verify_get, verify_post


def routes() -> list[BaseRoute]:
    return [
        Route("/signup", endpoint(signup), methods=["POST"]),
        Route("/token", endpoint(token), methods=["POST"]),
        Route("/user", endpoint(get_user), methods=["GET"]),
        Route("/user", endpoint(put_user), methods=["PUT"]),
        Route("/logout", endpoint(logout), methods=["POST"]),
        Route("/recover", endpoint(recover), methods=["POST"]),
        Route("/otp", endpoint(otp), methods=["POST"]),
        Route("/resend", endpoint(resend), methods=["POST"]),
        Route("/verify", endpoint(verify_post), methods=["POST"]),
        Route("/verify", endpoint(verify_get), methods=["GET"]),
        Route("/settings", endpoint(settings), methods=["GET"]),
        Route("/health", endpoint(health), methods=["GET"]),
        Route("/.well-known/jwks.json", endpoint(jwks), methods=["GET"]),
        Route("/admin/users", endpoint(admin_list_users), methods=["GET"]),
        Route("/admin/users", endpoint(admin_create_user), methods=["POST"]),
        Route("/admin/users/{user_id}", endpoint(admin_get_user), methods=["GET"]),
        Route("/admin/users/{user_id}", endpoint(admin_update_user), methods=["PUT"]),
        Route("/admin/users/{user_id}", endpoint(admin_delete_user), methods=["DELETE"]),
    ]


SERVICE = Service("/auth/v1", routes)

__all__ = ["SERVICE", "AuthError", "create_user", "hash_password", "load_user_by_email",
           "routes", "start_session", "user_json", "write_mail"]
