"""The Delete-my-files confirmation shows its whole text and no progress it does not have."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

from wyntek_desktop.ui.dialogs.delete_files import DeleteFilesDialog, DeletionPlan
from wyntek_desktop.ui.services import Services


def _fits(label: QLabel) -> bool:
    """The wrapped text needs no more height than the label has."""
    return label.heightForWidth(label.width()) <= label.height()


def test_confirmation_is_not_clipped_and_has_no_zero_percent_bar(qtbot) -> None:
    services = Services()
    dialog = DeleteFilesDialog(services)
    qtbot.addWidget(dialog)
    try:
        dialog.show()  # at its default size, as the window opens it
        qtbot.waitExposed(dialog)
        dialog._got_plan(DeletionPlan(files=37, size=1_234_567_890,
                                      active_jobs=["a", "b", "c"]))
        qtbot.wait(50)
        text = dialog.text.text()
        assert "37 stored file(s)" in text and "3 job(s) still in progress" in text
        assert _fits(dialog.text), (dialog.text.size(), dialog.size())
        assert dialog.text.geometry().bottom() < dialog.buttons.geometry().top()
        assert not dialog.progress.isVisible()  # nothing runs: no "0 %"
        assert dialog.delete_button.isEnabled()
        assert dialog.close_button.isEnabled()
    finally:
        dialog.close()
        services.shutdown()


def test_signed_out_it_says_so_instead_of_failing(qtbot) -> None:
    services = Services()
    dialog = DeleteFilesDialog(services)
    qtbot.addWidget(dialog)
    try:
        assert dialog.text.text().startswith("Sign in first")
        assert not dialog.delete_button.isEnabled()
        assert not dialog.progress.isVisible()
    finally:
        services.shutdown()
