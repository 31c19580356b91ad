"""The ``wyntek`` command: the desktop client's jobs without the GUI.

Exit codes: 0 success, 1 usage error, 2 refused by the service, 3 network failure.
Errors are one line on stderr (a JSON object with ``--json``), never a traceback.
"""

from __future__ import annotations

import argparse
import getpass
import hashlib
import json
import logging
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from wyntek_desktop import __version__
from wyntek_desktop.cli_account import register as register_account
from wyntek_desktop.cli_ops import register as register_ops
from wyntek_desktop.core import errors
from wyntek_desktop.core.appdirs import AppDirs
from wyntek_desktop.core.logging_setup import setup_logging
from wyntek_desktop.core.models import Job
from wyntek_desktop.core.paths import atomic_write_bytes

if TYPE_CHECKING:  # the context pulls in the supabase client: imported only when needed
    from wyntek_desktop.context import AppContext
    from wyntek_desktop.core.settings import Settings
    from wyntek_desktop.local_demo import LocalBackend  # and the demo its lock files

log = logging.getLogger("wyntek_desktop.cli")

DEFAULT_TOLERANCE = 0.2
STATUSES = ("submitted", "reviewing", "in_production", "shipped", "completed", "cancelled",
            "rejected")


# --- argument parsing ---------------------------------------------------------------------

class Parser(argparse.ArgumentParser):
    """argparse that raises ``UsageError`` (exit 1) instead of printing and exiting 2."""

    def error(self, message: str) -> NoReturn:
        raise errors.UsageError(f"{message[0].upper()}{message[1:]}.",
                                hint=f"See `{self.prog} --help`.")


