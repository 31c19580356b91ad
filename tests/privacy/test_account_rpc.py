"""Deletion request with its date and cancellation, preferences (the right to object),
the export preview and policy notices, through the account API on the real stack."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from tests.api.support import context_for
from tests.privacy.support import Mailbox
from wyntek_desktop.core import errors


@pytest.fixture
def account(localstack):
    email, password, user_id = localstack.new_user("privacy")
    ctx = context_for(localstack, email=email, password=password)
    yield ctx, email, user_id
    ctx.close()


def test_deletion_request_shows_its_date_and_is_cancelled_by_its_owner(localstack,
                                                                       account) -> None:
    ctx, email, _ = account
    assert ctx.api.account.deletion_request() is None
    with pytest.raises(errors.NotFoundError):
        ctx.api.account.cancel_deletion()
    box = Mailbox(localstack)
    request = ctx.api.account.request_deletion()
    assert request.status == "pending" and request.can_cancel
    assert request.scheduled_for is not None and request.requested_at is not None
    assert request.scheduled_for - request.requested_at == timedelta(days=7)
    (scheduled,) = box.wait_for(email, "request to delete")
    assert request.scheduled_for.strftime("%Y-%m-%d") in scheduled["text"]
    assert ctx.api.account.request_deletion() == request  # idempotent
    cancelled = ctx.api.account.cancel_deletion()
    assert cancelled.status == "cancelled" and not cancelled.can_cancel
    assert ctx.api.account.cancel_deletion() == cancelled  # repeating changes nothing
    assert len(box.wait_for(email, "will not be deleted")) == 1
    assert ctx.api.account.deletion_request() == cancelled


def test_a_deletion_already_running_cannot_be_cancelled(localstack, account) -> None:
    ctx, _, user_id = account
    ctx.api.account.request_deletion()
    with psycopg.connect(localstack.database_url, autocommit=True) as conn:
        conn.execute("update public.account_deletion_requests set status = 'processing' "
                     "where user_id = %s", [user_id])
    with pytest.raises(errors.ConflictError, match="already being deleted"):
        ctx.api.account.cancel_deletion()
    with psycopg.connect(localstack.database_url, autocommit=True) as conn:
        conn.execute("update public.account_deletion_requests set status = 'cancelled' "
                     "where user_id = %s", [user_id])


def test_objecting_to_processing_stops_job_updates(account) -> None:
    ctx, _, _ = account
    prefs = ctx.api.account.privacy_preferences()
    assert prefs.email_job_updates and not prefs.processing_objection
    prefs = ctx.api.account.set_privacy_preferences(processing_objection=True)
    assert prefs.processing_objection and not prefs.email_job_updates
    assert prefs.objected_at is not None
    with pytest.raises(errors.ValidationError, match="objection"):
        ctx.api.account.set_privacy_preferences(email_job_updates=True)
    prefs = ctx.api.account.set_privacy_preferences(processing_objection=False)
    assert not prefs.processing_objection and prefs.objected_at is None
    assert ctx.api.account.set_privacy_preferences(email_job_updates=True).email_job_updates
    assert ctx.api.profile().email_job_updates


def test_export_preview_counts_what_the_export_holds(account, tmp_path) -> None:
    ctx, _, _ = account
    ctx.api.create_support_message("Question", "Where is my part?")
    preview = ctx.api.account.export_preview()
    assert preview.sections["profile"] == 1 and preview.sections["support_messages"] == 1
    assert {"jobs", "job_events", "files", "ledger", "purchases",
            "policy_acknowledgements"} <= set(preview.sections)
    exported = ctx.api.export_my_data(tmp_path / "export.json")
    assert exported.jobs == preview.sections["jobs"]


def test_a_new_policy_version_is_shown_once(localstack, account) -> None:
    ctx, _, _ = account
    assert ctx.api.account.pending_policy() is None  # nothing newer than the account
    version = f"test-{uuid.uuid4().hex[:8]}"
    with psycopg.connect(localstack.database_url, autocommit=True) as conn:
        conn.execute("insert into public.policy_versions (version, published_at, summary) "
                     "values (%s, %s, 'Files of cancelled jobs are now removed after 30 days.')",
                     [version, datetime.now(UTC) + timedelta(seconds=1)])
    try:
        deadline = datetime.now(UTC) + timedelta(seconds=10)
        pending = None
        while pending is None and datetime.now(UTC) < deadline:
            pending = ctx.api.account.pending_policy()
        assert pending is not None and pending.version == version
        assert "cancelled jobs" in pending.summary
        assert ctx.api.account.acknowledge_policy(version) is True
        assert ctx.api.account.acknowledge_policy(version) is False  # recorded once
        assert ctx.api.account.pending_policy() is None
        with pytest.raises(errors.NotFoundError):
            ctx.api.account.acknowledge_policy("no-such-version")
        assert ctx.api.account.export_preview().sections["policy_acknowledgements"] == 1
    finally:
        with psycopg.connect(localstack.database_url, autocommit=True) as conn:
            conn.execute("delete from public.policy_versions where version = %s", [version])
