"""An embedded, Supabase-compatible backend (Auth, PostgREST, Storage with TUS) on loopback.

Command line (SPEC §3)::

    python -m wyntek_localstack serve [--host 127.0.0.1] [--port 0] [--data-dir DIR]
        [--tls-cert FILE --tls-key FILE] [--demo] [--jwt-expiry S] [--tus-expiry S]
        [--max-file-size-mib 50]

prints one JSON line when ready (`url`, `anon_key`, `service_role_key`, `data_dir`, and
`demo_password` with `--demo`) and stops cleanly on SIGINT/SIGTERM.

In-process::

    from wyntek_localstack.server import LocalStack
    stack = LocalStack(data_dir, demo=True)      # data_dir=None: a temp dir, removed by stop()
    info = stack.start()                          # ServeInfo(url, anon_key, ...)
    ...
    stack.stop()

Layout, by the service each package emulates: `gotrue/` (Auth: signup, token, user,
admin, verify, recover), `postgrest/` (grammar, SQL generation, handlers), `storage/`
(objects, signed URLs, TUS, blobs on disk). Shared: `server` (lifecycle), `app` (the one
list of mounted services), `service` (what a service exposes), `context` (settings, keys,
pool, typed per-service state), `pg` (one transaction per request as the caller),
`keys` + `hs256` (JWTs), `database` + `sql/` (Postgres and its hosted-like bootstrap).
"""
