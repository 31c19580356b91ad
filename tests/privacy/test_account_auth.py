"""Password recovery, password change and email change through the account API, with
the codes read from the mails the local stack's catcher keeps."""

from __future__ import annotations

import uuid

import pytest

from tests.api.support import context_for
from tests.privacy.support import Mailbox, code_in
from wyntek_desktop.core import errors


def test_forgotten_password_is_reset_with_the_emailed_code(localstack) -> None:
    email, old_password, user_id = localstack.new_user("forgot")
    ctx = context_for(localstack)  # signed out
    try:
        box = Mailbox(localstack)
        ctx.api.account.request_password_recovery(email)
        ctx.api.account.request_password_recovery(f"nobody-{uuid.uuid4().hex[:6]}@example.com")
        (mail,) = box.wait_for(email, "Reset Your Password")
        assert box.messages(subject_has="Reset Your Password") == [mail]  # unknown: no mail
        with pytest.raises(errors.ServiceRefusal):  # a second mail within a minute
            ctx.api.account.request_password_recovery(email)
        code = code_in(mail)
        wrong = f"{(int(code) + 1) % 10**6:06d}"
        with pytest.raises(errors.AuthError, match="wrong or has expired"):
            ctx.api.account.verify_recovery_code(email, wrong)
        with pytest.raises(errors.ValidationError):
            ctx.api.account.verify_recovery_code(email, "12ab")
        result = ctx.api.account.reset_password(email, code, "brand-new-password")
        assert result.user_id == user_id and ctx.session.signed_in
        assert localstack.sign_in(email, "brand-new-password")["user"]["id"] == user_id
        with pytest.raises(Exception):  # noqa: B017 (the old password no longer signs in)
            localstack.sign_in(email, old_password)
    finally:
        ctx.close()


def test_password_change_checks_the_current_password(localstack) -> None:
    email, password, user_id = localstack.new_user("change")
    ctx = context_for(localstack, email=email, password=password)
    try:
        with pytest.raises(errors.AuthError, match="current password"):
            ctx.api.account.change_password("not-my-password", "another-password")
        with pytest.raises(errors.ValidationError, match="different"):
            ctx.api.account.change_password(password, password)
        with pytest.raises(errors.ValidationError):
            ctx.api.account.change_password(password, "short")
        ctx.api.account.change_password(password, "another-password")
        assert localstack.sign_in(email, "another-password")["user"]["id"] == user_id
        assert ctx.api.profile().id == user_id  # still signed in here
    finally:
        ctx.close()


def test_email_change_needs_the_codes_sent_to_both_addresses(localstack) -> None:
    email, password, user_id = localstack.new_user("mover")
    taken, _, _ = localstack.new_user("taken")
    new_email = f"moved-{uuid.uuid4().hex[:8]}@example.com"
    ctx = context_for(localstack, email=email, password=password)
    try:
        with pytest.raises(errors.ConflictError):
            ctx.api.account.request_email_change(taken)
        box = Mailbox(localstack)
        change = ctx.api.account.request_email_change(new_email)
        assert change.new_email == new_email and set(change.codes_sent_to) == {email, new_email}
        (to_new,) = box.wait_for(new_email, "Confirm Email Change")
        (to_old,) = box.wait_for(email, "Confirm Email Change")
        assert ctx.api.profile().email == email  # nothing changes before the codes
        with pytest.raises(errors.AuthError, match="wrong or has expired"):
            ctx.api.account.confirm_email_change(new_email, code_in(to_old))
        first = ctx.api.account.confirm_email_change(new_email, code_in(to_new))
        assert not first.done and ctx.api.profile().email == email
        second = ctx.api.account.confirm_email_change(email, code_in(to_old))
        assert second.done and second.email == new_email
        assert ctx.api.profile().email == new_email  # the profile follows (trigger)
        assert localstack.sign_in(new_email, password)["user"]["id"] == user_id
    finally:
        ctx.close()


def test_email_change_codes_can_be_sent_again_once_a_minute(localstack) -> None:
    import psycopg

    email, password, user_id = localstack.new_user("again")
    new_email = f"again-new-{uuid.uuid4().hex[:8]}@example.com"
    ctx = context_for(localstack, email=email, password=password)
    try:
        with pytest.raises(errors.NotFoundError):
            ctx.api.account.resend_email_change_codes()
        box = Mailbox(localstack)
        ctx.api.account.request_email_change(new_email)
        (first,) = box.wait_for(new_email, "Confirm Email Change")
        with pytest.raises(errors.ServiceRefusal):
            ctx.api.account.resend_email_change_codes()
        with psycopg.connect(localstack.database_url, autocommit=True) as conn:
            conn.execute("update auth.users set email_change_sent_at = now() - interval "
                         "'2 minutes' where id = %s", [user_id])
        again = ctx.api.account.resend_email_change_codes()
        assert set(again.codes_sent_to) == {email, new_email}
        to_new = box.wait_for(new_email, "Confirm Email Change", count=2)[-1]
        to_old = box.wait_for(email, "Confirm Email Change", count=2)[-1]
        if code_in(first) != code_in(to_new):  # the old code no longer works
            with pytest.raises(errors.AuthError):
                ctx.api.account.confirm_email_change(new_email, code_in(first))
        assert not ctx.api.account.confirm_email_change(new_email, code_in(to_new)).done
        assert ctx.api.account.confirm_email_change(email, code_in(to_old)).done
        assert ctx.api.profile().email == new_email
    finally:
        ctx.close()
