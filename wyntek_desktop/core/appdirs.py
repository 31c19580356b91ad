"""Where the app keeps its files: one small value object, resolved once.

platformdirs honours XDG_* variables on Linux, which is how the tests isolate each run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import platformdirs

from wyntek_desktop import APP_NAME

THUMBNAIL_SUFFIX = ".png"


@dataclass(frozen=True)
class AppDirs:
    config: Path
    data: Path
    cache: Path
    log: Path

    @classmethod
    def default(cls) -> AppDirs:
        return cls(
            config=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
            data=Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
            cache=Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)),
            log=Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
        )

    @property
    def settings_file(self) -> Path:
        return self.config / "settings.json"

    @property
    def catalogue_file(self) -> Path:
        return self.cache / "materials.json"

    @property
    def thumbnails(self) -> Path:
        return self.cache / "thumbnails"

    def thumbnail_file(self, sha256: str) -> Path:
        """The picture of a design file, named by its full SHA-256: the CLI writes it,
        the window writes and shows it."""
        return self.thumbnails / f"{sha256}{THUMBNAIL_SUFFIX}"

    @property
    def localstack_data(self) -> Path:
        return self.data / "localstack"
