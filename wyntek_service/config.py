"""Where the service finds Supabase and its queue: flags first, then the environment."""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass

ENV_URL = "SUPABASE_URL"
ENV_KEY = "SUPABASE_SERVICE_ROLE_KEY"
ENV_DATABASE = "DATABASE_URL"
ENV_CA_FILE = "WYNTEK_SERVICE_CA_FILE"


class ConfigError(ValueError):
    """A setting is missing or unusable; the message names the flag and variable."""


@dataclass(frozen=True)
class ServiceConfig:
    supabase_url: str
    service_role_key: str
    database_url: str
    #: An extra certificate to trust (a local stack's own certificate or test CA); TLS
    #: verification itself always stays on.
    ca_file: str | None = None

    @classmethod
    def resolve(cls, supabase_url: str | None = None, service_role_key: str | None = None,
                database_url: str | None = None, ca_file: str | None = None,
                *, need_database: bool = True) -> ServiceConfig:
        url = supabase_url or os.environ.get(ENV_URL, "")
        key = service_role_key or os.environ.get(ENV_KEY, "")
        dsn = database_url or os.environ.get(ENV_DATABASE, "")
        missing = [f"--{flag} (or {env})" for flag, env, value in (
            ("supabase-url", ENV_URL, url), ("service-role-key", ENV_KEY, key),
            ("database-url", ENV_DATABASE, dsn if need_database else "x")) if not value]
        if missing:
            raise ConfigError("The service needs " + ", ".join(missing) + ".")
        if not url.startswith(("https://", "http://127.", "http://localhost", "http://[::1]")):
            raise ConfigError(f"{ENV_URL} must be an https:// address (got {url!r}).")
        return cls(url.rstrip("/"), key, dsn, ca_file or os.environ.get(ENV_CA_FILE) or None)

    def ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if self.ca_file:
            context.load_verify_locations(cafile=self.ca_file)
            # A server certificate given as the trust anchor is enough (pinning it).
            context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
        return context
