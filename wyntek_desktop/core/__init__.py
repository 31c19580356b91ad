"""The pure foundations: models, settings, errors, pricing, paths and the outbox (no network,
no Qt, no service client)."""
