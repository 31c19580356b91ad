"""Prepare: open files, look at them, check them, fill the spec, queue or submit."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QIcon, QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from wyntek_desktop.core.errors import WyntekError
from wyntek_desktop.ui.balance_notice import ShortfallNotice
from wyntek_desktop.ui.dialogs.confirm import confirm_submit
from wyntek_desktop.ui.estimate import job_estimate
from wyntek_desktop.ui.file_actions import file_actions
from wyntek_desktop.ui.layer_dialog import LayerDialog
from wyntek_desktop.ui.models import fmt_bytes
from wyntek_desktop.ui.part_inspector import PartInspector
from wyntek_desktop.ui.report_panel import ReportPanel
from wyntek_desktop.ui.sheet_preview import SheetPreview
from wyntek_desktop.ui.spec_form import SpecForm
from wyntek_desktop.ui.viewer import MeshView
from wyntek_desktop.ui.widgets import Page, heading

if TYPE_CHECKING:
    from wyntek_desktop.design.tasks import PreviewData

# Design work is named, not imported: the design package loads numpy, which the GUI
# thread must not wait for; it is imported in the worker or the helper process.
TASKS = "wyntek_desktop.design.tasks:"
PREVIEWS = "wyntek_desktop.design.preview_tasks:"
SHEET_SIZE = 1200   # pixels along the longer edge of a board or page picture
# kinds drawn as a picture (board, drawing) where a mesh would be
SHEET_KINDS = ("gerber", "drawing")
THUMBNAIL_KINDS = ("model", "gerber", "drawing")
KIND_ICONS = {"model": "model.svg", "drawing": "drawing.svg", "gerber": "gerber.svg",
              "other": "other.svg"}
# what the 3D view says about a file it cannot show in 3D
NO_3D_VIEW = {"drawing": "is a drawing (PDF): it has no 3D view and is attached as is.",
              "gerber": "is a Gerber archive: its layers are listed in the report below.",
              "other": "is an attachment: it has no 3D view and is sent as is."}
# reports that depend on the chosen material (and so on the process): checked again
# when it changes
MATERIAL_DEPENDENT_KINDS = ("model", "gerber")


class FitWidthDelegate(QStyledItemDelegate):
    """Rows as wide as the list, so Qt elides a long name instead of widening the row."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
                 ) -> QSize:
        hint = super().sizeHint(option, index)
        view = self.parent()
        if isinstance(view, QListWidget):
            hint.setWidth(min(hint.width(), max(view.viewport().width() - 2, 40)))
        return hint


def icon(name: str) -> QIcon:
    from wyntek_desktop.ui.resources import resources_folder
    return QIcon(str(resources_folder() / "icons" / name))


@dataclass
class PreparedFile:
    path: Path
    kind: str = "other"
    size: int = 0
    report: Any = None
    error: str | None = None
    scale: float | None = None
    status: str = "Reading…"
    known: bool = False          # kind and size read (a worker stats the file)
    layers: dict[str, str] = field(default_factory=dict)  # Gerber layers assigned by hand

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def blocking(self) -> bool:
        return bool(self.error) or bool(self.report is not None and self.report.blocking)


