"""A small dialog asking for an https remote's username and password after the server refused the fetch."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)


class CredentialsDialog(QDialog):
    """Username, password and "remember in the system keyring"; shown with open(), never exec()."""

    def __init__(self, site: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Credentials for fetching")
        self.site = site
        form = QFormLayout(self)
        intro = QLabel(f"{site} asks for a username and password to fetch.")
        intro.setWordWrap(True)
        form.addRow(intro)
        self.username = QLineEdit(self)
        self.username.setAccessibleName("Username")
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        self.remember = QCheckBox("&Remember in the system keyring", self)
        self.remember.setChecked(True)
        self.remember.setToolTip("Stored by the Secret Service (never in a file of uqgui); unchecked, the password "
                                 "is used for this fetch only.")
        form.addRow("&Username:", self.username)
        form.addRow("&Password:", self.password)
        form.addRow(self.remember)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        parent=self)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)

    def _accept(self) -> None:
        if not self.username.text().strip():
            self.username.setFocus()
            return
        self.accept()

    def take(self) -> tuple[str, str, bool]:
        """(username, password, remember), clearing the password field so the widget no longer holds it."""
        values = self.username.text().strip(), self.password.text(), self.remember.isChecked()
        self.password.clear()
        return values
