"""Small helpers to turn library failures into one-sentence ``FileError``s."""

from __future__ import annotations

from pathlib import Path

from wyntek_desktop.core.errors import FileError


def file_error(path: Path | str, what: str, *, hint: str | None = None) -> FileError:
    """``FileError`` whose message names the file: "<name>: <what>"."""
    return FileError(f"{Path(path).name}: {what}", hint=hint)


def check_size(path: Path, size: int, cap: int, label: str) -> None:
    if size > cap:
        raise file_error(
            path,
            f"the file is {size / 1024**2:,.0f} MB, more than the {cap / 1024**2:,.0f} MB "
            f"this app can open for a {label} file.",
            hint="Simplify or split the design before opening it.",
        )
