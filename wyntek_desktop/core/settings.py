"""User settings: a JSON file in the config folder, then environment, then flags.

Only the file layer is ever saved; environment values and flags apply to one run.
A damaged file never stops the app: it is kept as ``settings.json.corrupt``, reported
in ``Settings.warnings`` and replaced by defaults.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from wyntek_desktop.core.errors import ConfigError
from wyntek_desktop.core.paths import atomic_write_text

log = logging.getLogger(__name__)

THEMES = ("system", "light", "dark")
MAX_RECENT = 10
DEFAULT_CHECKOUT_URL = "https://wyntek.app/tokens"
STORED_FIELDS = ("supabase_url", "anon_key", "ca_bundle", "proxy", "checkout_url", "theme",
                 "recent_files")
ENV_VARS = {
    "supabase_url": "WYNTEK_SUPABASE_URL",
    "anon_key": "WYNTEK_SUPABASE_ANON_KEY",
    "ca_bundle": "WYNTEK_CA_BUNDLE",
    "proxy": "WYNTEK_PROXY",
    "checkout_url": "WYNTEK_CHECKOUT_URL",
}
LABELS = {
    "supabase_url": "Backend URL",
    "anon_key": "Anon key",
    "ca_bundle": "CA bundle",
    "proxy": "Proxy",
    "checkout_url": "Web checkout URL",
    "theme": "Theme",
    "recent_files": "Recent files",
}


@dataclass(frozen=True)
class Settings:
    supabase_url: str | None = None
    anon_key: str | None = None
    ca_bundle: str | None = None
    proxy: str | None = None
    checkout_url: str = DEFAULT_CHECKOUT_URL
    theme: str = "system"
    recent_files: tuple[str, ...] = ()
    # Problems met while loading, for the caller to show (never saved).
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @property
    def configured(self) -> bool:
        return bool(self.supabase_url and self.anon_key)

    def with_recent_file(self, path: str) -> Settings:
        recent = [path, *(p for p in self.recent_files if p != path)][:MAX_RECENT]
        return replace(self, recent_files=tuple(recent))

    def to_file_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["recent_files"] = list(self.recent_files)
        return {name: data[name] for name in STORED_FIELDS}


# --- validation -------------------------------------------------------------------------

def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def validate_service_url(value: str, label: str) -> str:
    value = value.strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigError(f"{label} must be a full https:// address, not {value!r}.")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ConfigError(
            f"{label} {value!r} uses plain http://; only https:// is allowed "
            "(plain http:// is accepted for 127.0.0.1, ::1 and localhost only).")
    return value


def _without_credentials(value: str) -> str:
    """The proxy value fit to show or log: anything before an '@' is hidden."""
    head, at, tail = value.rpartition("@")
    if not at:
        return value
    scheme, sep, _ = head.partition("://")
    return f"{scheme}://***@{tail}" if sep else f"***@{tail}"


def _validate_proxy(value: str) -> str:
    value = value.strip()
    try:
        parts = urlsplit(value)
        ok = parts.scheme in ("http", "https", "socks5", "socks5h") and bool(parts.hostname)
        if ok:
            parts.port  # noqa: B018 - raises for a port that is not a number
    except ValueError:
        ok = False
    if not ok:
        raise ConfigError(f"Proxy must look like http://host:port, "
                          f"not {_without_credentials(value)!r}.")
    return value


def _validate_ca_bundle(value: str) -> str:
    path = Path(value).expanduser()
    if not path.is_file():
        raise ConfigError(f"CA bundle {str(path)!r} does not exist or is not a file.")
    try:
        text = path.read_text("ascii", errors="replace")
    except OSError as exc:
        raise ConfigError(f"CA bundle {str(path)!r} cannot be read: {exc.strerror}.") from exc
    if "BEGIN CERTIFICATE" not in text:
        raise ConfigError(f"CA bundle {str(path)!r} contains no PEM certificate.")
    return str(path)


def _validate_field(name: str, value: Any) -> Any:
    label = LABELS[name]
    if name == "recent_files":
        if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
            raise ConfigError(f"{label} must be a list of file paths.")
        return tuple(value[:MAX_RECENT])
    if value is None and name in ("supabase_url", "anon_key", "ca_bundle", "proxy"):
        return None
    if not isinstance(value, str):
        raise ConfigError(f"{label} must be text, not {type(value).__name__}.")
    if name in ("supabase_url", "checkout_url"):
        return validate_service_url(value, label)
    if name == "anon_key":
        if not value.strip():
            raise ConfigError("Anon key must not be empty.")
        return value.strip()
    if name == "ca_bundle":
        return _validate_ca_bundle(value)
    if name == "proxy":
        return _validate_proxy(value)
    if name == "theme":
        if value not in THEMES:
            raise ConfigError(f"Theme must be one of {', '.join(THEMES)}, not {value!r}.")
        return value
    raise ConfigError(f"Unknown setting {name!r}.")  # pragma: no cover - guarded by callers


# --- loading and saving -------------------------------------------------------------------

def load_settings(path: Path) -> Settings:
    """Read the settings file; never raises for a bad file (see module docstring)."""
    if not path.exists():
        return Settings()
    try:
        raw = json.loads(path.read_text("utf-8"))
        if not isinstance(raw, dict):
            raise ValueError("the file does not hold a JSON object")
    except (OSError, ValueError) as exc:
        return _replace_corrupt(path, str(exc))
    values: dict[str, Any] = {}
    warnings: list[str] = []
    for name in STORED_FIELDS:
        if name not in raw:
            continue
        try:
            values[name] = _validate_field(name, raw[name])
        except ConfigError as exc:
            warnings.append(f"Ignored a setting in {path}: {exc.message}")
    for warning in warnings:
        log.warning("%s", warning)
    return Settings(**values, warnings=tuple(warnings))


def _replace_corrupt(path: Path, reason: str) -> Settings:
    backup = path.with_name(path.name + ".corrupt")
    with contextlib.suppress(OSError):
        os.replace(path, backup)
    message = (f"The settings file {path} could not be read ({reason}); defaults are used "
               f"and the old file was kept as {backup.name}.")
    log.warning("%s", message)
    return Settings(warnings=(message,))


def save_settings(path: Path, settings: Settings) -> None:
    text = json.dumps(settings.to_file_dict(), indent=2, sort_keys=True)
    atomic_write_text(path, text + "\n")


def apply_overrides(settings: Settings, env: Mapping[str, str],
                    flags: Mapping[str, str | None]) -> Settings:
    """Environment over file, flags over environment. Bad values here are errors."""
    values: dict[str, Any] = {}
    for name, var in ENV_VARS.items():
        if env.get(var):
            values[name] = _validate_field(name, env[var])
    for name, value in flags.items():
        if value is not None:
            values[name] = _validate_field(name, value)
    return replace(settings, **values)


def resolve_settings(path: Path, env: Mapping[str, str] | None = None,
                     flags: Mapping[str, str | None] | None = None) -> Settings:
    env = os.environ if env is None else env
    return apply_overrides(load_settings(path), env, flags or {})
