"""Support messages carry a topic; a warranty report is linked to one of the sender's jobs."""

from __future__ import annotations

import pytest

from wyntek_desktop.core import errors


def test_report_a_problem_is_a_warranty_message_on_an_own_job(accounts, assigned_job):
    ops = accounts["customer"].ctx.api.operations
    message = ops.report_problem(assigned_job["id"], "Cracked part", "One arrived cracked.")
    assert (message.topic, message.job_id) == ("warranty", assigned_job["id"])
    assert ops.send_support_message("Invoice", "Please send one.", topic="billing").topic \
        == "billing"
    with pytest.raises(errors.ValidationError, match="about one of your jobs"):
        ops.send_support_message("Broken", "Which job?", topic="warranty")
    with pytest.raises(errors.ValidationError, match="topic must be one of"):
        ops.send_support_message("Hi", "Hello", topic="gossip")
    # another account cannot attach a message to this job
    with pytest.raises(errors.NotFoundError):
        accounts["stranger"].ctx.api.operations.report_problem(assigned_job["id"], "x", "y")
