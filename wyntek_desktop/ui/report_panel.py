"""The manufacturability report beside the 3D view: errors, warnings, facts, layers."""

from __future__ import annotations

from html import escape
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QTextBrowser, QVBoxLayout, QWidget

from wyntek_desktop.ui.theme import hint_css

_ICON = {"error": "●", "warning": "▲", "info": "●"}
_COLOR = {"error": "#e05555", "warning": "#d9a520", "info": "#6aa6e0"}



def _mm(v: float) -> str:
    return f"{v:,.2f}"


#: findings that have a place on the part (the view frames it when one is clicked)
FRAMED = ("not_watertight", "non_manifold_edges", "inconsistent_winding",
          "inverted_normals", "degenerate_faces", "thin_walls", "too_large_for_build_volume",
          "fits_rotated", "needs_support")
ESTIMATE_NOTE = (" (an estimate from the volume and area, 2·V/A; the measured wall "
                 "thickness is below)")


def report_html(report: Any, file_name: str, thickness: Any = None,
                linked: bool = False) -> str:
    """The report as HTML. ``linked``: findings with a place on the part are links
    (``finding:<code>``) that frame it in the 3D view. ``thickness``: the measured
    wall thickness (``design.inspect_tasks.ThicknessView``), or the text "measuring"."""
    parts = [f"<h3>{escape(file_name)}</h3>"]
    findings = list(getattr(report, "findings", []) or [])
    if not findings:
        parts.append("<p style='color:#5cb85c'>● No problems found.</p>")
    for f in sorted(findings, key=lambda f: ("error", "warning", "info").index(f.severity)
                    if f.severity in ("error", "warning", "info") else 3):
        message = escape(f.message)
        if f.code == "thin_walls":
            message = message.rstrip(".") + ESTIMATE_NOTE + "."
        if linked and f.code in FRAMED:
            message = (f"<a href='finding:{f.code}' style='color:{_COLOR.get(f.severity)}'>"
                       f"{message}</a> <span style='color:{hint_css()}'>(show on the part)</span>")
        parts.append(f"<p style='color:{_COLOR.get(f.severity, '#ccc')}'>"
                     f"{_ICON.get(f.severity, '')} <b>{escape(f.severity.capitalize())}:</b> "
                     f"{message}</p>")
    mesh = getattr(report, "mesh", None)
    if mesh is not None:
        d = mesh.dimensions_mm
        rows = [
            ("Size", f"{_mm(d[0])} × {_mm(d[1])} × {_mm(d[2])} mm"),  # noqa: RUF001
            ("Units in file", f"{mesh.source_unit} (scale ×{mesh.scale:g})"),  # noqa: RUF001
            ("Volume", f"{mesh.volume_cm3:,.3f} cm³"),
            ("Surface area", f"{mesh.area_mm2 / 100:,.2f} cm²"),
            ("Triangles", f"{mesh.triangles:,}"),
            ("Bodies", str(len(mesh.bodies))),
            ("Watertight", "yes" if mesh.watertight else "no"),
            ("Inverted", "yes" if mesh.inverted else "no"),
            ("Degenerate faces", str(mesh.degenerate_faces)),
        ]
        if mesh.fit is not None:
            fit = mesh.fit
            bv = fit.build_volume_mm
            rows.append(("Build volume", f"{bv[0]:g} × {bv[1]:g} × {bv[2]:g} mm: "  # noqa: RUF001
                         + ("fits" + (f" ({fit.orientation})" if fit.orientation else "")
                            if fit.fits else "does NOT fit")))
        parts.append(_table(rows))
        parts.append(_thickness_html(thickness, linked))
    gerber = getattr(report, "gerber", None)
    if gerber is not None:
        parts.append(f"<p><b>{gerber.copper_layers} copper layers</b>, "
                     f"{gerber.drill_holes} drill holes"
                     + (f", board {gerber.outline_mm[0]:.2f} × {gerber.outline_mm[1]:.2f} mm"  # noqa: RUF001
                        if gerber.outline_mm else "") + "</p>")
        parts.append("<p><b>Recognised layers</b></p>")
        parts.append(_table([(escape(layer.file), f"{layer.role} {layer.side}".strip()
                              + (" (assigned by you)" if layer.recognised_by == "user" else ""))
                             for layer in gerber.layers]))
        if gerber.ignored:
            parts.append("<p><b>Not used</b></p>")
            parts.append(_table([(escape(i.file), escape(i.reason)) for i in gerber.ignored]))
    drawing = getattr(report, "drawing", None)
    if drawing is not None:
        parts.append(f"<p>Drawing with {drawing.pages} page(s), attached as is.</p>")
    return "".join(parts)