class PreparePage(Page):
    title = "Prepare"
    job_queued = Signal(str, bool)     # client_job_id, submit now
    recent_file_opened = Signal(str)
    buy_tokens_requested = Signal(int)   # tokens short

    def __init__(self, services: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.files: list[PreparedFile] = []
        self.setAcceptDrops(True)
        self._shown_path: Path | None = None
        self._preview_started: float | None = None
        self.preview_ms: float | None = None
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.setObjectName("prepare-splitter")
        split.setChildrenCollapsible(False)
        # files
        left = QWidget(split)
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addWidget(heading("Files"))
        self.file_list = QListWidget(left)
        self.file_list.setAccessibleName("Opened files")
        self.file_list.setIconSize(QSize(48, 48))
        # long names are shortened in the middle (the whole path is the tooltip), never
        # hidden behind a horizontal scroll bar
        self.file_list.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.file_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.file_list.setWordWrap(False)
        self.file_list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.file_list.setItemDelegate(FitWidthDelegate(self.file_list))
        self.file_list.currentRowChanged.connect(self._on_select)
        lv.addWidget(self.file_list, 1)
        row = QHBoxLayout()
        self.open_button = QPushButton("Open…", left)
        self.open_button.setAccessibleName("Open design files")
        self.open_button.setToolTip("Ctrl+O")
        self.open_button.clicked.connect(self.open_dialog)
        self.remove_button = QPushButton("Remove", left)
        self.remove_button.setAccessibleName("Remove the selected file")
        self.remove_button.clicked.connect(self.remove_selected)
        self.retry_button = QPushButton("Retry", left)
        self.retry_button.setAccessibleName("Check the selected file again")
        self.retry_button.setToolTip("Check the selected file again")
        self.retry_button.clicked.connect(self.retry_selected)
        row.addWidget(self.open_button)
        row.addWidget(self.remove_button)
        row.addWidget(self.retry_button)
        lv.addLayout(row)
        file_actions(self)
        # view + report
        middle = QSplitter(Qt.Orientation.Vertical, split)
        middle.setObjectName("prepare-view-splitter")
        self.view_stack = QStackedWidget(middle)
        self.view = MeshView(self.view_stack)
        self.view.first_frame.connect(self._on_first_frame)
        self.sheet = SheetPreview(self.view_stack)
        self.sheet.page_requested.connect(self._request_page)
        self.view_stack.addWidget(self.view)
        self.view_stack.addWidget(self.sheet)
        self._sheets: dict[Path, Any] = {}   # board pictures by file (both sides)
        self.report = ReportPanel(middle)
        self.report.rescale_requested.connect(self.rescale_current)
        self.report.assign_layers_requested.connect(self.assign_layers)
        middle.setStretchFactor(0, 3)
        middle.setStretchFactor(1, 2)
        # spec
        right = QWidget(split)
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        rv.addWidget(heading("Job"))
        self.spec = SpecForm(right)
        rv.addWidget(self.spec, 1)
        self.shortfall = ShortfallNotice(right)
        self.shortfall.buy.clicked.connect(
            lambda: self.buy_tokens_requested.emit(self.shortfall.short))
        rv.addWidget(self.shortfall)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 4)
        split.setStretchFactor(2, 1)
        split.setSizes([250, 660, 340])
        self.splitter = split
        self.body.addWidget(split)
        self.spec.changed.connect(self.revalidate)
        self.spec.add_button.clicked.connect(lambda: self.queue_job(submit=False))
        self.spec.submit_button.clicked.connect(lambda: self.queue_job(submit=True))
        services.catalogue_changed.connect(lambda c: self.spec.set_materials(list(c.materials)))
        self._last_material: str | None = None
        self._after_preview: set[Path] = set()
        self.layer_dialog: LayerDialog | None = None
        self._view_meshes_after_report: set[Path] = set()
        self.estimate_tokens: int | None = None
        self.confirmation: QMessageBox | None = None
        services.balance_changed.connect(lambda _: self.revalidate())
        self.inspector = PartInspector(self)
        self.revalidate()

    # -- opening --------------------------------------------------------------------------
    def open_dialog(self) -> None:
        from wyntek_desktop.design.formats import SUPPORTED_EXTENSIONS

        exts = " ".join(f"*{e}" for e in SUPPORTED_EXTENSIONS)
        names, _ = QFileDialog.getOpenFileNames(
            self, "Open design files", "", f"Design files ({exts});;All files (*)")
        if names:
            self.open_paths(names)

    def open_paths(self, paths: list[str]) -> None:
        """Expand folders and add files (in a worker: walking folders is file I/O)."""
        self.services.call_named(TASKS + "expand_paths", [str(p) for p in paths],
                                 on_result=self._add_files, on_error=self.show_error)

    def _add_files(self, paths: list[Path]) -> None:
        known = {f.path for f in self.files}
        new = [p for p in paths if p not in known]
        again = list(dict.fromkeys(p for p in paths if p in known))
        if not paths:
            self.show_error("No supported design files were found there.")
        elif again and not new:
            # opening a listed file again is not an error: say so and show it
            self.file_list.setCurrentRow(next(i for i, f in enumerate(self.files)
                                              if f.path == again[0]))
            self.show_info(f"{again[0].name} is already in the list; it is selected."
                           if len(again) == 1 else
                           f"These {len(again)} files are already in the list.")
        elif again:
            self.show_info(f"{len(again)} of the files are already in the list and were "
                           "not added twice.")
        for path in new:
            pf = PreparedFile(path)
            self.files.append(pf)
            item = QListWidgetItem(icon(KIND_ICONS["other"]), path.name)
            item.setToolTip(str(path))
            self.file_list.addItem(item)
            self.services.call_named(
                TASKS + "file_facts", path,
                on_result=lambda facts, pf=pf: self._got_facts(pf, facts),
                on_error=lambda err, pf=pf: self._file_failed(pf, str(err)))
            self.recent_file_opened.emit(str(path))
        if new:
            self.file_list.setCurrentRow(self.file_list.count() - len(new))
        self.revalidate()

    def _got_facts(self, pf: PreparedFile, facts: tuple[str, int]) -> None:
        if pf not in self.files:
            return
        pf.kind, pf.size = facts
        pf.known = True
        self._refresh_item(pf)
        self._request_list_thumbnail(pf)
        if pf is self.current() and pf.kind == "model" and not self.view.wants_thumbnail:
            # first paint first: the analysis competes for the CPU, it starts after
            self._after_preview.add(pf.path)
            self._show(pf)
            return
        self._analyse(pf)
        if pf is self.current():
            self._show(pf)

    def _analyse(self, pf: PreparedFile) -> None:
        pf.status = "Checking…"
        pf.report = None
        self._refresh_item(pf)
        if pf is self.current():  # the old report no longer holds: never show it stale
            self.report.show_progress(pf.path.name, pf.status)
        material = self.spec.selected_material()
        self.services.call_in_process(
            self.inspector.check_target, pf.path, material, pf.scale, pf.layers or None,
            on_result=lambda res, pf=pf: self._got_report(pf, self.inspector.checked(pf, res)),
            on_error=lambda err, pf=pf: self._file_failed(pf, str(err)),
            on_progress=lambda f, msg, pf=pf: self._analysis_progress(pf, f, msg),
            latest=f"analyze:{pf.path}")

    def _analysis_progress(self, pf: PreparedFile, fraction: float, message: str) -> None:
        pf.status = f"Checking… {fraction:.0%}"
        if pf is self.current():
            self.report.show_progress(pf.path.name, f"{message} ({fraction:.0%})")

    def _got_report(self, pf: PreparedFile, report: Any) -> None:
        if pf not in self.files:
            return
        pf.report, pf.error = report, None
        n_err, n_warn = len(report.errors()), len(report.warnings())
        pf.status = (f"{n_err} error(s)" if n_err else
                     f"{n_warn} warning(s)" if n_warn else "OK")
        self._refresh_item(pf)
        if pf is self.current():
            self.report.show_report(report, pf.path.name)
            if pf.path in self._sheets and self._shown_path == pf.path:
                self._got_board(pf.path, self._sheets[pf.path])  # the report's board size
        self._report_settled(pf)
        if pf is self.current():
            self.inspector.report_shown(pf)  # after the view's own helper work
        self.revalidate()

    def _file_failed(self, pf: PreparedFile, message: str) -> None:
        if pf not in self.files:
            return
        pf.error, pf.status = message, "Cannot be read"
        pf.known = True
        self._refresh_item(pf)
        if pf is self.current():
            self.retry_button.setEnabled(True)
            self.report.show_error(pf.path.name, message)
        self._report_settled(pf)
        self.revalidate()

    def _refresh_item(self, pf: PreparedFile) -> None:
        row = self.files.index(pf)
        item = self.file_list.item(row)
        item.setText(f"{pf.path.name}\n{pf.kind} · {fmt_bytes(pf.size)} · {pf.status}")
        if not item.data(Qt.ItemDataRole.UserRole):
            item.setIcon(icon(KIND_ICONS.get(pf.kind, "other.svg")))

    # -- showing ----------------------------------------------------------------------------
    def current(self) -> PreparedFile | None:
        row = self.file_list.currentRow()
        return self.files[row] if 0 <= row < len(self.files) else None

    def _on_select(self, row: int) -> None:
        pf = self.current()
        self.retry_button.setEnabled(bool(pf is not None and pf.error))
        if pf is None:
            self.report.show_text("Open a design file (Ctrl+O) or drop files here.")
            self.view_stack.setCurrentWidget(self.view)
            self.view.show_message("Open a design file to see it here")
            self._shown_path = None
            return
        self._show(pf)

    def _show(self, pf: PreparedFile) -> None:
        if pf.error:
            self.report.show_error(pf.path.name, pf.error)
        elif pf.report is not None:
            self.report.show_report(pf.report, pf.path.name)
            self.inspector.report_shown(pf)
        else:
            self.report.show_progress(pf.path.name, pf.status)
        if not pf.known:
            return
        if pf.kind != "model" or self._shown_path == pf.path:
            if pf.kind in SHEET_KINDS and self._shown_path != pf.path:
                self._shown_path = pf.path
                self._show_sheet(pf)
            elif pf.kind != "model":
                self.view_stack.setCurrentWidget(self.view)
                self.view.show_message(f"{pf.path.name} "
                                       + NO_3D_VIEW.get(pf.kind, NO_3D_VIEW["other"]))
                self._shown_path = pf.path
            return
        self.view_stack.setCurrentWidget(self.view)
        self._shown_path = pf.path
        if self.view.wants_thumbnail:
            self.services.call_in_process(TASKS + "thumbnail", pf.path, 512, pf.scale,
                               on_result=lambda png, p=pf.path: self._got_thumbnail(p, png),
                               on_error=lambda err: self.view.show_message(str(err)),
                               latest="preview")
        else:
            self._preview_started = time.perf_counter()
            self.services.call_named(
                TASKS + "load_preview", pf.path, pf.scale, True,
                on_result=lambda data, p=pf.path: self._got_preview(p, data),
                on_error=lambda err, p=pf.path: self._preview_failed(p, err),
                on_finished=lambda p=pf.path: self._start_deferred_analysis(p),
                latest="preview")

    # -- boards and drawings ------------------------------------------------------------------
    def _show_sheet(self, pf: PreparedFile) -> None:
        """A Gerber archive's board or a PDF's first page, drawn in the helper process."""
        self.view_stack.setCurrentWidget(self.sheet)
        if pf.kind == "gerber":
            cached = self._sheets.get(pf.path)
            if cached is not None:
                self._got_board(pf.path, cached)
                return
            self.sheet.show_message(f"Drawing the board of {pf.path.name}…")
            self.services.call_in_process(
                PREVIEWS + "board_previews", pf.path, dict(pf.layers) or None, SHEET_SIZE,
                on_result=lambda images, p=pf.path: self._got_board(p, images),
                on_error=lambda err, p=pf.path: self._sheet_failed(p, err),
                latest="sheet")
        else:
            self.sheet.show_message(f"Drawing the first page of {pf.path.name}…")
            self._request_page(0)

    def _request_page(self, index: int) -> None:
        pf = self.current()
        if pf is None or pf.kind != "drawing":
            return
        self.services.call_in_process(
            PREVIEWS + "pdf_page", pf.path, index, SHEET_SIZE,
            on_result=lambda page, p=pf.path: self._got_page(p, page),
            on_error=lambda err, p=pf.path: self._sheet_failed(p, err),
            latest="sheet")

    def _got_board(self, path: Path, images: Any) -> None:
        self._sheets[path] = images
        if self._shown_path == path:
            width, height = images.width_mm, images.height_mm
            pf = next((f for f in self.files if f.path == path), None)
            gerber = getattr(getattr(pf, "report", None), "gerber", None)
            if gerber is not None and gerber.outline_mm:  # the size the report gives
                width, height = gerber.outline_mm
            self.sheet.show_board(path.name, images.top, images.bottom, width, height,
                                  images.notes)

    def _got_page(self, path: Path, page: Any) -> None:
        if self._shown_path == path:
            self.sheet.show_page(path.name, page.png, page.index, page.pages, page.width_mm,
                                 page.height_mm)

    def _sheet_failed(self, path: Path, err: Any) -> None:
        if self._shown_path == path:
            self.sheet.show_message(f"{path.name} cannot be drawn: {err}")

    # -- the file list's pictures -----------------------------------------------------------
    def _request_list_thumbnail(self, pf: PreparedFile) -> None:
        """A picture of the file instead of the kind's icon (made in the helper process,
        kept by content hash beside the Jobs page's pictures)."""
        if pf.kind not in THUMBNAIL_KINDS:
            return
        from wyntek_desktop.core.appdirs import AppDirs
        self.services.call_in_process(
            PREVIEWS + "list_thumbnail", pf.path, pf.kind, AppDirs.default().thumbnails,
            pf.scale, on_result=lambda png, pf=pf: self._got_list_thumbnail(pf, png),
            on_error=lambda err: None)  # the kind's icon stays; the report says why

    def _got_list_thumbnail(self, pf: PreparedFile, png: bytes) -> None:
        if pf not in self.files:
            return
        pixmap = pixmap_from_png(png)
        if pixmap.isNull():
            return
        item = self.file_list.item(self.files.index(pf))
        item.setIcon(QIcon(pixmap))
        item.setData(Qt.ItemDataRole.UserRole, "thumbnail")

    def _preview_failed(self, path: Path, err: Any) -> None:
        self._start_deferred_analysis(path)
        if self._shown_path == path:
            self.view.show_message(str(err))

    def _got_thumbnail(self, path: Path, png: bytes) -> None:
        if self._shown_path == path:
            self.view.set_thumbnail(png)

    def _start_deferred_analysis(self, path: Path) -> None:
        if path in self._after_preview:
            self._after_preview.discard(path)
            pf = next((f for f in self.files if f.path == path), None)
            if pf is not None:
                self._analyse(pf)

    def _got_preview(self, path: Path, data: PreviewData) -> None:
        self._start_deferred_analysis(path)
        if self._shown_path != path:
            return
        self.view.set_mesh(data.triangles, data.lo, data.hi, data.units or "mm",
                           data.quick_lod, normals=data.normals,
                           lod_normals=data.quick_normals, total=data.total,
                           stand_in=data.stand_in)
        self.inspector.mesh_shown(path)
        if data.lod_wanted:
            self._request_view_meshes(path)

    def _request_view_meshes(self, path: Path) -> None:
        """Decimated copies, made in the helper process after the file's report (the
        report decides the job; until then a quick stand-in is drawn)."""
        pf = next((f for f in self.files if f.path == path), None)
        if pf is None:
            return
        if pf.report is None and not pf.error:
            self._view_meshes_after_report.add(path)
            return
        self.services.call_in_process(
            self.inspector.view_meshes_target, path, pf.scale,
            on_result=lambda meshes, p=path: self._got_view_meshes(p, meshes),
            on_error=lambda err, p=path: self._view_meshes_failed(p, err),
            latest="lod")

    def _report_settled(self, pf: PreparedFile) -> None:
        if pf.path in self._view_meshes_after_report:
            self._view_meshes_after_report.discard(pf.path)
            if self._shown_path == pf.path:
                self._request_view_meshes(pf.path)

    def _got_view_meshes(self, path: Path, meshes: Any) -> None:
        """The decimated copies: drawn while moving and, for a big mesh, when still."""
        if self._shown_path != path:
            return
        if meshes.still is not None:
            self.view.set_still(meshes.still, meshes.still_normals)
        self.view.set_lod(meshes.moving, meshes.moving_normals, getattr(meshes, "coarser", None))

    def _view_meshes_failed(self, path: Path, err: Any) -> None:
        if self._shown_path == path:
            self.show_error(f"The simplified 3D view of {path.name} could not be made: {err}")

    def _on_first_frame(self, ms: float) -> None:
        if self._preview_started is not None:
            self.preview_ms = (time.perf_counter() - self._preview_started) * 1000
            self._preview_started = None

    # -- editing ------------------------------------------------------------------------------
    def remove_selected(self) -> None:
        row = self.file_list.currentRow()
        if 0 <= row < len(self.files):
            self.files.pop(row)
            self.file_list.takeItem(row)
            self._shown_path = None
            self._on_select(self.file_list.currentRow())
            self.revalidate()

    def retry_selected(self) -> None:
        """Check a file whose check failed again, from reading it (it may have changed)."""
        pf = self.current()
        if pf is None or not pf.error:
            return
        pf.error, pf.report, pf.known, pf.status = None, None, False, "Reading…"
        self.retry_button.setEnabled(False)
        self._refresh_item(pf)
        self._shown_path = None
        self._show(pf)
        self.services.call_named(
            TASKS + "file_facts", pf.path,
            on_result=lambda facts, pf=pf: self._got_facts(pf, facts),
            on_error=lambda err, pf=pf: self._file_failed(pf, str(err)))
        self.revalidate()

    def clear_files(self) -> None:
        self.files.clear()
        self.file_list.clear()
        self._shown_path = None
        self._on_select(-1)
        self.revalidate()

    def rescale_current(self, scale: float) -> None:
        pf = self.current()
        if pf is not None:
            pf.scale = scale
            self._shown_path = None
            self._analyse(pf)
            self._show(pf)

    def assign_layers(self) -> None:
        """Let the person say which archive file is which layer; checked again after."""
        pf = self.current()
        if pf is None or pf.report is None or getattr(pf.report, "gerber", None) is None:
            return
        dialog = LayerDialog(pf.report, pf.layers, self)
        self.layer_dialog = dialog
        dialog.accepted.connect(lambda: self._layers_chosen(pf, dialog.assignments()))
        dialog.open()

    def _layers_chosen(self, pf: PreparedFile, layers: dict[str, str]) -> None:
        if pf in self.files and layers != pf.layers:
            pf.layers = layers
            self._sheets.pop(pf.path, None)  # the board is drawn from the new layers
            self._shown_path = None
            self._analyse(pf)
            if pf is self.current():
                self._show(pf)
            self.revalidate()

    def volume_cm3(self) -> float:
        return float(sum(getattr(f.report, "volume_cm3", 0.0) or 0.0 for f in self.files
                         if f.report is not None))

    def board(self) -> tuple[float | None, int | None]:
        """The Gerber board's area (cm2) and copper layers, measured as the service does."""
        from wyntek_desktop.core.pricing import board_measurements
        return board_measurements(f.report for f in self.files if f.report is not None)

    def job_spec(self) -> dict[str, Any]:
        spec = self.spec.spec(self.volume_cm3())
        area, layers = self.board()
        if area is not None:
            spec["board_area_cm2"] = area
        if layers is not None:
            spec["copper_layers"] = layers
        return spec

    def estimate(self, material: Any) -> int | None:
        """Tokens the service will charge for these files, or None if they cannot be priced."""
        return job_estimate(self.files, material, self.spec.quantity.value(),
                            self.spec.tolerance.value(), *self.spec.board_options()).tokens

    def revalidate(self) -> None:
        material = self.spec.selected_material()
        mid = getattr(material, "id", None)
        if mid != self._last_material and self._last_material is not None:
            # the fit in the build volume, the process checks and whether a Gerber
            # archive can be made at all depend on the material
            for pf in self.files:
                if pf.known and pf.kind in MATERIAL_DEPENDENT_KINDS and not pf.error:
                    self._analyse(pf)
        self._last_material = mid
        problems = self.spec.problems_list()
        if not self.files:
            problems.insert(0, "Open at least one design file.")
        pending = [f for f in self.files if f.report is None and not f.error]
        if pending:
            problems.append(f"Checking {len(pending)} file(s)…")
        for f in self.files:
            if f.blocking:
                problems.append(f"{f.path.name}: fix the errors in its report first.")
        estimate = job_estimate(self.files, material, self.spec.quantity.value(),
                                self.spec.tolerance.value(), *self.spec.board_options())
        self.spec.estimate.setText(estimate.text)
        self.spec.set_breakdown(estimate.lines)
        self.last_estimate = estimate
        self.spec.set_problems(problems + estimate.problems)
        self.estimate_tokens = estimate.tokens
        self._check_balance(ready=not problems and not estimate.problems)

    def _check_balance(self, ready: bool) -> None:
        """Submit waits for enough tokens; the notice says so first, with the shortfall
        (once nothing else stands in the way: then it is the one thing to do)."""
        balance = self.services.balance if self.services.signed_in else None
        estimate = self.estimate_tokens if ready else None
        if self.shortfall.update_for(balance, estimate):
            self.spec.submit_button.setEnabled(False)
            self.spec.submit_button.setToolTip(self.shortfall.label.text())
        else:
            self.spec.submit_button.setToolTip("Ctrl+Return")

    # -- queueing -------------------------------------------------------------------------------
    def can_queue(self, submit: bool = True) -> bool:
        return (self.spec.submit_button if submit else self.spec.add_button).isEnabled()

    def queue_job(self, submit: bool) -> None:
        if not self.can_queue(submit):
            reason = (self.spec.problems.text() or
                      (self.shortfall.label.text() if self.shortfall.isVisibleTo(self)
                       else "The job is not ready yet."))
            self.show_error(reason)
            return
        if submit:
            self.confirmation = confirm_submit(self, self.estimate_tokens,
                                               self.services.balance, len(self.files),
                                               lambda: self._queue(True))
        else:
            self._queue(False)

    def _queue(self, submit: bool) -> None:
        outbox = self.services.outbox
        if outbox is None:
            self.show_error("The outbox cannot be opened; see the log for details.")
            return
        from wyntek_desktop.core.outbox import FileInput

        # Nothing is uploaded for a job the balance cannot pay for.
        balance = self.services.balance
        material = self.spec.selected_material()
        if submit and balance is not None and material is not None:
            cost = self.estimate(material)
            if cost is not None and cost > balance:
                self.show_error(f"This job costs {cost:,} tokens and your balance is "
                                f"{balance:,}; buy tokens on the Tokens page, or add the job "
                                "to the outbox as a draft for later.")
                return
        spec = self.job_spec()
        inputs = [FileInput(f.path, f.kind, f.report.to_dict() if f.report is not None else None)
                  for f in self.files]
        self.spec.set_problems(["Adding the job to the outbox…"])

        originals = [(f.path, f.scale) for f in self.files]  # same order as the job's files

        def add(state: Any) -> Any:
            return outbox.add_job(spec, inputs, queue=submit)

        def done(job: Any) -> None:
            client_job_id = str(job.client_job_id)
            self._cache_thumbnails(job, originals)
            self.services.outbox_changed.emit()
            if submit:
                self.services.kick_uploads()
                if not self.services.signed_in:
                    self.show_info("Queued: it will be sent once you are signed in and online.")
            else:
                self.show_info("Added to the outbox as a draft.")
            self.spec.clear_job_fields()
            self.clear_files()
            self.job_queued.emit(client_job_id, submit)
        def failed(err: WyntekError) -> None:
            self.show_error(err)
            self.revalidate()
        self.services.call(add, on_result=done, on_error=failed)

    def _cache_thumbnails(self, job: Any, originals: list[tuple[Path, float | None]]) -> None:
        """Pictures for the Jobs page, made in the helper process, named by SHA-256."""
        from wyntek_desktop.core.appdirs import AppDirs
        dirs = AppDirs.default()
        for f in job.files:
            if f.kind == "model" and 0 <= f.index < len(originals):
                source, scale = originals[f.index]
                self.services.call_in_process(TASKS + "cache_thumbnail", source,
                                              dirs.thumbnail_file(f.sha256), scale,
                                              on_error=lambda err: None)

    # -- drag and drop ---------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.open_paths(paths)

    def shutdown(self) -> None:
        self.view.shutdown()


def pixmap_from_png(png: bytes) -> QPixmap:
    pix = QPixmap()
    pix.loadFromData(png, "PNG")
    return pix