def _finite_float(text: str) -> float:
    """A plain number: 'nan' and 'inf' would only fail later, far from the argument."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


_finite_float.__name__ = "number"  # argparse names the type in its message

LOCAL_HELP = (
    "use the embedded demo service, signed in as the demo account (demo@wyntek.local, "
    "500 demo tokens). Its password is printed once, when the account is created; it is "
    "kept (readable only by you) in demo.json in the demo service's data folder, "
    "%(data)s")


def build_parser(dirs: AppDirs | None = None) -> Parser:
    local_data = dirs.localstack_data if dirs is not None else "localstack"
    parser = Parser(prog="wyntek", description="WYNTEK Desktop on the command line.")
    parser.add_argument("--version", action="version", version=f"wyntek {__version__}")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--local", action="store_true",
                        help=LOCAL_HELP.replace("%(data)s", str(local_data).replace("%", "%%")))
    parser.add_argument("--url", help="backend URL (else WYNTEK_SUPABASE_URL / settings)")
    parser.add_argument("--anon-key", help="backend anon key (else WYNTEK_SUPABASE_ANON_KEY)")
    parser.add_argument("--ca-bundle", help="PEM file of an extra certificate authority")
    parser.add_argument("--proxy", help="HTTPS proxy URL (else HTTPS_PROXY)")
    # `wyntek jobs --json` works as well as `wyntek --json jobs`.
    json_too = Parser(add_help=False)
    json_too.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                          help="machine-readable output")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True

    def command(name: str, help: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help, parents=[json_too])

    for name, text in (("login", "sign in and stay signed in"),
                       ("signup", "create an account and sign in")):
        p = command(name, help=text)
        p.add_argument("--email", required=True)
        p.add_argument("--password-stdin", action="store_true",
                       help="read the password from standard input")
    command("logout", help="sign out on this device")
    p = command("analyze", help="check design files locally")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    for name in ("quote", "submit"):
        p = command(name, help=f"{name} a job")
        p.add_argument("files", nargs="+", type=Path, metavar="FILE")
        p.add_argument("--material", required=True, metavar="ID")
        p.add_argument("--quantity", type=int, default=1, metavar="N")
        p.add_argument("--tolerance", type=_finite_float, default=DEFAULT_TOLERANCE,
                       metavar="MM")
        if name == "submit":
            p.add_argument("--notes", default=None, metavar="TEXT")
            p.add_argument("--finish", default=None)
            p.add_argument("--delivery", default=None, metavar="TEXT")
            p.add_argument("--wait", action="store_true",
                           help="wait until the job has left the outbox")
    p = command("jobs", help="list your jobs")
    p.add_argument("--status", choices=STATUSES)
    p = command("job", help="show one job")
    p.add_argument("job_id", metavar="ID")
    p = command("cancel", help="cancel a job that is still 'submitted' (refunds)")
    p.add_argument("job_id", metavar="ID")
    p = command("confirm", help="accept the measured price of a job that needs more tokens")
    p.add_argument("job_id", metavar="ID")
    command("balance", help="token balance and ledger")
    p = command("buy", help="buy tokens: list the packs, or open a pack's checkout")
    p.add_argument("pack", nargs="?", metavar="PACK", help="the pack id (omit to list packs)")
    p.add_argument("--wait", action="store_true", help="wait until the payment is confirmed")
    p.add_argument("--timeout", type=_finite_float, default=1800.0, metavar="SECONDS",
                   help="how long --wait waits (default: 30 minutes)")
    p.add_argument("--open", action="store_true", help="also open the page in the browser")
    command("purchases", help="your token purchases")
    command("materials", help="the materials catalogue")
    p = command("outbox", help="jobs waiting to be sent")
    p.add_argument("--retry", action="store_true", help="send waiting jobs now")
    p = command("delete-files", help="delete all your stored design files")
    p.add_argument("--yes", action="store_true", help="confirm")
    p = command("export", help="export your data as JSON")
    p.add_argument("file", type=Path, metavar="FILE")
    p = command("profile", help="show or correct your profile")
    p.add_argument("--display-name", metavar="NAME")
    p.add_argument("--job-emails", choices=("on", "off"),
                   help="job status emails (receipts and account mail always come)")
    p = command("support", help="message support (or list your messages)")
    p.add_argument("--subject", metavar="S")
    p.add_argument("--message", metavar="M")
    p.add_argument("--job", metavar="ID")
    p = command("delete-account", help="request deletion of your account")
    p.add_argument("--yes", action="store_true", help="confirm")
    register_ops(command, COMMANDS)  # ops, reorder, history, report-problem (cli_ops.py)
    register_account(command, sub, COMMANDS)  # password, email, deletion, ... (cli_account.py)
    return parser


# --- output -------------------------------------------------------------------------------

@dataclass
class Output:
    json_mode: bool

    def result(self, data: Any, text: str) -> None:
        if self.json_mode:
            print(json.dumps(data, indent=2, default=str, ensure_ascii=False))
        elif text:
            print(text)

    def note(self, text: str) -> None:
        """Human notes go to stderr so stdout stays clean for pipes."""
        if not self.json_mode:
            print(text, file=sys.stderr)

    def error(self, err: errors.WyntekError) -> None:
        if self.json_mode:
            print(json.dumps(err.to_dict(), ensure_ascii=False), file=sys.stderr)
        else:
            print(f"wyntek: {' '.join(str(err).split())}", file=sys.stderr)  # always one line


def _job_line(job: Job) -> str:
    created = job.created_at.strftime("%Y-%m-%d %H:%M") if job.created_at else ""
    verification = (job.verification or "").replace("_", " ")
    return (f"{job.id}  {job.status:<13} {verification:<12} {job.token_cost:>6} tokens  "
            f"{job.material_id or '':<16} x{job.quantity:<5} {created}  {len(job.files)} file(s)")


def _job_text(job: Job) -> str:
    lines = [_job_line(job)]
    if job.verification_text:
        lines.append(f"    {job.verification_text}")
    if job.tokens_to_confirm:
        lines.append(f"    Confirm the price: wyntek confirm {job.id} (buy tokens first with "
                     f"`wyntek buy` if needed), or cancel: wyntek cancel {job.id}")
    for f in job.files:
        state = "deleted" if f.deleted_at else f"kept until {f.retain_until:%Y-%m-%d}" \
            if f.retain_until else "stored"
        lines.append(f"    {f.file_name}  {f.kind}  {f.size_bytes} bytes  {state}")
    return "\n".join(lines)


# --- design analysis ----------------------------------------------------------------------

@dataclass
class Analysed:
    path: Path
    kind: str
    report: dict[str, Any]
    volume_cm3: float
    size_bytes: int
    sha256: str
    board_area_cm2: float | None = None
    copper_layers: int | None = None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_readable(path: Path) -> None:
    if path.is_dir():
        raise errors.FileError(f"{path} is a folder; give the design files in it instead.")
    if not path.exists():
        raise errors.FileError(f"{path} does not exist.")
    if not path.is_file():
        raise errors.FileError(f"{path} is not a regular file.")
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        raise errors.FileError(f"{path} cannot be read ({exc.strerror or 'access denied'}).",
                               hint="Check the file's permissions.") from None


def analyse_file(path: Path) -> Analysed:
    _check_readable(path)
    from concurrent.futures import ThreadPoolExecutor

    from wyntek_desktop.design.analysis import analyze
    from wyntek_desktop.design.estimate import board_measurements
    from wyntek_desktop.design.heap import keep_freed_memory

    keep_freed_memory()  # this process checks its files and exits
    # hashing releases the GIL: the second core hashes while the first one checks
    with ThreadPoolExecutor(1, thread_name_prefix="sha256") as pool:
        digest = pool.submit(_sha256, path)
        report = analyze(path)
        sha256 = digest.result()
    area, layers = board_measurements([report])
    return Analysed(path=path, kind=report.kind, report=report.to_dict(),
                    volume_cm3=float(report.volume_cm3), size_bytes=path.stat().st_size,
                    sha256=sha256, board_area_cm2=area, copper_layers=layers)


def _board(items: list[Analysed]) -> tuple[float | None, int | None]:
    """The job's board area and copper layers, summed as the service measures them."""
    areas = [i.board_area_cm2 for i in items if i.board_area_cm2 is not None]
    layers = [i.copper_layers for i in items if i.copper_layers is not None]
    return (round(sum(areas), 4) if areas else None), (max(layers) if layers else None)


