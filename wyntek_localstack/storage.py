"""Storage (`/storage/v1`)."""
routes: list = []
