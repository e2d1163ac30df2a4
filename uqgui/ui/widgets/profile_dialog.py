"""A dialog to add a queue profile by picking downstream, upstream and queue among the repository's refs."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QWidget

from ...core.listing import QuickProfile


def free_profile_name(existing: set[str]) -> str:
    """A profile name not taken yet: master, else queue2, queue3…"""
    if "master" not in existing:
        return "master"
    n = 2
    while f"queue{n}" in existing:
        n += 1
    return f"queue{n}"


class ProfileDialog(QDialog):
    """Name + three refs; `profile_accepted` carries a QuickProfile (the window runs AddProfile).

    The dialog stays open while the window adds the profile: succeeded() closes it, failed()
    shows why in it, with everything typed still there.
    """

    profile_accepted = Signal(object)

    def __init__(self, refs: list[str], parent: QWidget | None = None, existing: list[str] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New queue profile")
        self.existing = set(existing or [])
        form = QFormLayout(self)
        intro = QLabel("A profile names the three refs of one queue: the downstream fork, the upstream tree, "
                       "and the local branch holding the queue (created at upstream when it does not exist).")
        intro.setWordWrap(True)
        form.addRow(intro)
        self.name = QLineEdit(free_profile_name(self.existing), self)
        self.name.setAccessibleName("Profile name")
        self.downstream = self._refs_box(refs, ("qemu-kvm/master",))
        self.upstream = self._refs_box(refs, ("qemu/master", "origin/master"))
        self.branch = QComboBox(self)
        self.branch.setEditable(True)
        self.branch.addItems(["uq/master"] + [r for r in refs if "/" not in r or r.startswith("uq/")])
        self.branch.setAccessibleName("Queue branch")
        form.addRow("&Name:", self.name)
        form.addRow("&Downstream:", self.downstream)
        form.addRow("&Upstream:", self.upstream)
        form.addRow("&Queue branch:", self.branch)
        self.problem = QLabel(self)
        self.problem.setWordWrap(True)
        form.addRow(self.problem)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        parent=self)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)

    def _refs_box(self, refs: list[str], preferred: tuple[str, ...]) -> QComboBox:
        box = QComboBox(self)
        box.setEditable(True)
        box.addItems(refs)
        for name in preferred:
            if name in refs:
                box.setCurrentText(name)
                break
        box.setAccessibleName("Ref")
        return box

    def profile(self) -> QuickProfile:
        """The profile the fields describe (the worker turns it into the core's Profile)."""
        return QuickProfile(self.name.text().strip(), self.downstream.currentText().strip(),
                       self.upstream.currentText().strip(), self.branch.currentText().strip())

    def _accept(self) -> None:
        p = self.profile()
        if not (p.name and p.downstream and p.upstream and p.branch):
            self.problem.setText("Fill in every field.")
            return
        if p.downstream == p.upstream:
            self.problem.setText("Downstream and upstream must be different refs.")
            return
        if p.name in self.existing:
            self.problem.setText(f"A profile named {p.name} exists already; choose another name.")
            return
        self.problem.setText(f"Adding profile {p.name}…")
        self.buttons.setEnabled(False)
        self.profile_accepted.emit(p)

    def succeeded(self) -> None:
        """The profile was added: close."""
        self.accept()

    def failed(self, message: str) -> None:
        """The profile could not be added: say why here, and let the user change the fields."""
        self.problem.setText(message)
        self.buttons.setEnabled(True)