def thumbnail(dirs: AppDirs, item: Analysed) -> Path | None:
    if item.kind != "model":
        return None
    from wyntek_desktop.design.thumbnail import render_thumbnail

    target = dirs.thumbnail_file(item.sha256)
    if not target.exists():
        atomic_write_bytes(target, render_thumbnail(item.path, 256), mode=0o644)
    return target


def _findings(report: dict[str, Any], severity: str | None = None) -> list[str]:
    return [f"{f.get('severity')}: {f.get('message')}" for f in report.get("findings") or []
            if severity is None or f.get("severity") == severity]


# --- the commands -------------------------------------------------------------------------

@dataclass
class Run:
    """What a command needs: parsed arguments, output, and the lazily built context."""

    args: argparse.Namespace
    out: Output
    dirs: AppDirs
    make_context: Callable[[], AppContext]
    _ctx: AppContext | None = None

    @property
    def ctx(self) -> AppContext:
        if self._ctx is None:
            self._ctx = self.make_context()
        return self._ctx


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        try:
            password = getpass.getpass("Password: ")
        except EOFError:  # no terminal and nothing on standard input
            password = ""
    if not password:
        raise errors.UsageError("No password was given.",
                                hint="Type it when asked, or pipe it in with --password-stdin.")
    return password


def cmd_login(run: Run) -> None:
    password = _password(run.args)
    session = run.ctx.session
    if run.args.command == "signup":
        result = session.sign_up(run.args.email, password)
    else:
        result = session.sign_in(run.args.email, password)
    if result.persistence_warning:
        run.out.note(result.persistence_warning)
    run.out.result(result.to_dict(), f"Signed in as {result.email}.")


def cmd_logout(run: Run) -> None:
    run.ctx.session.sign_out()
    run.out.result({"signed_out": True}, "Signed out on this device.")


def cmd_analyze(run: Run) -> None:
    results = []
    lines = []
    for path in run.args.files:
        item = analyse_file(path)
        thumb = thumbnail(run.dirs, item)
        results.append({"file": str(path), "kind": item.kind, "size_bytes": item.size_bytes,
                        "sha256": item.sha256, "thumbnail": str(thumb) if thumb else None,
                        "report": item.report})
        lines.append(f"{path}: {item.kind}, {item.size_bytes} bytes, "
                     f"volume {item.volume_cm3:.3f} cm³" + (f", thumbnail {thumb}" if thumb
                                                            else ""))
        lines += [f"    {finding}" for finding in _findings(item.report)]
    run.out.result(results, "\n".join(lines))


