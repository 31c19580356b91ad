"""What Storage keeps in memory: per-name locks, the TUS upload registry and the
files being sent."""

from __future__ import annotations

from ..context import Settings
from .blobs import NameLocks, Readers
from .uploads import Uploads


class StorageState:
    def __init__(self, settings: Settings) -> None:
        self.name_locks = NameLocks()
        self.uploads = Uploads(settings.data_dir)
        self.readers = Readers()
