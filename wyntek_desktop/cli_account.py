"""Account commands of ``wyntek``: passwords, email address, deletion, privacy, policy.

    wyntek password reset EMAIL      mail a code, ask for it and a new password
    wyntek password change           the current password, then a new one
    wyntek email change NEW          codes go to the new and the current address
    wyntek email confirm EMAIL CODE  enter one of those codes
    wyntek email resend              new codes for the pending change
    wyntek deletion status|request|cancel
    wyntek privacy [object|allow]    the right to object (job update mail, file keeping)
    wyntek policy                    the newest policy notice not yet shown (records it)
    wyntek export --preview          what the export holds, without writing it

Registered by ``register(command, commands)`` from ``cli.build_parser``. Prompts go to
stderr so stdout stays clean; ``--password-stdin`` and ``--code`` make every command
usable without a terminal.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from wyntek_desktop.core import errors

if TYPE_CHECKING:
    from wyntek_desktop.api.account import AccountApi
    from wyntek_desktop.cli import Run
    from wyntek_desktop.core.account import DeletionRequest

CommandFactory = Callable[[str, str], argparse.ArgumentParser]


def register(command: CommandFactory, subparsers: Any,
             commands: dict[str, Callable[[Run], None]]) -> None:
    """Add the account commands (and ``export --preview``) to the ``wyntek`` parser."""
    p = command("password", "reset a forgotten password, or change it")
    p.add_argument("action", choices=("reset", "change"))
    p.add_argument("email", nargs="?", metavar="EMAIL", help="the account (reset)")
    p.add_argument("--code", metavar="CODE",
                   help="the code from the email (reset: do not send a new one)")
    p.add_argument("--send-only", action="store_true",
                   help="reset: only send the code; finish later with --code")
    p.add_argument("--password-stdin", action="store_true",
                   help="read the new password (change: the current, then the new, one per "
                        "line) from standard input")
    p = command("email", "change your email address (confirmed by emailed codes)")
    p.add_argument("action", choices=("change", "confirm", "resend"))
    p.add_argument("email", nargs="?", metavar="EMAIL",
                   help="change: the new address; confirm: the address the code was sent to")
    p.add_argument("code", nargs="?", metavar="CODE", help="confirm: the code")
    p.add_argument("--send-only", action="store_true",
                   help="change: only send the codes; enter them with `wyntek email confirm`")
    p = command("deletion", "your account deletion request: its date, or cancel it")
    p.add_argument("action", nargs="?", default="status",
                   choices=("status", "request", "cancel"))
    p.add_argument("--yes", action="store_true", help="confirm a request")
    p = command("privacy", "show or change your privacy preferences")
    p.add_argument("action", nargs="?", default="show", choices=("show", "object", "allow"),
                   help="object: no job update mail, and completed jobs' files are removed "
                        "at once instead of kept 12 months; allow: withdraw the objection")
    p.add_argument("--job-emails", choices=("on", "off"), help="job status emails")
    command("policy", "show the newest privacy policy notice you have not seen")
    _extend_export(subparsers, commands)
    commands.update({"password": cmd_password, "email": cmd_email, "deletion": cmd_deletion,
                     "privacy": cmd_privacy, "policy": cmd_policy})


def _extend_export(subparsers: Any, commands: dict[str, Callable[[Run], None]]) -> None:
    export = subparsers.choices.get("export")
    if export is None:
        return
    for action in export._actions:
        if action.dest == "file":
            action.nargs, action.default = "?", None
    export.add_argument("--preview", action="store_true",
                        help="only show how many entries each section holds")
    write = commands.get("export")
    if write is None or getattr(write, "preview_aware", False):
        return

    def cmd_export(run: Run) -> None:
        if run.args.preview:
            cmd_export_preview(run)
        elif run.args.file is None:
            raise errors.UsageError("Give the file to write the export to, or --preview.")
        else:
            write(run)
    cmd_export.preview_aware = True  # type: ignore[attr-defined]
    commands["export"] = cmd_export


# --- input --------------------------------------------------------------------------------

def _ask(prompt: str) -> str:
    print(prompt, end="", file=sys.stderr, flush=True)
    line = sys.stdin.readline()
    if not line:
        raise errors.UsageError("Nothing was typed.", hint="Give it with --code.")
    return line.strip()


def _new_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        try:
            password = getpass.getpass("New password: ")
            again = getpass.getpass("New password again: ")
        except EOFError:
            password = again = ""
        if password != again:
            raise errors.UsageError("The two new passwords differ; nothing was changed.")
    if not password:
        raise errors.UsageError("No new password was given.",
                                hint="Type it when asked, or pipe it in with --password-stdin.")
    return password


def _current_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        try:
            password = getpass.getpass("Current password: ")
        except EOFError:
            password = ""
    if not password:
        raise errors.UsageError("No current password was given.")
    return password


def _account(run: Run) -> AccountApi:
    return run.ctx.api.account


# --- commands -----------------------------------------------------------------------------

def cmd_password(run: Run) -> None:
    args = run.args
    account = _account(run)
    if args.action == "change":
        current = _current_password(args)
        account.change_password(current, _new_password(args))
        run.out.result({"password_changed": True}, "Your password was changed.")
        return
    if not args.email:
        raise errors.UsageError("Give the account's email address: wyntek password reset EMAIL.")
    if not args.code:
        account.request_password_recovery(args.email)
        if args.send_only:
            run.out.result({"code_sent": True, "email": args.email},
                           f"If {args.email} has an account, a code is on its way. Finish "
                           f"with: wyntek password reset {args.email} --code CODE")
            return
        run.out.note(f"If {args.email} has an account, a code is on its way.")
    code = args.code or _ask("Code from the email: ")
    account.verify_recovery_code(args.email, code)
    account.set_new_password(_new_password(args))
    run.out.result({"password_reset": True, "email": args.email, "signed_in": True},
                   "Your password was reset; you are signed in.")


def cmd_email(run: Run) -> None:
    args = run.args
    account = _account(run)
    if args.action == "resend":
        change = account.resend_email_change_codes()
        run.out.result(change.to_dict(), "New codes were sent to " + " and ".join(
            change.codes_sent_to) + ". Enter each with: wyntek email confirm ADDRESS CODE")
        return
    if not args.email:
        raise errors.UsageError(f"Give the email address: wyntek email {args.action} EMAIL.")
    if args.action == "confirm":
        if not args.code:
            raise errors.UsageError("Give the code: wyntek email confirm EMAIL CODE.")
        done = account.confirm_email_change(args.email, args.code)
        text = (f"Your email address is now {done.email}." if done.done else
                "Code accepted; now enter the code sent to your other address.")
        run.out.result(done.to_dict(), text)
        return
    change = account.request_email_change(args.email)
    if args.send_only:
        run.out.result(change.to_dict(), "Codes were sent to " + " and ".join(
            change.codes_sent_to) + ". Enter each with: wyntek email confirm ADDRESS CODE")
        return
    result = None
    for address in change.codes_sent_to:
        result = account.confirm_email_change(address, _ask(f"Code sent to {address}: "))
    assert result is not None
    run.out.result(result.to_dict(), f"Your email address is now {result.email}."
                   if result.done else "Code accepted; one more code is still needed.")


def _deletion_text(request: DeletionRequest | None) -> str:
    if request is None:
        return "No account deletion was requested."
    when = f"{request.scheduled_for:%Y-%m-%d %H:%M} UTC" if request.scheduled_for else "soon"
    if request.status == "pending":
        text = (f"Your account will be deleted on {when}. Cancel before then with: "
                "wyntek deletion cancel")
        return f"{text}\n{request.note}" if request.note else text
    if request.status == "processing":
        return "Your account is being deleted now; this can no longer be cancelled."
    if request.status == "cancelled":
        return "Your account deletion was cancelled; nothing will be deleted."
    return f"Your account deletion was carried out ({request.status})."


def cmd_deletion(run: Run) -> None:
    account = _account(run)
    request: DeletionRequest | None
    if run.args.action == "request":
        if not run.args.yes:
            raise errors.UsageError("Add --yes to request the deletion of your account.")
        request = account.request_deletion()
    elif run.args.action == "cancel":
        request = account.cancel_deletion()
    else:
        request = account.deletion_request()
    run.out.result(request.to_dict() if request else None, _deletion_text(request))


def cmd_privacy(run: Run) -> None:
    account = _account(run)
    args = run.args
    objection = {"object": True, "allow": False}.get(args.action)
    job_emails = None if args.job_emails is None else args.job_emails == "on"
    if objection is None and job_emails is None:
        prefs = account.privacy_preferences()
    else:
        prefs = account.set_privacy_preferences(email_job_updates=job_emails,
                                                processing_objection=objection)
    text = (f"job update emails: {'on' if prefs.email_job_updates else 'off'}  "
            f"objection to processing: {'yes' if prefs.processing_objection else 'no'}")
    if prefs.processing_objection:
        text += ("\nCompleted jobs' files are removed at the next daily run instead of kept "
                 "12 months; receipts and security mail still come.")
    run.out.result(prefs.to_dict(), text)


def cmd_policy(run: Run) -> None:
    account = _account(run)
    pending = account.pending_policy()
    if pending is None:
        run.out.result(None, "You have seen the current privacy policy.")
        return
    account.acknowledge_policy(pending.version)
    published = f"{pending.published_at:%Y-%m-%d}" if pending.published_at else ""
    text = f"Privacy policy {pending.version} ({published}): {pending.summary}"
    if pending.url:
        text += f"\n{pending.url}"
    run.out.result(pending.to_dict(), text)


def cmd_export_preview(run: Run) -> None:
    preview = _account(run).export_preview()
    lines = [f"{name:<26} {count:>6}" for name, count in preview.sections.items()]
    run.out.result(preview.sections, "\n".join(
        ["Your export holds:", *lines, f"{'in all':<26} {preview.total:>6}"]))