def _prepare(run: Run, *, for_submit: bool = False) -> tuple[list[Analysed], float]:
    items = [analyse_file(path) for path in run.args.files]
    if for_submit:
        for item in items:
            blocking = _findings(item.report, "error")
            if blocking:
                raise errors.FileError(f"{item.path.name} cannot be submitted as is "
                                       f"({blocking[0].removeprefix('error: ')})",
                                       hint="Fix the file and check it again.")
    from wyntek_desktop.design.estimate import job_volume_cm3
    return items, job_volume_cm3(items)


def cmd_quote(run: Run) -> None:
    items, volume = _prepare(run)
    quote = run.ctx.api.quote(run.args.material, volume, run.args.quantity, run.args.tolerance,
                              *_board(items))
    # The price is still useful while a file needs fixing; say that `submit` will refuse.
    blocking = [{"file": str(i.path), "reason": reasons[0].removeprefix("error: ")}
                for i in items if (reasons := _findings(i.report, "error"))]
    for b in blocking:
        run.out.note(f"Note: {Path(b['file']).name} cannot be submitted as is "
                     f"({b['reason']}); fix it before `wyntek submit`.")
    run.out.result({**quote.to_dict(), "files": [str(i.path) for i in items],
                    "submittable": not blocking, "blocking": blocking},
                   f"{quote.tokens} tokens for {quote.quantity} x {quote.material_id} "
                   f"({float(quote.volume_cm3):.3f} cm³, tolerance {quote.tolerance_mm} mm).")


def _spec(run: Run, volume: float, items: list[Analysed] | None = None) -> dict[str, Any]:
    args = run.args
    spec = {"material_id": args.material, "quantity": args.quantity,
            "tolerance_mm": args.tolerance, "volume_cm3": volume, "finish": args.finish,
            "delivery_instructions": args.delivery, "notes": args.notes}
    area, layers = _board(items or [])
    if area is not None:
        spec["board_area_cm2"] = area
    if layers is not None:
        spec["copper_layers"] = layers
    return spec


def _kept(client_job_id: str) -> str:
    return (f"The job is kept in the outbox ({client_job_id[:8]}) and is sent later; "
            "run `wyntek outbox --retry` when the connection is back.")


ERROR_KINDS: dict[str, type[errors.WyntekError]] = {
    cls.kind: cls for cls in (errors.FileError, errors.DiskFullError, errors.AuthError,
                              errors.SignInRequired, errors.BalanceError,
                              errors.ValidationError, errors.NotFoundError,
                              errors.ConflictError, errors.ServiceRefusal, errors.UsageError)}


def _send(run: Run, client_job_id: str, wait: bool) -> Job:
    """Run the outbox until this job is submitted, fails, or the service is out of reach."""
    from wyntek_desktop.core import outbox as ob
    from wyntek_desktop.upload.events import OFFLINE, SIGN_IN_REQUIRED

    ctx = run.ctx
    while True:
        result = ctx.runner.run_pending(wait=True)
        job = ctx.outbox.get(client_job_id)
        if job.state == ob.SUBMITTED and job.server_job:
            return Job.from_row(job.server_job)
        if job.state == ob.FAILED:
            error_class = ERROR_KINDS.get(job.failure_kind or "", errors.ServiceRefusal)
            raise error_class(job.failure or "The job could not be submitted.",
                              hint="Fix the problem, then `wyntek outbox --retry`.")
        if job.state == ob.DRAFT:
            raise errors.UsageError("The job was cancelled and is kept as a draft.")
        state = result.state if result else OFFLINE
        if state == SIGN_IN_REQUIRED:
            raise errors.SignInRequired(hint=_kept(client_job_id))
        if not wait:
            raise errors.NetworkError("Cannot reach the WYNTEK service.",
                                      hint=_kept(client_job_id))
        run.out.note("Waiting for the connection…")
        time.sleep(5.0)


