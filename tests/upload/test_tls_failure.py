"""A certificate the client does not trust is a failure to report, not a network outage:
the job fails once with the certificate sentence instead of waiting offline forever."""

from __future__ import annotations

from tests.support.uploads import FAST_RETRY, UploadEnv
from wyntek_desktop.api.http import make_http_client
from wyntek_desktop.core.settings import Settings
from wyntek_desktop.upload import UploadRunner


def test_an_untrusted_certificate_fails_the_job_and_is_not_offline(
        upload_env: UploadEnv) -> None:
    env = upload_env
    assert env.stack.url.startswith("https://")
    # straight to the stack over TLS, trusting only the system's authorities
    untrusting = Settings(supabase_url=env.stack.url, anon_key=env.stack.anon_key)
    runner = UploadRunner(env.outbox, lambda: make_http_client(untrusting),
                          env.api.access_token, env.api.submit_job,
                          lambda: env.session.user_id, f"{env.stack.url}/storage/v1",
                          env.stack.anon_key, events=env.events.append, retry=FAST_RETRY,
                          offline_delays=(0.05, 0.3), idle_poll=0.2)
    env.runners.append(runner)
    job = env.add_job(env.write("bracket.stl", 4096))
    result = runner.run_pending(wait=True, timeout=60)
    assert result is not None and result.failed == [job.client_job_id], result
    failed = env.outbox.get(job.client_job_id)
    assert failed.state == "failed" and failed.failure_kind == "tls"
    assert failed.failure is not None
    assert failed.failure.startswith("The server's certificate could not be verified")
    assert "offline" not in env.runner_states()
    assert env.jobs_for(job.client_job_id) == [] and env.debits() == []
