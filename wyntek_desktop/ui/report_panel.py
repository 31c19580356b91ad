"""The manufacturability report beside the 3D view: errors, warnings, facts, layers."""

from __future__ import annotations

from html import escape
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QTextBrowser, QVBoxLayout, QWidget

_ICON = {"error": "●", "warning": "▲", "info": "●"}
_COLOR = {"error": "#e05555", "warning": "#d9a520", "info": "#6aa6e0"}


def _mm(v: float) -> str:
    return f"{v:,.2f}"


def report_html(report: Any, file_name: str) -> str:
    parts = [f"<h3>{escape(file_name)}</h3>"]
    findings = list(getattr(report, "findings", []) or [])
    if not findings:
        parts.append("<p style='color:#5cb85c'>● No problems found.</p>")
    for f in sorted(findings, key=lambda f: ("error", "warning", "info").index(f.severity)
                    if f.severity in ("error", "warning", "info") else 3):
        parts.append(f"<p style='color:{_COLOR.get(f.severity, '#ccc')}'>"
                     f"{_ICON.get(f.severity, '')} <b>{escape(f.severity.capitalize())}:</b> "
                     f"{escape(f.message)}</p>")
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


def _table(rows: list[tuple[str, str]]) -> str:
    body = "".join(f"<tr><td style='color:#999;padding-right:12px'>{k}</td><td>{v}</td></tr>"
                   for k, v in rows)
    return f"<table cellspacing='2'>{body}</table>"


class ReportPanel(QWidget):
    rescale_requested = Signal(float)
    assign_layers_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._scale = 1.0  # the factor the rescale button offers
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.browser = QTextBrowser(self)
        self.browser.setAccessibleName("Manufacturability report")
        self.browser.setOpenLinks(False)
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
        self.browser.setHtml(f"<p style='color:#999'>{escape(text)}</p>")
        self._hide_actions()

    def show_progress(self, file_name: str, message: str) -> None:
        self.browser.setHtml(f"<h3>{escape(file_name)}</h3><p style='color:#999'>"
                             f"{escape(message or 'Checking…')}</p>")
        self._hide_actions()

    def show_report(self, report: Any, file_name: str) -> None:
        self.browser.setHtml(report_html(report, file_name))
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
        self.browser.setHtml(f"<h3>{escape(file_name)}</h3><p style='color:#e05555'>● "
                             f"{escape(message)}</p>")
        self._hide_actions()

    def text(self) -> str:
        return self.browser.toPlainText()