def cmd_submit(run: Run) -> None:
    from wyntek_desktop.core.outbox import FileInput

    items, volume = _prepare(run, for_submit=True)
    api = run.ctx.api
    spec = _spec(run, volume, items)
    offline: errors.NetworkError | None = None
    try:
        # Priced and checked against the balance before anything is uploaded.
        quote = api.quote(run.args.material, volume, run.args.quantity, run.args.tolerance,
                          *_board(items))
        balance = api.balance()
        if balance < quote.tokens:
            raise errors.BalanceError(
                f"This job costs {quote.tokens} tokens but your balance is {balance}.",
                hint="Buy tokens (wyntek buy, or the Tokens page), then submit again.")
    except errors.NetworkError as exc:
        offline = exc  # prepared offline: the outbox keeps it until the service is back
    queued = run.ctx.outbox.add_job(spec, [FileInput(i.path, i.kind, i.report) for i in items])
    cid = queued.client_job_id
    if offline is not None and not run.args.wait:
        raise type(offline)(offline.message, hint=_kept(cid))
    run.out.note(f"Sending job {cid[:8]} ({queued.total_bytes} bytes)…")
    job = _send(run, cid, run.args.wait)
    run.out.result(job.to_dict(), f"Submitted job {job.id}: {job.token_cost} tokens. "
                                  f"{job.verification_text}".rstrip())


def cmd_jobs(run: Run) -> None:
    jobs = run.ctx.api.list_jobs(run.args.status)
    text = "\n".join(_job_line(j) for j in jobs) or "No jobs yet."
    run.out.result([j.to_dict() for j in jobs], text)


def cmd_job(run: Run) -> None:
    job = run.ctx.api.get_job(run.args.job_id)
    run.out.result(job.to_dict(), _job_text(job))


def cmd_confirm(run: Run) -> None:
    job = run.ctx.api.confirm_job_price(run.args.job_id)
    run.out.result(job.to_dict(), f"Job {job.id}: the measured price of {job.token_cost} "
                                  "tokens is confirmed.")


def cmd_cancel(run: Run) -> None:
    job = run.ctx.api.cancel_job(run.args.job_id)
    # A job still waiting for its measured price was debited only its quote.
    refunded = job.quoted_cost if job.verification == "needs_tokens" else job.token_cost
    run.out.result(job.to_dict(), f"Job {job.id} is {job.status}; "
                                  f"{refunded} tokens refunded.")


def cmd_balance(run: Run) -> None:
    api = run.ctx.api
    balance, ledger = api.balance(), api.ledger()
    lines = [f"Balance: {balance} tokens"]
    lines += [f"  {e.created_at:%Y-%m-%d %H:%M}  {e.delta:+6}  {e.reason}"
              + (f"  job {e.job_id}" if e.job_id else "") for e in ledger if e.created_at]
    lines.append("Buy tokens: wyntek buy")
    run.out.result({"balance": balance, "ledger": [e.to_dict() for e in ledger],
                    "checkout_url": run.ctx.settings.checkout_url}, "\n".join(lines))


def cmd_buy(run: Run) -> None:
    api = run.ctx.api
    if not run.args.pack:
        packs = api.token_packs()
        lines = [f"{p.id:<12} {p.tokens:>7,} tokens  {p.price:>12}  {p.name}" for p in packs]
        lines.append("Buy one with: wyntek buy PACK [--wait]")
        run.out.result([p.to_dict() for p in packs], "\n".join(lines))
        return
    checkout = api.start_checkout(run.args.pack)
    if run.args.open:
        import webbrowser
        if not webbrowser.open(checkout.url):
            run.out.note("No browser could be opened; copy the address above.")
    if not run.args.wait:
        run.out.result(checkout.to_dict(), f"Pay in your browser: {checkout.url}\n"
                                           f"Purchase {checkout.purchase_id} waits for the "
                                           "payment; `wyntek purchases` shows when it is paid.")
        return
    if not run.out.json_mode:
        print(f"Pay in your browser: {checkout.url}", flush=True)
    run.out.note("Waiting for the payment to be confirmed (Ctrl+C stops waiting; the "
                 "purchase stays open)…")
    purchase = api.wait_for_purchase(checkout.purchase_id, timeout=run.args.timeout)
    if purchase.status != "paid":
        if not purchase.settled:
            raise errors.ServiceRefusal(
                f"Purchase {purchase.id} was not paid within {run.args.timeout:.0f} s.",
                hint="Pay on the page, then check with `wyntek purchases`.")
        raise errors.ServiceRefusal(purchase.receipt())
    balance = api.balance()
    run.out.result({**checkout.to_dict(), "purchase": purchase.to_dict(), "balance": balance},
                   f"{purchase.receipt()}\nBalance: {balance:,} tokens")


