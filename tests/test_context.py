"""The composition root's outbox and runner recipe (no network: nothing here connects)."""

from pathlib import Path

from wyntek_desktop.context import AppContext, open_outbox
from wyntek_desktop.core.appdirs import AppDirs
from wyntek_desktop.core.outbox import DRAFT, FileInput
from wyntek_desktop.core.settings import Settings
from wyntek_desktop.upload.events import JobStateChanged

SETTINGS = Settings(supabase_url="https://127.0.0.1:1", anon_key="anon-key-for-tests")


def test_make_runner_uses_the_given_outbox_and_reports_to_upload_events(tmp_path: Path) -> None:
    dirs = AppDirs.default()
    ctx = AppContext.build(SETTINGS, dirs=dirs)
    own = open_outbox(dirs)
    try:
        part = tmp_path / "part.stl"
        part.write_bytes(b"solid x\nendsolid x\n")
        job = own.add_job({"material": "PLA", "quantity": 1}, [FileInput(part, "model")],
                          queue=False)
        seen: list[object] = []
        ctx.upload_events.append(seen.append)
        runner = ctx.make_runner(own)
        assert runner.outbox is own
        runner.pause(job.client_job_id)
        assert [(type(e), e.client_job_id, e.state) for e in seen] == [  # type: ignore[attr-defined]
            (JobStateChanged, job.client_job_id, DRAFT)]
        runner.stop()
        assert ctx.runner.outbox is ctx.outbox
        assert ctx.outbox is not own and ctx.outbox.path == own.path
    finally:
        ctx.close()
        own.close()
