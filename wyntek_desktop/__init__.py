"""WYNTEK Desktop: prepare, check and submit digital-fabrication jobs."""

__version__ = "0.1.0"
APP_NAME = "wyntek-desktop"
APP_AUTHOR = "WYNTEK"