def cmd_purchases(run: Run) -> None:
    purchases = run.ctx.api.purchases()
    lines = [f"{p.created_at:%Y-%m-%d %H:%M}  {p.pack_id:<10} {p.tokens:>7,} tokens  "
             f"{p.amount:>12}  {p.status_words}" for p in purchases if p.created_at]
    run.out.result([p.to_dict() for p in purchases], "\n".join(lines) or "No purchases yet.")


def cmd_materials(run: Run) -> None:
    catalogue = run.ctx.api.materials()
    lines = [f"{m.id:<20} {m.process:<6} {m.name:<32} {m.tokens_per_cm3} tokens/cm³ "
             f"+ {m.setup_tokens} setup" for m in catalogue.materials]
    if catalogue.from_cache:
        run.out.note("Offline: showing the saved catalogue.")
    run.out.result(catalogue.to_dict(), "\n".join(lines))


def cmd_outbox(run: Run) -> None:
    from wyntek_desktop.core import outbox as ob

    ctx = run.ctx
    if run.args.retry:
        for job in ctx.outbox.jobs([ob.FAILED]):
            ctx.runner.retry(job.client_job_id)
        if ctx.outbox.jobs(ob.RUNNABLE):
            ctx.runner.run_pending(wait=True)
    jobs = [j for j in ctx.outbox.jobs() if j.state != ob.SUBMITTED]
    data = [{"client_job_id": j.client_job_id, "state": j.state, "failure": j.failure,
             "files": [f.file_name for f in j.files], "total_bytes": j.total_bytes,
             "sent_bytes": j.sent_bytes, "spec": j.spec} for j in jobs]
    lines = [f"{j.client_job_id[:8]}  {j.state:<10} {j.sent_bytes}/{j.total_bytes} bytes  "
             f"{', '.join(f.file_name for f in j.files)}"
             + (f"\n    {j.failure}" if j.failure else "") for j in jobs]
    run.out.result(data, "\n".join(lines) or "The outbox is empty.")
    if run.args.retry and any(j.state in ob.RUNNABLE for j in jobs):
        raise errors.NetworkError("Some jobs could not be sent yet; they stay in the outbox.")


def _confirm(run: Run, what: str) -> None:
    if not run.args.yes:
        raise errors.UsageError(f"This {what} cannot be undone; add --yes to confirm.")


def cmd_delete_files(run: Run) -> None:
    _confirm(run, "deletes all your stored design files and")
    report = run.ctx.api.delete_my_files()
    text = f"Deleted {report.files_removed} file(s), {report.bytes_removed} bytes."
    if report.kept:
        text += f" Kept {len(report.kept)} file(s) of jobs still in progress."
    if report.failed:
        text += " Could not delete: " + ", ".join(report.failed)
    run.out.result(report.to_dict(), text)
    if report.failed:
        raise errors.ServiceRefusal(f"{len(report.failed)} file(s) could not be deleted; "
                                    "try again later.")


def cmd_export(run: Run) -> None:
    result = run.ctx.api.export_my_data(run.args.file)
    run.out.result(result.to_dict(), f"Exported {result.jobs} job(s), {result.files} file "
                                     f"record(s) and {result.ledger_entries} ledger entries "
                                     f"to {result.path}.")


def cmd_profile(run: Run) -> None:
    api = run.ctx.api
    profile = (api.update_display_name(run.args.display_name)
               if run.args.display_name is not None else api.profile())
    if run.args.job_emails is not None:
        profile = api.set_email_job_updates(run.args.job_emails == "on")
    run.out.result(profile.to_dict(), f"{profile.email}  display name: "
                                      f"{profile.display_name or '(none)'}  "
                                      f"balance: {profile.token_balance} tokens  "
                                      f"job emails: {'on' if profile.email_job_updates else 'off'}")


def cmd_support(run: Run) -> None:
    api = run.ctx.api
    args = run.args
    if args.subject is None and args.message is None:
        messages = api.support_messages()
        run.out.result([m.to_dict() for m in messages],
                       "\n".join(f"{m.created_at:%Y-%m-%d}  {m.status or ''}  {m.subject}"
                                 for m in messages if m.created_at) or "No messages yet.")
        return
    if not args.subject or not args.message:
        raise errors.UsageError("Give both --subject and --message.")
    message = api.create_support_message(args.subject, args.message, args.job)
    run.out.result(message.to_dict(), "Your message was sent to support.")


