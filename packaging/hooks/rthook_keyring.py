# Runtime hook (runs before the app's code in the frozen executables).
#
# keyring finds its backends through package entry points, which PyInstaller does not
# reproduce reliably: a frozen app could silently end up with no keyring. Select the
# platform's OS keyring explicitly instead, exactly as discovery does from source: the
# backend if it can work on this machine, else keyring's "fail" backend. With the latter
# the app's probe (wyntek_desktop.api.keyring_storage.keyring_problem) keeps the session
# in memory and tells the user why. Both ways the same entries (service
# "wyntek-desktop") are read and written as by the app run from source.
#
# An explicit PYTHON_KEYRING_BACKEND wins, as it does in keyring itself. Keep the table
# equal to wyntek_desktop.distribution.selftest.PLATFORM_KEYRINGS (a test checks).
import os
import sys

_PLATFORM_KEYRINGS = {
    "linux": "keyring.backends.SecretService.Keyring",
    "win32": "keyring.backends.Windows.WinVaultKeyring",
    "darwin": "keyring.backends.macOS.Keyring",
}


def _select_keyring() -> None:
    if os.environ.get("PYTHON_KEYRING_BACKEND"):
        return
    import importlib

    import keyring
    from keyring.backends import fail

    key = "linux" if sys.platform.startswith("linux") else sys.platform
    chosen = fail.Keyring()
    name = _PLATFORM_KEYRINGS.get(key)
    if key == "linux" and not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        # No session bus, no Secret Service (its own check says the same); skip importing
        # it and its crypto, which headless runs (CI pipelines) would only pay for.
        name = None
    if name:
        module_name, _, class_name = name.rpartition(".")
        try:
            candidate = getattr(importlib.import_module(module_name), class_name)()
            candidate.priority  # noqa: B018 - raises when the backend cannot work here
            chosen = candidate
        except Exception:  # noqa: S110 - any failure means: no usable OS keyring here
            pass
    keyring.set_keyring(chosen)


_select_keyring()
