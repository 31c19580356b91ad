"""The WYNTEK service as typed Python calls.

Methods return models from ``core.models`` and raise only ``core.errors`` classes; HTTP,
PostgREST and Storage details stay in this module and ``api.failures``. One instance
lives for the whole app (it shares the session's HTTP client). Calls block: run them off
the GUI thread.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from wyntek_desktop.api.account import AccountApi
from wyntek_desktop.api.catalog_cache import load_catalogue, save_catalogue
from wyntek_desktop.api.failures import map_exception
from wyntek_desktop.api.polling import JobPoller
from wyntek_desktop.api.session import Session
from wyntek_desktop.core import errors
from wyntek_desktop.core.models import (
    DeleteFilesReport,
    ExportResult,
    Job,
    JobFile,
    LedgerEntry,
    MaterialCatalogue,
    Profile,
    Quote,
    SupportMessage,
)
from wyntek_desktop.core.paths import atomic_write_text
from wyntek_desktop.core.purchases import Checkout, Purchase, TokenPack

if TYPE_CHECKING:
    from wyntek_desktop.api.operations import Operations

log = logging.getLogger(__name__)
T = TypeVar("T")

BUCKET = "designs"
REMOVE_BATCH = 100
PAGE = 500
MAX_SUBJECT = 200
MAX_BODY = 5000
MAX_DISPLAY_NAME = 100


def _job_id(value: str) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise errors.NotFoundError(f"{value!r} is not a job id (job ids look like "
                                   "3f1c…-…; see `wyntek jobs`).") from None


def _one(data: Any) -> dict[str, Any]:
    """RPCs returning a row may answer with an object or a one-element array."""
    if isinstance(data, list):
        data = data[0] if data else None
    if not isinstance(data, dict):
        raise errors.ServerError("The WYNTEK service sent an unexpected answer.")
    return data


class Api:
    def __init__(self, session: Session, catalogue_cache: Path) -> None:
        self.session = session
        self._catalogue_cache = catalogue_cache
        self.account = AccountApi(session)

    # --- plumbing -----------------------------------------------------------------------

    def _call(self, work: Callable[[], T]) -> T:
        try:
            return self.session.run(work)
        except errors.WyntekError:
            raise
        except Exception as exc:
            mapped = map_exception(exc)
            log.info("request failed: %s (%s)", mapped.kind, type(exc).__name__)
            raise mapped from None

    def _rows(self, build: Callable[[], Any]) -> list[dict[str, Any]]:
        data = self._call(lambda: build().execute().data)
        return list(data or [])

    def _page(self, build: Callable[[], Any], start: int) -> list[dict[str, Any]]:
        return self._rows(lambda: build().range(start, start + PAGE - 1))

    def _paged(self, build: Callable[[], Any]) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        while True:
            page = self._page(build, len(rows))
            rows.extend(page)
            if len(page) < PAGE:
                return rows

    @property
    def operations(self) -> Operations:
        """Operators' jobs, job history, reorder, report a problem (``api/operations.py``)."""
        from wyntek_desktop.api.operations import Operations
        return Operations(self)

    @property
    def user_id(self) -> str:
        return self.session.user_id

    def access_token(self) -> str:
        """A fresh access token for the uploader (raises ``SignInRequired``)."""
        return self.session.access_token()

    @property
    def storage_url(self) -> str:
        return f"{self.session.url}/storage/v1"

    # --- catalogue and pricing ----------------------------------------------------------

    def materials(self) -> MaterialCatalogue:
        """The active materials; from the disk cache when the service is unreachable."""
        try:
            rows = self._rows(lambda: self.session.client.table("materials").select("*")
                              .eq("active", True).order("process").order("name"))
        except (errors.NetworkError, errors.SignInRequired) as exc:
            cached = load_catalogue(self._catalogue_cache)
            if cached is None:
                raise
            log.info("catalogue from cache (%s)", exc.kind)
            return cached
        return save_catalogue(self._catalogue_cache, rows)

    def quote(self, material_id: str, volume_cm3: float, quantity: int,
              tolerance_mm: float, board_area_cm2: float | None = None,
              copper_layers: int | None = None, board_layers: int | None = None,
              board_thickness_mm: float | None = None, finish: str | None = None) -> Quote:
        params: dict[str, Any] = {"material_id": material_id, "volume_cm3": float(volume_cm3),
                                  "quantity": quantity, "tolerance_mm": float(tolerance_mm)}
        if board_area_cm2 is not None or copper_layers is not None:  # a PCB board
            params |= {"board_area_cm2": board_area_cm2, "copper_layers": copper_layers}
        # the PCB options (quote_job ignores them for other processes)
        options = {"board_layers": board_layers, "board_thickness_mm": board_thickness_mm,
                   "surface_finish": finish}
        params |= {k: v for k, v in options.items() if v is not None}
        data = self._call(lambda: self.session.client.rpc("quote_job", params).execute().data)
        if isinstance(data, list):
            data = data[0] if data else None
        if isinstance(data, dict):
            data = next(iter(data.values()), None)
        if not isinstance(data, int | float | str):
            raise errors.ServerError("The WYNTEK service sent an unexpected quote.")
        return Quote.from_row({**params, "tokens": int(data)})

    def quote_spec(self, spec: Mapping[str, Any]) -> Quote:
        """The server's price for a job spec as the outbox keeps it (``submit_job``'s)."""
        area, layers = spec.get("board_area_cm2"), spec.get("copper_layers")
        return self.quote(str(spec["material_id"]), float(spec.get("volume_cm3") or 0.0),
                          int(spec["quantity"]), float(spec["tolerance_mm"]),
                          float(area) if area is not None else None,
                          int(layers) if layers is not None else None)

    def check_affordable(self, spec: Mapping[str, Any]) -> None:
        """Raise ``BalanceError`` when the balance does not cover the job: asked before
        anything is uploaded, so no bytes are stored for a job that cannot be paid."""
        cost, balance = self.quote_spec(spec).tokens, self.balance()
        if cost > balance:
            raise errors.BalanceError(
                f"This job costs {cost:,} tokens and your balance is {balance:,}: buy "
                f"{cost - balance:,} more tokens on the Tokens page, then press Retry.")

    def confirm_job_price(self, job_id: str) -> Job:
        """Accept the measured price of a needs_tokens job (debits the difference)."""
        job_id = _job_id(job_id)
        self._call(lambda: self.session.client.rpc("confirm_job_price",
                                                   {"job_id": job_id}).execute())
        log.info("job %s: measured price confirmed", job_id)
        return self.get_job(job_id)

    # --- jobs ---------------------------------------------------------------------------

    def submit_job(self, client_job_id: str, spec: dict[str, Any],
                   files: list[dict[str, Any]]) -> Job:
        """Create the job (idempotent on ``client_job_id``: retries return the same job)."""
        params = {"client_job_id": client_job_id, "spec": spec, "files": files}
        data = self._call(lambda: self.session.client.rpc("submit_job", params).execute().data)
        job = Job.from_row(_one(data))
        log.info("job %s submitted (client id %s)", job.id, client_job_id)
        return self._with_files([job])[0]

    def _with_files(self, jobs: list[Job]) -> list[Job]:
        if not jobs:
            return jobs
        ids = [job.id for job in jobs]
        rows: list[dict[str, Any]] = []
        for start in range(0, len(ids), 100):
            rows += self._files_of(ids[start:start + 100])
        by_job: dict[str, list[JobFile]] = {}
        for row in rows:
            by_job.setdefault(str(row.get("job_id")), []).append(JobFile.from_row(row))
        return [job.with_files(by_job.get(job.id, [])) for job in jobs]

    def _files_of(self, job_ids: list[str]) -> list[dict[str, Any]]:
        return self._rows(lambda: self.session.client.table("job_files").select("*")
                          .in_("job_id", job_ids).order("file_name"))

    def list_jobs(self, status: str | None = None) -> list[Job]:
        """The caller's own jobs (an operator's assigned jobs are ``operations``')."""
        def build() -> Any:
            query = self.session.client.table("jobs").select("*").eq("user_id", self.user_id)
            if status:
                query = query.eq("status", status)
            return query.order("created_at", desc=True).order("id")
        return self._with_files([Job.from_row(r) for r in self._paged(build)])

    def get_job(self, job_id: str) -> Job:
        job_id = _job_id(job_id)
        data = self._call(lambda: self.session.client.table("jobs").select("*")
                          .eq("id", job_id).maybe_single().execute())
        if data is None or not data.data:
            raise errors.NotFoundError(f"Job {job_id} was not found (or is not yours).")
        return self._with_files([Job.from_row(_one(data.data))])[0]

    def jobs_changed_since(self, cursor: datetime | None) -> list[Job]:
        def build() -> Any:
            query = self.session.client.table("jobs").select("*").eq("user_id", self.user_id)
            if cursor is not None:
                query = query.gte("updated_at", cursor.isoformat())
            return query.order("updated_at").order("id")
        return self._with_files([Job.from_row(r) for r in self._paged(build)])

    def job_poller(self) -> JobPoller:
        return JobPoller(self.jobs_changed_since)

    def cancel_job(self, job_id: str) -> Job:
        job_id = _job_id(job_id)
        self._call(lambda: self.session.client.rpc("cancel_job", {"job_id": job_id}).execute())
        log.info("job %s cancelled", job_id)
        return self.get_job(job_id)

    # --- tokens -------------------------------------------------------------------------

    def profile(self) -> Profile:
        uid = self.user_id
        rows = self._rows(lambda: self.session.client.table("profiles").select("*")
                          .eq("id", uid))
        if not rows:
            raise errors.NotFoundError("Your profile was not found; contact support.")
        return Profile.from_row(rows[0])

    def balance(self) -> int:
        return self.profile().token_balance

    def ledger(self) -> list[LedgerEntry]:
        rows = self._paged(lambda: self.session.client.table("token_ledger").select("*")
                           .order("created_at", desc=True).order("id", desc=True))
        return [LedgerEntry.from_row(r) for r in rows]

    # --- buying tokens ------------------------------------------------------------------

    def token_packs(self) -> list[TokenPack]:
        rows = self._rows(lambda: self.session.client.table("token_packs").select("*")
                          .eq("active", True).order("sort_order").order("id"))
        return [TokenPack.from_row(r) for r in rows]

    def start_checkout(self, pack_id: str) -> Checkout:
        """A new purchase of the pack and the address of its payment page."""
        from wyntek_desktop.api.checkout import start_checkout
        checkout = self._call(lambda: start_checkout(self.session, pack_id))
        log.info("checkout opened for purchase %s (pack %s)", checkout.purchase_id, pack_id)
        return checkout

    def purchases(self) -> list[Purchase]:
        rows = self._paged(lambda: self.session.client.table("purchases").select("*")
                           .order("created_at", desc=True).order("id"))
        return [Purchase.from_row(r) for r in rows]

    def purchase(self, purchase_id: str) -> Purchase:
        purchase_id = _job_id(purchase_id)
        rows = self._rows(lambda: self.session.client.table("purchases").select("*")
                          .eq("id", purchase_id))
        if not rows:
            raise errors.NotFoundError(f"Purchase {purchase_id} was not found (or is not yours).")
        return Purchase.from_row(rows[0])

    def wait_for_purchase(self, purchase_id: str, *, timeout: float = 1800.0,
                          interval: float = 2.0,
                          cancelled: Callable[[], bool] = lambda: False) -> Purchase:
        """Poll until the purchase is paid, refunded, expired or failed (or time is up:
        then the still pending purchase is returned)."""
        deadline = time.monotonic() + timeout
        while True:
            purchase = self.purchase(purchase_id)
            if purchase.settled or time.monotonic() >= deadline or cancelled():
                return purchase
            time.sleep(min(interval, max(0.0, deadline - time.monotonic())))

    # --- privacy ------------------------------------------------------------------------

    def update_display_name(self, name: str) -> Profile:
        name = name.strip()
        if not name or len(name) > MAX_DISPLAY_NAME:
            raise errors.ValidationError(
                f"The display name must be 1 to {MAX_DISPLAY_NAME} characters long.")
        uid = self.user_id
        rows = self._rows(lambda: self.session.client.table("profiles")
                          .update({"display_name": name}).eq("id", uid))
        if not rows:
            raise errors.NotFoundError("Your profile was not found; contact support.")
        return Profile.from_row(rows[0])

    def set_email_job_updates(self, enabled: bool) -> Profile:
        """Job status emails on or off (receipts and account mail always come)."""
        uid = self.user_id
        rows = self._rows(lambda: self.session.client.table("profiles")
                          .update({"email_job_updates": bool(enabled)}).eq("id", uid))
        if not rows:
            raise errors.NotFoundError("Your profile was not found; contact support.")
        return Profile.from_row(rows[0])

    def _list_folder(self, folder: str, offset: int) -> list[dict[str, Any]]:
        return self._call(lambda: self.session.client.storage.from_(BUCKET)
                          .list(folder, {"limit": 1000, "offset": offset}))

    def _remove(self, paths: list[str]) -> list[dict[str, Any]]:
        return self._call(lambda: self.session.client.storage.from_(BUCKET).remove(paths))

    def _list_objects(self, prefix: str) -> list[tuple[str, int]]:
        """Every object below ``prefix`` (recursive) as (path, size)."""
        found: list[tuple[str, int]] = []
        folders = [prefix]
        while folders:
            folder = folders.pop()
            offset = 0
            while True:
                entries = self._list_folder(folder, offset)
                for entry in entries:
                    path = f"{folder}/{entry['name']}"
                    if entry.get("id") is None:
                        folders.append(path)
                    else:
                        size = (entry.get("metadata") or {}).get("size") or 0
                        found.append((path, int(size)))
                if len(entries) < 1000:
                    break
                offset += len(entries)
        return found

    def delete_my_files(self) -> DeleteFilesReport:
        """Remove every stored design file of the user, then mark the rows deleted.

        Files of live jobs (submitted up to shipped) are frozen by the service and kept.
        """
        uid = self.user_id
        objects = self._list_objects(uid)
        sizes = dict(objects)
        removed: list[str] = []
        failed: list[str] = []
        kept = self._live_job_paths(uid)
        paths = [path for path, _ in objects if path not in kept]
        for start in range(0, len(paths), REMOVE_BATCH):
            batch = paths[start:start + REMOVE_BATCH]
            try:
                rows = self._remove(batch)
            except errors.SignInRequired:
                raise
            except (errors.NetworkError, errors.ServiceRefusal):
                failed.extend(batch)
                continue
            gone = {str(r.get("name")) for r in rows or []}
            removed += [p for p in batch if p in gone]
            failed += [p for p in batch if p not in gone]
        # Rows whose object an earlier, interrupted run removed are marked too: the
        # service marks only rows whose object is really gone from storage.
        to_mark = sorted(set(removed) | set(self._undeleted_file_paths(uid)))
        marked = 0
        if to_mark:
            data = self._call(lambda: self.session.client.rpc(
                "record_files_deleted", {"paths": to_mark}).execute().data)
            marked = int(data) if isinstance(data, int | float) else len(removed)
        log.info("deleted %d files, %d failed, %d rows marked", len(removed), len(failed),
                 marked)
        return DeleteFilesReport(files_removed=len(removed),
                                 bytes_removed=sum(sizes[p] for p in removed),
                                 rows_marked=marked, failed=tuple(failed),
                                 kept=tuple(sorted(p for p in sizes if p in kept)))

    def _live_job_paths(self, uid: str) -> set[str]:
        live = self._paged(lambda: self.session.client.table("jobs").select("id")
                           .eq("user_id", uid)
                           .in_("status", ["submitted", "reviewing", "in_production", "shipped"])
                           .order("id"))
        ids = [str(r["id"]) for r in live]
        paths: set[str] = set()
        for start in range(0, len(ids), 100):
            batch = ids[start:start + 100]
            rows = self._paged(lambda b=batch: self.session.client.table("job_files")  # type: ignore[misc]
                               .select("storage_path").in_("job_id", b).order("storage_path"))
            paths |= {str(r["storage_path"]) for r in rows}
        return paths

    def _undeleted_file_paths(self, uid: str) -> list[str]:
        rows = self._paged(lambda: self.session.client.table("job_files").select("storage_path")
                           .eq("user_id", uid).is_("deleted_at", "null").order("storage_path"))
        return [str(r["storage_path"]) for r in rows if r.get("storage_path")]

    def export_my_data(self, target: Path) -> ExportResult:
        data = self._call(lambda: self.session.client.rpc("export_my_data").execute().data)
        if isinstance(data, list) and len(data) == 1:
            data = data[0]
        if not isinstance(data, dict):
            raise errors.ServerError("The WYNTEK service sent an unexpected export.")
        text = json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"
        atomic_write_text(target, text, mode=0o600)

        def count(key: str) -> int:
            value = data.get(key)
            return len(value) if isinstance(value, list) else 0
        return ExportResult(path=target, jobs=count("jobs"), files=count("files"),
                            ledger_entries=count("ledger"),
                            bytes_written=len(text.encode("utf-8")))

    def request_account_deletion(self) -> None:
        """Record the deletion request, then sign out on this device."""
        self._call(lambda: self.session.client.rpc("request_account_deletion").execute())
        log.info("account deletion requested")
        self.session.sign_out()

    # --- support ------------------------------------------------------------------------

    def create_support_message(self, subject: str, body: str,
                               job_id: str | None = None) -> SupportMessage:
        subject, body = subject.strip(), body.strip()
        if not subject or len(subject) > MAX_SUBJECT:
            raise errors.ValidationError(
                f"The subject must be 1 to {MAX_SUBJECT} characters long.")
        if not body or len(body) > MAX_BODY:
            raise errors.ValidationError(f"The message must be 1 to {MAX_BODY} characters long.")
        row: dict[str, Any] = {"user_id": self.user_id, "subject": subject, "body": body}
        if job_id:
            row["job_id"] = self._own_job_id(job_id)
        rows = self._rows(lambda: self.session.client.table("support_messages").insert(row))
        return SupportMessage.from_row(_one(rows))

    def _own_job_id(self, job_id: str) -> str:
        """The job id if the job is the caller's (RLS would refuse the insert otherwise,
        in words meant for developers)."""
        job_id = _job_id(job_id)
        uid = self.user_id
        rows = self._rows(lambda: self.session.client.table("jobs").select("id")
                          .eq("id", job_id).eq("user_id", uid))
        if not rows:
            raise errors.NotFoundError(f"Job {job_id} was not found (or is not yours).")
        return job_id

    def support_messages(self) -> list[SupportMessage]:
        rows = self._paged(lambda: self.session.client.table("support_messages").select("*")
                           .order("created_at", desc=True))
        return [SupportMessage.from_row(r) for r in rows]

