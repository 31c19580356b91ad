"""``wyntek ops …`` for operators, and the customer's ``reorder``, ``history`` and
``report-problem``: the lifecycle commands on top of ``api/operations.py``.

``register(command, commands)`` adds them to ``cli.py``'s parser and command table; the
exit codes and error output are ``cli.py``'s (0 ok, 1 usage or local file, 2 refused by
the service, 3 network).
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wyntek_desktop.core import errors
from wyntek_desktop.core.models import Job
from wyntek_desktop.core.operations import LIFECYCLE, JobEvent, OperatorJob, ReorderChanges

if TYPE_CHECKING:
    from wyntek_desktop.api.operations import Operations
    from wyntek_desktop.cli import Run

STATUSES = (*LIFECYCLE, "cancelled", "rejected")
Command = Callable[[str, str], argparse.ArgumentParser]


def _number(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


_number.__name__ = "number"


def register(command: Command, commands: dict[str, Callable[[Run], None]]) -> None:
    """Add ``ops``, ``reorder``, ``history`` and ``report-problem`` to the CLI."""
    ops = command("ops", "operators: assigned jobs, downloads, advance and reject")
    json_too = argparse.ArgumentParser(add_help=False)
    json_too.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                          help="machine-readable output")
    sub = ops.add_subparsers(dest="ops_command", metavar="OPS_COMMAND",
                             parser_class=type(ops))
    sub.required = True
    p = sub.add_parser("jobs", help="the jobs assigned to you, oldest first",
                       parents=[json_too])
    p.add_argument("--status", choices=STATUSES)
    p = sub.add_parser("job", help="one assigned job: spec, notes, files, history",
                       parents=[json_too])
    p.add_argument("job_id", metavar="JOB")
    p = sub.add_parser("download", help="download a job's files, SHA-256 checked",
                       parents=[json_too])
    p.add_argument("job_id", metavar="JOB")
    p.add_argument("directory", type=Path, metavar="DIR")
    p = sub.add_parser("advance", help="move a job to its next status", parents=[json_too])
    p.add_argument("job_id", metavar="JOB")
    p.add_argument("status", choices=LIFECYCLE[1:], metavar="STATUS",
                   help=f"one of {', '.join(LIFECYCLE[1:])}")
    p.add_argument("--note", metavar="TEXT", help="a note for the job's history")
    p = sub.add_parser("reject", help="reject a submitted or reviewing job (refunds)",
                       parents=[json_too])
    p.add_argument("job_id", metavar="JOB")
    p.add_argument("--reason", required=True, metavar="TEXT")

    p = command("reorder", "repeat a completed job without uploading again")
    p.add_argument("job_id", metavar="JOB")
    p.add_argument("--quantity", type=int, metavar="N")
    p.add_argument("--tolerance", type=_number, metavar="MM")
    p.add_argument("--finish", metavar="TEXT")
    p.add_argument("--delivery", metavar="TEXT", help="delivery instructions")
    p.add_argument("--notes", metavar="TEXT")
    p.add_argument("--quote", action="store_true", help="only show the price")
    p = command("history", "a job's status history as the service recorded it")
    p.add_argument("job_id", metavar="JOB")
    p = command("report-problem", "report a problem with a shipped or completed job")
    p.add_argument("job_id", metavar="JOB")
    p.add_argument("--subject", required=True, metavar="S")
    p.add_argument("--message", required=True, metavar="M")

    commands.update({"ops": cmd_ops, "reorder": cmd_reorder, "history": cmd_history,
                     "report-problem": cmd_report_problem})


def _ops(run: Run) -> Operations:
    return run.ctx.api.operations


# --- text -----------------------------------------------------------------------------------

def _when(job: OperatorJob | Job | JobEvent) -> str:
    return job.created_at.strftime("%Y-%m-%d %H:%M") if job.created_at else ""


def _ops_job_line(job: OperatorJob) -> str:
    nxt = job.next_status.replace("_", " ") if job.ready_to_advance and job.next_status \
        else "-"
    return (f"{job.id}  {job.status:<13} next: {nxt:<13} {job.material_id or '':<16} "
            f"x{job.quantity:<5} {_when(job)}  {len(job.files)} file(s)")


def _event_line(event: JobEvent) -> str:
    what = (f"verification {event.verification.replace('_', ' ')}" if event.verification
            else event.status.replace("_", " "))
    note = f"  {event.note}" if event.note else ""
    return f"{_when(event)}  {what:<26} by {event.actor:<9}{note}"


def _ops_job_text(job: OperatorJob, events: list[JobEvent]) -> str:
    lines = [_ops_job_line(job),
             f"    material {job.material_name or job.material_id}, tolerance "
             f"{job.tolerance_mm} mm, finish {job.finish or '-'}"]
    if job.notes:
        lines.append(f"    notes: {job.notes}")
    if job.delivery_instructions:
        lines.append(f"    delivery: {job.delivery_instructions}")
    if job.verification_note:
        lines.append(f"    verification: {job.verification_note}")
    lines += [f"    file {f.file_name}  {f.kind}  {f.size_bytes} bytes  sha256 {f.sha256}"
              for f in job.files]
    lines += [f"    {_event_line(e)}" for e in events]
    return "\n".join(lines)


# --- commands -------------------------------------------------------------------------------

def cmd_ops(run: Run) -> None:
    args, ops = run.args, _ops(run)
    match args.ops_command:
        case "jobs":
            jobs = ops.assigned_jobs(args.status)
            text = "\n".join(_ops_job_line(j) for j in jobs) or "No jobs are assigned to you."
            run.out.result([j.to_dict() for j in jobs], text)
        case "job":
            job = ops.assigned_job(args.job_id)
            events = ops.job_events(job.id)
            run.out.result({**job.to_dict(), "events": [e.to_dict() for e in events]},
                           _ops_job_text(job, events))
        case "download":
            job = ops.assigned_job(args.job_id)
            shown = [0]

            def progress(done: int, total: int) -> None:
                percent = 100 * done // max(total, 1)
                if percent >= shown[0] + 10:
                    shown[0] = percent
                    run.out.note(f"{percent}% of {total:,} bytes")
            files = ops.download_job(job, args.directory, progress=progress)
            run.out.result([f.to_dict() for f in files], "\n".join(
                f"{f.path}  {f.size_bytes} bytes  SHA-256 checked" for f in files))
        case "advance":
            moved = ops.advance(args.job_id, args.status, args.note)
            run.out.result(moved.to_dict(),
                           f"Job {moved.id} is now {moved.status.replace('_', ' ')}.")
        case "reject":
            rejected = ops.reject(args.job_id, args.reason)
            run.out.result(rejected.to_dict(),
                           f"Job {rejected.id} is rejected; its owner was refunded.")
        case other:  # argparse allows only the commands above
            raise errors.UsageError(f"Unknown ops command {other!r}.")


def _changes(args: argparse.Namespace) -> ReorderChanges:
    return ReorderChanges(quantity=args.quantity, tolerance_mm=args.tolerance,
                          finish=args.finish, delivery_instructions=args.delivery,
                          notes=args.notes)


def cmd_reorder(run: Run) -> None:
    ops, changes = _ops(run), _changes(run.args)
    if run.args.quote:
        quote = ops.quote_reorder(run.args.job_id, changes)
        run.out.result(quote.to_dict(), f"A reorder costs {quote.tokens:,} tokens.")
        return
    job = ops.reorder(run.args.job_id, changes)
    data: dict[str, Any] = job.to_dict()
    run.out.result(data, f"Reordered as job {job.id} ({job.token_cost:,} tokens); the service "
                         "copies the files and verifies them (nothing was uploaded).")


def cmd_history(run: Run) -> None:
    events = _ops(run).job_events(run.args.job_id)
    if not events:
        raise errors.NotFoundError(f"Job {run.args.job_id} was not found (or is not yours).")
    run.out.result([e.to_dict() for e in events], "\n".join(_event_line(e) for e in events))


def cmd_report_problem(run: Run) -> None:
    message = _ops(run).report_problem(run.args.job_id, run.args.subject, run.args.message)
    run.out.result(message.to_dict(), "Your report was sent to WYNTEK support (warranty).")
