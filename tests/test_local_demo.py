"""The demo password is shown to the user once, by whichever program starts the demo."""

from __future__ import annotations

from pathlib import Path

from wyntek_desktop.local_demo import LocalBackend, take_demo_announcement


def test_the_demo_password_is_announced_once(tmp_path: Path) -> None:
    backend = LocalBackend(url="https://127.0.0.1:1", anon_key="anon", data_dir=tmp_path,
                           demo_password="s3cret-demo", stop=lambda: None)
    first = take_demo_announcement(backend)
    assert first is not None and "s3cret-demo" in first and "demo@wyntek.local" in first
    assert str(tmp_path / "demo.json") in first
    assert take_demo_announcement(backend) is None
