"""`python -m wyntek_localstack serve ...`: run the local stack until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

DEFAULT_MAX_FILE_SIZE_MIB = 50


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m wyntek_localstack",
                                     description="Embedded Supabase-compatible backend.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the stack; prints one JSON line when ready")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=0)
    serve.add_argument("--data-dir", type=Path, default=None,
                       help="keep data here across restarts (default: a temporary folder)")
    serve.add_argument("--tls-cert", type=Path, default=None)
    serve.add_argument("--tls-key", type=Path, default=None)
    serve.add_argument("--demo", action="store_true",
                       help="create demo@wyntek.local with 500 tokens")
    serve.add_argument("--jwt-expiry", type=int, default=3600, metavar="SECONDS")
    serve.add_argument("--tus-expiry", type=int, default=86400, metavar="SECONDS")
    serve.add_argument("--refresh-reuse-interval", type=int, default=10, metavar="SECONDS",
                       help="how long a rotated refresh token may be replayed (GoTrue: 10)")
    serve.add_argument("--demo-operator", type=float, nargs="?", const=5.0, default=None,
                       metavar="SECONDS",
                       help="with --demo: a simulated operator moves each verified demo job "
                            "one step along its lifecycle every SECONDS (default 5)")
    serve.add_argument("--no-worker", action="store_true",
                       help="do not run the service worker and its task queue")
    serve.add_argument("--max-file-size-mib", type=int, default=DEFAULT_MAX_FILE_SIZE_MIB,
                       metavar="MIB",
                       help="Storage's global limit per object (default 50, as on a Free "
                            "project; raise it for large uploads)")
    serve.add_argument("--tus-part-size-mib", type=int, default=50, metavar="MIB",
                       help="the part size behind a TUS upload's multipart etag (Storage's "
                            "TUS_PART_SIZE, default 50)")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if (args.tls_cert is None) != (args.tls_key is None):
        parser.error("--tls-cert and --tls-key must be given together")
    for name in ("tls_cert", "tls_key"):
        path = getattr(args, name)
        if path is not None and not path.is_file():
            parser.error(f"--{name.replace('_', '-')} {path}: no such file")
    if args.jwt_expiry <= 0 or args.tus_expiry <= 0 or args.refresh_reuse_interval < 0:
        parser.error("--jwt-expiry and --tus-expiry must be positive numbers of seconds")
    if args.demo_operator is not None and args.demo_operator <= 0:
        parser.error("--demo-operator must be a positive number of seconds")
    if args.max_file_size_mib <= 0 or args.tus_part_size_mib <= 0:
        parser.error("--max-file-size-mib and --tus-part-size-mib must be positive numbers "
                     "of MiB")

    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    from .server import LocalStack, StartupError
    stack = LocalStack(args.data_dir, host=args.host, port=args.port, tls_cert=args.tls_cert,
                       tls_key=args.tls_key, demo=args.demo, jwt_expiry=args.jwt_expiry,
                       tus_expiry=args.tus_expiry,
                       refresh_reuse_interval=args.refresh_reuse_interval,
                       worker=not args.no_worker,
                       max_file_size=args.max_file_size_mib * 1024 * 1024,
                       tus_part_size=args.tus_part_size_mib * 1024 * 1024,
                       demo_operator=args.demo_operator)
    try:
        info = stack.start()
    except (StartupError, OSError) as exc:
        print(f"wyntek_localstack: could not start: {exc}", file=sys.stderr, flush=True)
        return 1
    try:
        if not stop.is_set():  # a signal during start-up: stop without announcing
            sys.stdout.write(info.to_json() + "\n")
            sys.stdout.flush()
        while not stop.wait(0.5):
            pass
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