def cmd_delete_account(run: Run) -> None:
    _confirm(run, "request")
    run.ctx.api.request_account_deletion()
    run.out.result({"deletion_requested": True, "signed_out": True},
                   "Your account deletion was requested; you are signed out.")


COMMANDS: dict[str, Callable[[Run], None]] = {
    "login": cmd_login, "signup": cmd_login, "logout": cmd_logout, "analyze": cmd_analyze,
    "quote": cmd_quote, "submit": cmd_submit, "jobs": cmd_jobs, "job": cmd_job,
    "cancel": cmd_cancel, "confirm": cmd_confirm, "balance": cmd_balance, "buy": cmd_buy,
    "purchases": cmd_purchases,
    "materials": cmd_materials,
    "outbox": cmd_outbox, "delete-files": cmd_delete_files, "export": cmd_export,
    "profile": cmd_profile, "support": cmd_support, "delete-account": cmd_delete_account,
}
OFFLINE = {"analyze"}


# --- entry point --------------------------------------------------------------------------

def _context_factory(args: argparse.Namespace, dirs: AppDirs, out: Output,
                     local: list[LocalBackend]) -> Callable[[], AppContext]:
    def make() -> AppContext:
        from wyntek_desktop.context import AppContext, build_local

        flags = {"supabase_url": args.url, "anon_key": args.anon_key,
                 "ca_bundle": args.ca_bundle, "proxy": args.proxy}

        def settings_for(backend: LocalBackend | None) -> Settings:
            if backend is not None:
                flags.update(supabase_url=backend.url, anon_key=backend.anon_key)
            settings = AppContext.load_settings(dirs, flags=flags)
            for warning in settings.warnings:
                out.note(f"Warning: {warning}")
            return settings

        if not args.local:
            return AppContext.build(settings_for(None), dirs=dirs)
        sign_in = args.command not in ("login", "signup")
        ctx, backend = build_local(dirs, settings_for, sign_in=sign_in)
        local.append(backend)
        if sign_in:
            _announce_demo(backend, out)
        return ctx
    return make


def _announce_demo(backend: LocalBackend, out: Output) -> None:
    from wyntek_desktop.local_demo import DEMO_EMAIL, take_demo_announcement

    message = take_demo_announcement(backend)
    if message is None:
        return
    # On stderr even with --json (as a JSON object there), or it would never be seen.
    if out.json_mode:
        print(json.dumps({"demo_account": {"email": DEMO_EMAIL,
                                           "password": backend.demo_password,
                                           "kept_in": str(backend.data_dir / "demo.json")}}),
              file=sys.stderr)
    else:
        print(message, file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    out = Output(json_mode="--json" in argv)
    dirs = AppDirs.default()
    local: list[LocalBackend] = []
    run: Run | None = None
    try:
        setup_logging(dirs.log, os.environ.get("WYNTEK_LOG_LEVEL", "INFO").upper())
    except (OSError, ValueError):
        pass  # logging is best effort; the command still runs
    logging.captureWarnings(True)  # library warnings go to the log, not the terminal
    try:
        args = build_parser(dirs).parse_args(argv)
        out.json_mode = args.json
        run = Run(args=args, out=out, dirs=dirs,
                  make_context=_context_factory(args, dirs, out, local))
        log.info("command %s", args.command)
        COMMANDS[args.command](run)
        return 0
    except errors.WyntekError as err:
        log.info("command failed: %s: %s", err.kind, err.message)
        out.error(err)
        return err.exit_code
    except KeyboardInterrupt:
        out.error(errors.UsageError("Interrupted."))
        return 1
    except BrokenPipeError:
        # The reader went away (`wyntek jobs | head`): nothing to say, and no second
        # failure when Python flushes stdout at exit.
        with suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return 1
    except Exception as exc:
        log.exception("unexpected failure")
        out.error(errors.WyntekError(f"Unexpected problem ({type(exc).__name__}).",
                                     hint=f"Details are in the log in {dirs.log}."))
        return 1
    finally:
        if run is not None and run._ctx is not None:
            with suppress(Exception):
                run._ctx.close()
        for backend in local:
            with suppress(Exception):
                backend.stop()


if __name__ == "__main__":
    sys.exit(main())
