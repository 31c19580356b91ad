"""GoTrue's secure email change: `PUT /user {"email"}` mails a code to the new address and
one to the current address; `POST /verify type=email_change` takes each, and the address
changes once both were entered (the first answers GoTrue's "single confirmation" JSON)."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection

from ..context import Context
from .errors import AuthError
from .mail import check_send_interval, expired, new_otp, send, token_hash
from .users import USER_SQL, load_user, load_user_by_email, set_email

SINGLE_CONFIRMATION = ("Confirmation link accepted. Please proceed to confirm link sent to "
                       "the other email")


async def begin_email_change(ctx: Context, conn: AsyncConnection[Any], user: dict[str, Any],
                             new_email: str) -> None:
    check_send_interval(user.get("email_change_sent_at"))
    current = (user.get("email") or "").lower()
    code_new = new_otp()
    code_current = new_otp() if current else ""
    await conn.execute(
        """update auth.users set email_change = %s, email_change_token_new = %s,
               email_change_token_current = %s, email_change_confirm_status = 0,
               email_change_sent_at = now() where id = %s""",
        [new_email, token_hash(new_email, code_new),
         token_hash(current, code_current) if current else "", user["id"]])
    values = {"Email": current, "NewEmail": new_email, "SiteURL": ctx.settings.public_url}
    send(ctx.settings.data_dir, new_email, "email_change", {**values, "Token": code_new})
    if current:
        send(ctx.settings.data_dir, current, "email_change", {**values, "Token": code_current})


async def consume_email_change(conn: AsyncConnection[Any], email: str,
                               hashed: str) -> dict[str, Any] | None:
    """The user once the change is complete; None while the other code is still needed."""
    cur = await conn.execute(
        USER_SQL.format(where="""((u.email_change_token_new = %s and lower(u.email_change) = %s)
                                  or (u.email_change_token_current = %s
                                      and lower(u.email) = %s)) and u.deleted_at is null""")
        + " for update of u", [hashed, email, hashed, email])
    user = await cur.fetchone()
    if user is None or expired(user.get("email_change_sent_at")):
        raise AuthError(403, "otp_expired", "Token has expired or is invalid")
    uid = str(user["id"])
    is_new = user.get("email_change_token_new") == hashed \
        and (user.get("email_change") or "").lower() == email
    other = user.get("email_change_token_current") if is_new else user.get("email_change_token_new")
    if other:
        column = "email_change_token_new" if is_new else "email_change_token_current"
        await conn.execute(f"update auth.users set {column} = '', "
                           "email_change_confirm_status = 1 where id = %s", [uid])
        return None
    new_email = str(user.get("email_change") or "").lower()
    taken = await load_user_by_email(conn, new_email)
    if taken is not None and str(taken["id"]) != uid:
        raise AuthError(422, "email_exists",
                        "A user with this email address has already been registered")
    await set_email(conn, uid, new_email)
    await conn.execute(
        """update auth.users set email_change = '', email_change_token_new = '',
               email_change_token_current = '', email_change_confirm_status = 0,
               email_confirmed_at = coalesce(email_confirmed_at, now()), updated_at = now()
           where id = %s""", [uid])
    return await load_user(conn, uid)
