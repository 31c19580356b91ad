"""What Storage keeps in memory: per-name locks and the TUS upload registry."""

from __future__ import annotations

from ..context import Settings
from .blobs import NameLocks
from .uploads import Uploads


class StorageState:
    def __init__(self, settings: Settings) -> None:
        self.name_locks = NameLocks()
        self.uploads = Uploads(settings.data_dir)