def _thickness_html(thickness: Any, linked: bool) -> str:
    """The measured wall thickness (ray cast per face), against the minimum wall."""
    if thickness is None:
        return ""
    if isinstance(thickness, str):
        return (f"<p><b>Wall thickness</b> <span style='color:{hint_css()}'>"
                f"{escape(thickness)}</span></p>")
    thinnest = thickness.thinnest_mm
    wall = thickness.min_wall_mm
    text = (f"thinnest {thinnest:.2f} mm" if thinnest is not None
            else "no opposite walls found (is the mesh closed?)")
    if wall:
        share = thickness.thin_share
        colour = "#e05555" if share > 0 else "#5cb85c"
        verdict = (f"{share:.1%} of the surface is under the {wall:g} mm minimum wall"
                   if share > 0 else f"every wall is at least the {wall:g} mm minimum")
        if share > 0 and linked:
            verdict = f"<a href='finding:thin_walls' style='color:{colour}'>{verdict}</a>"
        text += f"; <span style='color:{colour}'>{verdict}</span>"
    else:
        text += " (this process sets no minimum wall)"
    return (f"<p><b>Wall thickness</b> (measured by ray casting from every face): "
            f"{text}. Press T in the 3D view for the map.</p>")


def _table(rows: list[tuple[str, str]]) -> str:
    grey = hint_css()
    body = "".join(f"<tr><td style='color:{grey};padding-right:12px'>{k}</td><td>{v}</td></tr>"
                   for k, v in rows)
    return f"<table cellspacing='2'>{body}</table>"


class ReportPanel(QWidget):
    rescale_requested = Signal(float)
    assign_layers_requested = Signal()
    finding_activated = Signal(str)   # a finding's code: frame it in the 3D view

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._scale = 1.0  # the factor the rescale button offers
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.browser = QTextBrowser(self)
        self.browser.setAccessibleName("Manufacturability report")
        self.browser.setOpenLinks(False)
        # findings are links: Tab reaches them, Return activates them
        self.browser.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextBrowserInteraction
            | Qt.TextInteractionFlag.LinksAccessibleByKeyboard)
        self.browser.anchorClicked.connect(self._anchor)
        self.linked = False          # findings are links (a 3D view can frame them)
        self._report: Any = None
        self._file_name = ""
        self._thickness: Any = None
        layout.addWidget(self.browser, 1)
        row = QHBoxLayout()
        self._scale = 1.0
        self.rescale = QPushButton(self)
        self.rescale.setAccessibleName("Rescale the part")
        self.rescale.hide()
        self.rescale.clicked.connect(lambda: self.rescale_requested.emit(self._scale))
        row.addWidget(self.rescale)
        self.assign_layers = QPushButton("Assign layers…", self)
        self.assign_layers.setAccessibleName("Assign the archive's files to layers")
        self.assign_layers.setToolTip("Say by hand which file is which layer, for names "
                                      "this app does not recognise")
        self.assign_layers.hide()
        self.assign_layers.clicked.connect(self.assign_layers_requested)
        row.addWidget(self.assign_layers)
        row.addStretch(1)
        layout.addLayout(row)
        self.show_text("Open a design file (Ctrl+O) or drop files here to check them.")

    def _hide_actions(self) -> None:
        self.rescale.hide()
        self.assign_layers.hide()

    def show_text(self, text: str) -> None:
        self._report = None
        self.browser.setHtml(f"<p style='color:{hint_css()}'>{escape(text)}</p>")
        self._hide_actions()

    def show_progress(self, file_name: str, message: str) -> None:
        self._report = None
        self.browser.setHtml(f"<h3>{escape(file_name)}</h3><p style='color:{hint_css()}'>"
                             f"{escape(message or 'Checking…')}</p>")
        self._hide_actions()

    def _anchor(self, url: QUrl) -> None:
        if url.scheme() == "finding":
            self.finding_activated.emit(url.path())

    def set_thickness(self, report: Any, thickness: Any) -> None:
        """Show the measured wall thickness with the report it belongs to."""
        if report is not None and report is self._report:
            self._thickness = thickness
            self._render()

    def _render(self) -> None:
        bar = self.browser.verticalScrollBar().value()
        self.browser.setHtml(report_html(self._report, self._file_name, self._thickness,
                                         self.linked))
        self.browser.verticalScrollBar().setValue(bar)

    def show_report(self, report: Any, file_name: str, thickness: Any = None) -> None:
        self._report, self._file_name, self._thickness = report, file_name, thickness
        self._render()
        self.assign_layers.setVisible(getattr(report, "gerber", None) is not None)
        scale = report.suggested_scale() if hasattr(report, "suggested_scale") else None
        if scale:
            self._scale = scale
            label = "inches → mm" if abs(scale - 25.4) < 1e-6 else f"×{scale:g}"  # noqa: RUF001
            self.rescale.setText(f"Rescale ({label})")
            self.rescale.show()
        else:
            self.rescale.hide()

    def show_error(self, file_name: str, message: str) -> None:
        self._report = None
        self.browser.setHtml(f"<h3>{escape(file_name)}</h3><p style='color:#e05555'>● "
                             f"{escape(message)}</p>")
        self._hide_actions()

    def text(self) -> str:
        return self.browser.toPlainText()
