"""``python -m wyntek_service worker | run-once NAME | verify JOB_ID``."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys

from wyntek_service.config import ConfigError, ServiceConfig
from wyntek_service.tasks import PERIODIC
from wyntek_service.verify import Limits


def _grace_days(value: str) -> int:
    try:
        days = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError("a whole number of days from 0 to 30") from None
    if not 0 <= days <= 30:
        raise argparse.ArgumentTypeError(
            "the privacy policy promises deletion within 30 days: use 0 to 30")
    return days


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--supabase-url", help="project URL (default: $SUPABASE_URL)")
    common.add_argument("--service-role-key",
                        help="service role key (default: $SUPABASE_SERVICE_ROLE_KEY)")
    common.add_argument("--database-url", help="Postgres URL for the task queue "
                        "(default: $DATABASE_URL; a direct or session-mode connection)")
    common.add_argument("--ca-file", help="also trust this certificate (local stacks)")
    common.add_argument("--deletion-grace-days", type=_grace_days, default=7, metavar="DAYS",
                        help="carry out an account deletion this many days after the "
                             "request (0-30, default 7)")
    common.add_argument("--log-level", default="INFO")
    parser = argparse.ArgumentParser(prog="python -m wyntek_service",
                                     description="WYNTEK service worker.")
    sub = parser.add_subparsers(dest="command", required=True)
    worker = sub.add_parser("worker", parents=[common],
                            help="verify submitted jobs and run the periodic tasks")
    worker.add_argument("--concurrency", type=int, default=1, help="jobs at once")
    worker.add_argument("--name", default=None, help="worker name in the queue")
    worker.add_argument("--file-timeout", type=float, default=Limits.timeout_s,
                        metavar="SECONDS", help="time limit to check one file")
    worker.add_argument("--file-memory-mb", type=int,
                        default=Limits.memory_bytes // 1024**2, metavar="MB",
                        help="memory limit to check one file")
    worker.add_argument("--stalled-after", type=float, default=30.0, metavar="SECONDS",
                        help="retry a task whose worker sent no heartbeat for this long")
    worker.add_argument("--heartbeat", type=float, default=10.0, metavar="SECONDS")
    worker.add_argument("--keep-finished", action="store_true",
                        help="keep finished tasks and their events in the queue (measuring)")
    once = sub.add_parser("run-once", parents=[common], help="run one periodic task now")
    once.add_argument("task", choices=sorted(PERIODIC))
    verify = sub.add_parser("verify", parents=[common], help="verify one job now")
    verify.add_argument("job_id")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # procrastinate logs every periodic run at INFO; its warnings and errors still show.
    logging.getLogger("procrastinate").setLevel(max(logging.WARNING, logging.root.level))
    try:
        config = ServiceConfig.resolve(args.supabase_url, args.service_role_key,
                                       args.database_url, args.ca_file,
                                       need_database=args.command != "verify")
    except ConfigError as exc:
        print(f"wyntek_service: {exc}", file=sys.stderr)
        return 2
    from wyntek_service import runner

    try:
        if args.command == "worker":
            limits = Limits(args.file_timeout, args.file_memory_mb * 1024**2)
            asyncio.run(runner.run_worker(
                config, concurrency=args.concurrency, limits=limits,
                stalled_after_s=args.stalled_after, heartbeat_s=args.heartbeat,
                name=args.name, keep_finished=args.keep_finished,
                deletion_grace_days=args.deletion_grace_days))
        elif args.command == "run-once":
            print(asyncio.run(runner.run_once(config, args.task,
                                              deletion_grace_days=args.deletion_grace_days)))
        else:
            print(json.dumps(asyncio.run(runner.verify_now(config, args.job_id)),
                             default=str))
    except KeyboardInterrupt:
        return 130
    return 0
