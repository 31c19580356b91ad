"""Verification outcomes in the database: prices settle once, through the ledger, and every
step leaves a job_events row (the worker that measures is tested in tests/service)."""

from __future__ import annotations

import psycopg
import pytest

from tests.localstack.dbworld import (
    SERVICE,
    balance,
    call,
    grant,
    ledger_sum,
    spec,
    upload_and_submit,
    verify,
)


def job_row(pg, actor, job_id):
    return call(pg, actor, "select to_jsonb(j) from public.jobs j where id = %s", (job_id,))[0][0]


def events(pg, actor, job_id):
    return call(pg, actor, "select status, verification, actor from public.job_events "
                           "where job_id = %s order by id", (job_id,))


def test_honest_job_passes_and_can_then_be_reviewed(pg, make_actor):
    owner = make_actor("honest")
    grant(pg, owner.uid, 500)
    job = upload_and_submit(pg, owner)
    assert job["verification"] == "pending" and job["quoted_cost"] == job["token_cost"]
    with pytest.raises(psycopg.Error) as err:
        call(pg, SERVICE, "update public.jobs set status = 'reviewing' where id = %s",
             (job["id"],))
    assert err.value.sqlstate == "PT409" and "being verified" in str(err.value)
    done = verify(pg, job)
    assert done["verification"] == "passed" and done["token_cost"] == job["token_cost"]
    assert "Verified" in done["verification_note"]
    again = verify(pg, job, volume_cm3=9999)  # a second outcome changes nothing
    assert again["verification"] == "passed" and again["token_cost"] == job["token_cost"]
    call(pg, SERVICE, "update public.jobs set status = 'reviewing' where id = %s", (job["id"],))
    assert events(pg, owner, job["id"]) == [
        ("submitted", None, "customer"), ("submitted", "passed", "service"),
        ("reviewing", None, "service")]
    assert balance(pg, owner.uid) == 500 - job["token_cost"] == ledger_sum(pg, owner.uid)


def test_under_declared_volume_is_charged_the_measured_price(pg, make_actor):
    owner = make_actor("sly")
    grant(pg, owner.uid, 500)
    job = upload_and_submit(pg, owner, job_spec=spec(volume_cm3=0))
    done = verify(pg, job, volume_cm3=12.5)
    assert done["verification"] == "adjusted"
    assert done["quoted_cost"] == job["token_cost"] < done["token_cost"]
    assert balance(pg, owner.uid) == 500 - done["token_cost"] == ledger_sum(pg, owner.uid)
    lines = call(pg, owner, "select reason, delta from public.token_ledger where job_id = %s "
                            "order by id", (job["id"],))
    assert lines == [("job", -job["token_cost"]),
                     ("adjustment", job["token_cost"] - done["token_cost"])]


def test_over_declared_volume_is_refunded_the_difference(pg, make_actor):
    owner = make_actor("generous")
    grant(pg, owner.uid, 500)
    job = upload_and_submit(pg, owner, job_spec=spec(volume_cm3=100))
    done = verify(pg, job, volume_cm3=12.5)
    assert done["verification"] == "adjusted" and done["token_cost"] < job["token_cost"]
    assert "refunded" in done["verification_note"]
    assert balance(pg, owner.uid) == 500 - done["token_cost"] == ledger_sum(pg, owner.uid)


def test_needs_tokens_waits_then_confirm_or_cancel(pg, make_actor):
    owner = make_actor("short")
    grant(pg, owner.uid, 60)
    job = upload_and_submit(pg, owner, job_spec=spec(volume_cm3=0))  # 15 + 1 per part
    done = verify(pg, job, volume_cm3=200)
    assert done["verification"] == "needs_tokens"
    assert balance(pg, owner.uid) == 60 - job["token_cost"] == ledger_sum(pg, owner.uid)
    missing = done["token_cost"] - 60
    assert f"Add {missing} tokens" in done["verification_note"]
    with pytest.raises(psycopg.Error) as err:
        call(pg, owner, "select public.confirm_job_price(%s)", (job["id"],))
    assert err.value.sqlstate == "PT402" and "Insufficient balance" in str(err.value)
    with pytest.raises(psycopg.Error) as err:
        call(pg, SERVICE, "update public.jobs set status = 'reviewing' where id = %s",
             (job["id"],))
    assert err.value.sqlstate == "PT409"
    grant(pg, owner.uid, missing)
    confirmed = call(pg, owner, "select public.confirm_job_price(%s)", (job["id"],))[0][0]
    assert confirmed["verification"] == "adjusted"
    assert balance(pg, owner.uid) == 0 == ledger_sum(pg, owner.uid)
    # Cancelling refunds everything that was debited, adjustment included.
    call(pg, owner, "select public.cancel_job(%s)", (job["id"],))
    assert balance(pg, owner.uid) == 60 + missing == ledger_sum(pg, owner.uid)


def test_failed_verification_rejects_and_refunds(pg, make_actor):
    owner = make_actor("tampered")
    grant(pg, owner.uid, 500)
    job = upload_and_submit(pg, owner)
    note = "part.stl changed after it was priced: its SHA-256 differs from the declared one."
    done = call(pg, SERVICE, "select public.record_verification(%s, null, null, null, %s)",
                (job["id"], note))[0][0]
    assert (done["status"], done["verification"], done["verification_note"]) == \
        ("rejected", "failed", note)
    assert balance(pg, owner.uid) == 500 == ledger_sum(pg, owner.uid)
    assert events(pg, owner, job["id"])[-1] == ("rejected", "failed", "service")


def test_only_the_service_records_and_nobody_edits_the_outcome(pg, make_actor):
    owner = make_actor("forger")
    grant(pg, owner.uid, 500)
    job = upload_and_submit(pg, owner)
    with pytest.raises(psycopg.Error) as err:
        call(pg, owner, "select public.record_verification(%s, 1, null, null, null)",
             (job["id"],))
    assert err.value.sqlstate == "42501"
    with pytest.raises(psycopg.Error) as err:
        call(pg, SERVICE, "update public.jobs set verification = 'passed', token_cost = 0 "
                          "where id = %s", (job["id"],))
    assert err.value.sqlstate == "22023"
    assert job_row(pg, owner, job["id"])["verification"] == "pending"


def test_zero_byte_files_are_refused(pg, make_actor):
    owner = make_actor("empty")
    grant(pg, owner.uid, 500)
    with pytest.raises(psycopg.Error) as err:
        upload_and_submit(pg, owner, data=b"")
    assert err.value.sqlstate == "22023" and "empty (0 bytes)" in str(err.value)
    assert balance(pg, owner.uid) == 500


def test_at_most_100_submissions_per_hour(pg, make_actor):
    busy, earlier = make_actor("busy"), make_actor("earlier")
    for actor, age in ((busy, "50 minutes"), (earlier, "70 minutes")):
        grant(pg, actor.uid, 500)
        with pg.transaction():
            pg.execute("""insert into public.jobs (user_id, client_job_id, process, material_id,
                                                   quantity, tolerance_mm, volume_cm3,
                                                   token_cost, spec, created_at)
                          select %s, gen_random_uuid(), 'fdm', 'fdm-pla', 1, 0.2, 1, 0, '{}',
                                 now() - %s::interval
                            from generate_series(1, 100)""", (actor.uid, age))
    with pytest.raises(psycopg.Error) as err:
        upload_and_submit(pg, busy)
    assert err.value.sqlstate == "PT409" and "100 jobs in the last hour" in str(err.value)
    assert balance(pg, busy.uid) == 500
    assert upload_and_submit(pg, earlier)["status"] == "submitted"
