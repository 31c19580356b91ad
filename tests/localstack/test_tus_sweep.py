"""The expiry sweep must not remove an upload another request is creating."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from wyntek_localstack.storage.uploads import ABANDONED_AFTER_SECONDS, Uploads


def test_sweep_keeps_a_folder_being_created_and_removes_abandoned_and_expired(
        tmp_path: Path) -> None:
    uploads = Uploads(tmp_path)
    fresh = uploads.folder("fresh")
    fresh.mkdir()  # created a moment ago, info.json not written yet
    abandoned = uploads.folder("abandoned")
    abandoned.mkdir()
    old = time.time() - ABANDONED_AFTER_SECONDS - 5
    os.utime(abandoned, (old, old))
    expired = uploads.folder("expired")
    expired.mkdir()
    (expired / "info.json").write_text(json.dumps({"expires_at": time.time() - 1}))
    live = uploads.folder("live")
    live.mkdir()
    (live / "info.json").write_text(json.dumps({"expires_at": time.time() + 60}))

    uploads.sweep_expired()

    assert fresh.exists() and live.exists()
    assert not abandoned.exists() and not expired.exists()
