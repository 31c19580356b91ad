import json
import os
from pathlib import Path

import pytest

from wyntek_desktop.core.errors import ConfigError
from wyntek_desktop.core.settings import (
    Settings,
    apply_overrides,
    load_settings,
    resolve_settings,
    save_settings,
    validate_service_url,
)


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "settings.json")
    assert settings == Settings()
    assert settings.theme == "system" and not settings.configured and not settings.warnings


def test_round_trip_is_atomic_and_private(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "settings.json"
    original = Settings(supabase_url="https://x.example", anon_key="k", theme="dark")
    original = original.with_recent_file("/a.stl").with_recent_file("/b.stl")
    save_settings(path, original)
    assert load_settings(path) == original
    assert load_settings(path).recent_files == ("/b.stl", "/a.stl")
    assert [p.name for p in path.parent.iterdir()] == ["settings.json"]  # no temp left
    if os.name == "posix":
        assert path.stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", "\x00\xff"])
def test_corrupt_file_is_kept_aside_and_reported(tmp_path: Path, content: str) -> None:
    path = tmp_path / "settings.json"
    path.write_bytes(content.encode("latin-1"))
    settings = load_settings(path)
    assert settings.supabase_url is None
    assert len(settings.warnings) == 1 and "could not be read" in settings.warnings[0]
    assert (tmp_path / "settings.json.corrupt").read_bytes() == content.encode("latin-1")
    assert not path.exists()


def test_bad_values_are_dropped_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"supabase_url": "http://example.com", "theme": "neon",
                                "anon_key": "abc", "recent_files": "nope"}))
    settings = load_settings(path)
    assert settings.anon_key == "abc" and settings.supabase_url is None
    assert settings.theme == "system"
    text = " ".join(settings.warnings)
    assert "plain http://" in text and "Theme must be one of" in text and "Recent files" in text


@pytest.mark.parametrize("url", ["http://127.0.0.1:5432", "http://localhost:1", "http://[::1]:8"])
def test_plain_http_allowed_for_loopback_only(url: str) -> None:
    assert validate_service_url(url, "Backend URL") == url


@pytest.mark.parametrize("url", ["http://10.0.0.1", "http://example.com", "ftp://x", "x",
                                 "http://127.0.0.1.evil.com"])
def test_plain_http_refused_elsewhere(url: str) -> None:
    with pytest.raises(ConfigError, match="Backend URL"):
        validate_service_url(url, "Backend URL")


def test_precedence_file_then_env_then_flags(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    save_settings(path, Settings(supabase_url="https://file.example", anon_key="file-key"))
    env = {"WYNTEK_SUPABASE_URL": "https://env.example", "WYNTEK_SUPABASE_ANON_KEY": "env-key"}
    settings = resolve_settings(path, env, {"anon_key": "flag-key", "supabase_url": None})
    assert settings.supabase_url == "https://env.example"
    assert settings.anon_key == "flag-key"


def test_invalid_environment_value_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="CA bundle"):
        apply_overrides(Settings(), {"WYNTEK_CA_BUNDLE": str(tmp_path / "none.pem")}, {})
    with pytest.raises(ConfigError, match="Proxy"):
        apply_overrides(Settings(), {}, {"proxy": "not a url"})


def test_ca_bundle_must_hold_a_certificate(tmp_path: Path) -> None:
    bogus = tmp_path / "ca.pem"
    bogus.write_text("hello")
    with pytest.raises(ConfigError, match="no PEM certificate"):
        apply_overrides(Settings(), {}, {"ca_bundle": str(bogus)})


@pytest.mark.parametrize("value", ["alice:s3cret-pw@proxy.corp:3128",
                                   "http://alice:s3cret-pw@proxy.corp:port"])
def test_a_bad_proxy_setting_is_reported_without_its_password(value: str,
                                                              tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as refused:
        apply_overrides(Settings(), {}, {"proxy": value})
    assert "s3cret-pw" not in str(refused.value) and "proxy.corp" in str(refused.value)
    settings_file = tmp_path / "settings.json"
    settings_file.write_text(json.dumps({"proxy": value}), "utf-8")
    loaded = load_settings(settings_file)
    assert loaded.proxy is None and not any("s3cret-pw" in w for w in loaded.warnings)
