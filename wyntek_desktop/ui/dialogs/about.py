"""About: version, the licences of bundled components, where data and logs live."""

from __future__ import annotations

from html import escape

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget


def about_html(info: object) -> str:
    from wyntek_desktop.distribution.about import AboutInfo
    assert isinstance(info, AboutInfo)
    folders = info.folders
    rows = "".join(f"<tr><td>{escape(c.name)}</td><td>{escape(c.version)}</td>"
                   f"<td>{escape(c.spdx or 'see licence file')}</td></tr>"
                   for c in info.components)
    return (f"<h2>{escape(info.name)} {escape(info.version)}</h2>"
            f"<p>{escape(info.copyright)}<br>Python {escape(info.python)} on "
            f"{escape(info.platform)}{' (installed app)' if info.frozen else ''}</p>"
            "<h3>Folders</h3><table>"
            f"<tr><td>Settings</td><td>{escape(str(folders.config))}</td></tr>"
            f"<tr><td>Data (outbox)</td><td>{escape(str(folders.data))}</td></tr>"
            f"<tr><td>Cache</td><td>{escape(str(folders.cache))}</td></tr>"
            f"<tr><td>Logs</td><td>{escape(str(folders.logs))}</td></tr></table>"
            f"<h3>Components and licences</h3><p>Full texts: "
            f"{escape(str(info.licences_folder))}</p>"
            f"<table cellspacing='4'><tr><th align='left'>Component</th>"
            f"<th align='left'>Version</th><th align='left'>Licence</th></tr>{rows}</table>")


class AboutDialog(QDialog):
    def __init__(self, info: object, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About WYNTEK Desktop")
        self.resize(620, 560)
        layout = QVBoxLayout(self)
        self.text = QTextBrowser(self)
        self.text.setAccessibleName("About WYNTEK Desktop")
        self.text.setHtml(about_html(info))
        layout.addWidget(self.text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
