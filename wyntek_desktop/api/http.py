"""The one place where HTTP clients are configured: trust, proxy, timeouts.

TLS verification is never turned off. A configured CA bundle is trusted in addition to
the system store and certifi's store, so an organisation's own CA works without
breaking public endpoints.
"""

from __future__ import annotations

import os
import ssl
from functools import lru_cache

import httpx

from wyntek_desktop import __version__
from wyntek_desktop.core.errors import ConfigError
from wyntek_desktop.core.settings import Settings

TIMEOUT = httpx.Timeout(connect=10.0, read=60.0, write=60.0, pool=10.0)
USER_AGENT = f"wyntek-desktop/{__version__}"


@lru_cache(maxsize=8)
def _ssl_context(ca_bundle: str | None, _version: tuple[int, int] | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context()  # system store, CERT_REQUIRED, hostname check
    try:
        import certifi

        context.load_verify_locations(cafile=certifi.where())
    except (ImportError, OSError):  # the system store is enough without certifi
        pass
    if ca_bundle:
        try:
            context.load_verify_locations(cafile=ca_bundle)
        except (ssl.SSLError, OSError) as exc:
            reason = ("its certificates cannot be read" if isinstance(exc, ssl.SSLError)
                      else exc.strerror or "it cannot be read")
            raise ConfigError(f"The CA bundle {ca_bundle!r} cannot be used ({reason}).",
                              hint="Set a PEM file of certificates in Settings → CA bundle "
                                   "or WYNTEK_CA_BUNDLE.") from None
    return context


def ssl_context(settings: Settings) -> ssl.SSLContext:
    # The bundle's size and time are part of the cache key: a bundle replaced in place
    # (a renewed organisation CA) is read again without restarting the app.
    version = None
    if settings.ca_bundle:
        try:
            stat = os.stat(settings.ca_bundle)
            version = (stat.st_mtime_ns, stat.st_size)
        except OSError:
            pass
    return _ssl_context(settings.ca_bundle, version)


def make_http_client(settings: Settings, *, timeout: httpx.Timeout = TIMEOUT) -> httpx.Client:
    """An ``httpx.Client`` that honours the CA bundle and proxy settings.

    Without an explicit proxy setting, ``HTTPS_PROXY``/``NO_PROXY`` from the environment
    apply (httpx ``trust_env``).
    """
    return httpx.Client(
        verify=ssl_context(settings),
        proxy=settings.proxy or None,
        trust_env=True,
        timeout=timeout,
        follow_redirects=True,
        headers={"User-Agent": USER_AGENT},
    )
