"""Reading zip archives (3MF, Gerber) without trusting their headers.

Every entry is decompressed in small blocks and counted as it streams: the number of
entries, the total size and each entry's compression ratio are capped, so a zip bomb
stops after at most ``ZIP_MAX_TOTAL_BYTES`` of work however it lies in its headers.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

from wyntek_desktop.design import limits
from wyntek_desktop.design._errors import check_size, file_error

_BLOCK = 256 * 1024


def read_members(path: Path, wanted: Callable[[str], bool] = lambda name: True,
                 label: str = "archive") -> dict[str, bytes]:
    """Contents of the wanted file entries (directories skipped), within the caps."""
    size = path.stat().st_size
    if size == 0:
        raise file_error(path, f"the {label} is empty (0 bytes).")
    check_size(path, size, limits.MAX_ARCHIVE_BYTES, label)
    try:
        archive = zipfile.ZipFile(path)
    except NotImplementedError:
        raise file_error(path, f"the {label} uses a zip feature this app cannot read.") from None
    except Exception:  # zipfile raises several kinds on damaged central directories
        raise file_error(path, f"the {label} is not a valid zip file.") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.ZIP_MAX_ENTRIES:
            raise file_error(path, f"the {label} has {len(infos):,} entries, more than the "
                             f"{limits.ZIP_MAX_ENTRIES:,} allowed.")
        budget = [limits.ZIP_MAX_TOTAL_BYTES]
        out: dict[str, bytes] = {}
        for info in infos:
            if info.is_dir() or not wanted(info.filename):
                continue
            out[info.filename] = _read_entry(path, archive, info, budget, label)
        return out


def _read_entry(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo,
                budget: list[int], label: str) -> bytes:
    chunks: list[bytes] = []
    total = 0
    compressed = max(info.compress_size, 1)
    try:
        with archive.open(info) as stream:
            while block := stream.read(_BLOCK):
                total += len(block)
                budget[0] -= len(block)
                if budget[0] < 0:
                    raise file_error(path, f"the {label} unpacks to more than "
                                     f"{limits.ZIP_MAX_TOTAL_BYTES / 1024**2:,.0f} MB; it "
                                     "looks like a zip bomb.")
                if total > limits.ZIP_RATIO_FLOOR and total / compressed > limits.ZIP_MAX_RATIO:
                    raise file_error(path, f"the entry {info.filename!r} expands more than "
                                     f"{limits.ZIP_MAX_RATIO:.0f} times; it looks like a "
                                     "zip bomb.")
                chunks.append(block)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError,
            NotImplementedError, RuntimeError):
        raise file_error(path, f"the entry {info.filename!r} in the {label} is damaged or "
                         "uses an unsupported compression or encryption.") from None
    return b"".join(chunks)
