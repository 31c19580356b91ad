"""What the Operations page shows of a job: the table's columns and the work sheet.

An operator sees what the work needs (the spec, the notes, the delivery instructions,
the files and their checksums) and nothing else of the customer: no email, no name, no
account id.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from wyntek_desktop.core.operations import NEXT_STATUS, OperatorJob
from wyntek_desktop.ui.models import (
    Column,
    JobsTableModel,
    fmt_bytes,
    fmt_time,
    job_status_text,
    status_label,
)
from wyntek_desktop.ui.spec_form import PROCESS_NAMES
from wyntek_desktop.ui.theme import hint_css

OPEN_STATUSES = tuple(NEXT_STATUS)
OPEN = "open"  # the filter's "still to do" choice
VERIFICATION = {"pending": "the service is measuring the files",
                "passed": "passed: the files are what was priced",
                "adjusted": "passed at the measured price",
                "needs_tokens": "waiting for the customer to confirm the measured price",
                "failed": "failed"}


def advance_hint(job: OperatorJob) -> str:
    """Why a job cannot move on yet ('' when it can)."""
    if job.next_status is None:
        return f"This job is {status_label(job.status).lower()}; it does not move any more."
    if not job.ready_to_advance:
        return "A submitted job moves on once the service has verified its files."
    return ""


class OperationsTableModel(JobsTableModel):
    """Assigned jobs; the status filter also knows "open" (every status still to do)."""

    columns: Sequence[Column] = (
        Column("Job", lambda j: j.id[:8]),
        Column("Status", job_status_text, lambda j: list(NEXT_STATUS).index(j.status)
               if j.status in NEXT_STATUS else len(NEXT_STATUS)),
        Column("Material", lambda j: material_of(j)),
        Column("Qty", lambda j: j.quantity, align_right=True),
        Column("Finish", lambda j: j.finish or ""),
        Column("Files", lambda j: len(j.files), align_right=True),
        Column("Submitted", lambda j: fmt_time(j.created_at), lambda j: j.created_at),
        Column("Updated", lambda j: fmt_time(j.updated_at), lambda j: j.updated_at),
    )
    STATUS_COLUMN, MATERIAL_COLUMN, SUBMITTED_COLUMN = 1, 2, 6

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.columns = type(self).columns  # the view names its material itself
        self._search_texts: dict[str, str] = {}

    def set_search_texts(self, texts: dict[str, str]) -> None:
        """Each job's search text, made in the worker that loaded the jobs (a first
        search over thousands of jobs would otherwise build them on the GUI thread)."""
        self._search_texts.update(texts)

    def _haystack(self, job: Any) -> str:
        text = self._search_texts.get(job.id)
        if text is None:
            text = self._search_texts[job.id] = search_text(job)
        return text

    def _apply_filters(self) -> None:
        if self.status != OPEN:
            super()._apply_filters()
            return
        words = self.search.casefold().split()
        haystack = self._haystack

        def accept(job: Any) -> bool:
            if job.status not in OPEN_STATUSES:
                return False
            return not words or all(word in haystack(job) for word in words)
        self.set_filter(accept)


def search_text(job: OperatorJob) -> str:
    """What the search box looks through: id, material, finish, notes, delivery, files."""
    parts = [job.id, job.material_id, job.material_name, job.process, job.finish,
             job.notes, job.delivery_instructions, *(f.file_name for f in job.files)]
    return " ".join(p for p in parts if p).casefold()


def _row(label: str, value: object) -> str:
    return (f"<tr><td style='color:{hint_css()};padding-right:12px' valign='top'>{escape(label)}"
            f"</td><td>{escape(str(value))}</td></tr>")


def material_of(job: OperatorJob) -> str:
    process = job.process or ""
    name = job.material_name or job.material_id or ""
    return " · ".join(p for p in (name, PROCESS_NAMES.get(process, process.upper())) if p)


def work_sheet_html(job: OperatorJob) -> str:
    """The job as the shop needs it: spec, notes, delivery, files with their SHA-256."""
    process = job.process or ""
    verification = VERIFICATION.get(job.verification or "", job.verification or "")
    if job.verification_note and job.verification == "failed":
        # (an adjusted job's note is about the customer's tokens: not the shop's business)
        verification = f"{verification}: {job.verification_note}"
    rows = [("Status", status_label(job.status)),
            ("Verification", verification),
            ("Material", job.material_name or job.material_id or ""),
            ("Process", PROCESS_NAMES.get(process, process.upper())),
            ("Quantity", job.quantity),
            ("Tolerance", f"±{job.tolerance_mm} mm" if job.tolerance_mm else ""),
            ("Finish", job.finish or ""),
            ("Submitted", fmt_time(job.created_at)), ("Updated", fmt_time(job.updated_at))]
    if job.verified_volume_cm3 is not None:
        rows.append(("Measured volume", f"{job.verified_volume_cm3:.3f} cm³"))
    if job.verified_board_area_cm2 is not None:
        rows.append(("Board", f"{job.verified_board_area_cm2:.2f} cm², "
                              f"{job.verified_copper_layers or '?'} copper layers"))
    if job.reorder_of:
        rows.append(("Reorder of", f"job {job.reorder_of[:8]} (the same files)"))
    body = "".join(_row(k, v) for k, v in rows if v not in ("", None))
    parts = [f"<h3>Job {escape(job.id)}</h3><table>{body}</table>"]
    parts.append("<h4>Delivery instructions</h4>"
                 f"<p>{escape(job.delivery_instructions or 'None given.')}</p>")
    parts.append(f"<h4>Notes</h4><p>{escape(job.notes or 'None given.')}</p>")
    parts.append("<h4>Files</h4>")
    for f in job.files:
        gone = f" · deleted {fmt_time(f.deleted_at)}" if f.deleted_at else ""
        parts.append(f"<p><b>{escape(f.file_name)}</b><br>{escape(f.kind)} · "
                     f"{escape(fmt_bytes(f.size_bytes))}{escape(gone)}<br>"
                     f"<span style='color:{hint_css()}'>SHA-256 "
                     f"{escape(f.sha256 or '?')}</span></p>")
    return "".join(parts)


def reading_of(analysis: dict[str, Any] | None) -> tuple[float | None, dict[str, str] | None]:
    """How the customer chose to read a file (a unit rescale, Gerber layers assigned by
    hand), from the analysis their app sent: the operator sees the part as it was priced."""
    analysis = analysis or {}
    mesh = analysis.get("mesh")
    scale = mesh.get("scale") if isinstance(mesh, dict) else None
    if not isinstance(scale, int | float) or scale <= 0 or scale == 1:
        scale = None
    gerber = analysis.get("gerber")
    layers: dict[str, str] = {}
    for layer in (gerber.get("layers") if isinstance(gerber, dict) else None) or []:
        if (isinstance(layer, dict) and layer.get("recognised_by") == "user"
                and isinstance(layer.get("file"), str)):
            # the layer dialog's keys are "role side" ("copper top", "outline")
            layers[layer["file"]] = f"{layer.get('role') or ''} {layer.get('side') or ''}".strip()
    return (float(scale) if scale else None), (layers or None)
