"""What users write directly: display name and support messages."""

from __future__ import annotations

import psycopg
import pytest

from tests.localstack.dbworld import call


@pytest.mark.parametrize(("name", "stored"), [
    ("  Grace Hopper  ", "Grace Hopper"), ("   ", None), ("Zoë Ø", "Zoë Ø"), ("x" * 100, "x" * 100),
])
def test_display_name_is_trimmed(pg, make_actor, name, stored):
    user = make_actor("named")
    rows = call(pg, user, "update public.profiles set display_name = %s where id = %s "
                          "returning display_name", (name, user.uid))
    assert rows == [(stored,)]


@pytest.mark.parametrize(("name", "fragment"), [
    ("x" * 101, "100 characters"), ("two\nlines", "control characters"),
])
def test_bad_display_names_get_a_clear_refusal(pg, make_actor, name, fragment):
    user = make_actor("badname")
    with pytest.raises(psycopg.Error) as err:
        call(pg, user, "update public.profiles set display_name = %s where id = %s",
             (name, user.uid))
    assert err.value.sqlstate == "22023" and fragment in str(err.value)


def test_email_change_follows_into_the_profile(pg, make_actor):
    user = make_actor("mover")
    with pg.transaction():
        pg.execute("update auth.users set email = 'moved@example.test' where id = %s",
                   (user.uid,))
    assert call(pg, user, "select email from public.profiles") == [("moved@example.test",)]


@pytest.mark.parametrize(("subject", "body", "fragment"), [
    ("", "text", "subject"), ("   ", "text", "subject"), ("s" * 201, "text", "subject"),
    ("Subject", "  ", "message"), ("Subject", "b" * 5001, "message"),
])
def test_support_message_limits(pg, make_actor, subject, body, fragment):
    user = make_actor("writer")
    with pytest.raises(psycopg.Error) as err:
        call(pg, user, "insert into public.support_messages (subject, body) values (%s, %s)",
             (subject, body))
    assert err.value.sqlstate == "22023" and fragment in str(err.value)


def test_support_message_is_stored_open_for_the_sender(pg, make_actor):
    user = make_actor("asker")
    call(pg, user, "insert into public.support_messages (subject, body) "
                   "values ('  Shipping  ', 'Can you ship to Norway?')")
    assert call(pg, user, "select subject, status, user_id::text "
                          "from public.support_messages") == [("Shipping", "open", user.uid)]
    with pytest.raises(psycopg.Error) as err:
        call(pg, user, "insert into public.support_messages (subject, body, status) "
                       "values ('x', 'y', 'closed')")
    assert err.value.sqlstate == "42501"
