"""A dialog to add a queue profile by picking downstream, upstream and queue among the repository's refs."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QWidget

from ...core.quickstart import QuickProfile

QUEUE_PREFIX = "uq/"
MIN_WIDTH_CHARS = 64  # wide enough for a ref name and a two-line error beside the intro


def free_profile_name(existing: set[str]) -> str:
    """A profile name not taken yet: master, else queue2, queue3…"""
    if "master" not in existing:
        return "master"
    n = 2
    while f"queue{n}" in existing:
        n += 1
    return f"queue{n}"


def suggested_branch(name: str, taken: set[str]) -> str:
    """A queue branch for profile NAME that no other profile uses: uq/NAME, else uq/NAME-2…"""
    branch = f"{QUEUE_PREFIX}{name or 'queue'}"
    n = 2
    while branch in taken:
        branch = f"{QUEUE_PREFIX}{name or 'queue'}-{n}"
        n += 1
    return branch


def branch_choices(suggestion: str, branches: Iterable[str], taken: set[str]) -> list[str]:
    """The queue branches to offer: SUGGESTION first, then BRANCHES no profile uses, each once."""
    offered = [suggestion]
    for branch in sorted(branches):
        if branch not in taken and branch not in offered:
            offered.append(branch)
    return offered


class ProfileDialog(QDialog):
    """Name + three refs; `profile_accepted` carries a QuickProfile (the window runs AddProfile).

    The dialog stays open while the window adds the profile: succeeded() closes it, failed()
    shows why in it, with everything typed still there.
    """

    profile_accepted = Signal(object)

    def __init__(self, refs: list[str], parent: QWidget | None = None, existing: list[str] | None = None,
                 branches: list[str] | None = None, used_branches: Iterable[str] = ()) -> None:
        """REFS to choose downstream and upstream from; BRANCHES (local, not checked out) may hold the queue.

        USED_BRANCHES are the queue branches of the EXISTING profiles: never suggested (still typeable).
        """
        super().__init__(parent)
        self.setWindowTitle("New queue profile")
        # Word-wrapped labels take the width they are given: a narrow dialog clips them.
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * MIN_WIDTH_CHARS)
        self.existing = set(existing or [])
        self.used_branches = set(used_branches)
        if branches is None:  # no list of local branches: the names that look like one
            branches = [r for r in refs if "/" not in r or r.startswith(QUEUE_PREFIX)]
        self.branches = list(branches)
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
        self.branch.setAccessibleName("Queue branch")
        self._suggestion = ""
        self._suggest_branch()
        self.name.textEdited.connect(self._name_edited)
        form.addRow("&Name:", self.name)
        form.addRow("&Downstream:", self.downstream)
        form.addRow("&Upstream:", self.upstream)
        form.addRow("&Queue branch:", self.branch)
        self.problem = QLabel(self)
        self.problem.setWordWrap(True)
        self.problem.hide()  # shown with something to say (_say)
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

    def _suggest_branch(self) -> None:
        """Offer uq/NAME (for the name typed) and the free local branches; no branch another profile uses."""
        self._suggestion = suggested_branch(self.name.text().strip(), self.used_branches)
        self.branch.clear()
        self.branch.addItems(branch_choices(self._suggestion, self.branches, self.used_branches))
        self.branch.setCurrentText(self._suggestion)

    def _name_edited(self, _text: str) -> None:
        # The suggestion follows the name until the user chooses or types a branch of their own.
        if self.branch.currentText() == self._suggestion:
            self._suggest_branch()

    def profile(self) -> QuickProfile:
        """The profile the fields describe (the worker turns it into the core's Profile)."""
        return QuickProfile(self.name.text().strip(), self.downstream.currentText().strip(),
                            self.upstream.currentText().strip(), self.branch.currentText().strip())

    def _say(self, text: str) -> None:
        """Show TEXT under the fields; the dialog grows to fit it (never shrinks under the user's size)."""
        self.problem.setText(text)
        self.problem.setVisible(bool(text))
        layout = self.layout()
        if layout is not None:
            layout.activate()
        needed = layout.totalHeightForWidth(self.width()) if layout is not None and layout.hasHeightForWidth() \
            else self.sizeHint().height()
        if needed > self.height():
            self.resize(self.width(), needed)

    def _accept(self) -> None:
        p = self.profile()
        if not (p.name and p.downstream and p.upstream and p.branch):
            self._say("Fill in every field.")
            return
        if p.downstream == p.upstream:
            self._say("Downstream and upstream must be different refs.")
            return
        if p.name in self.existing:
            self._say(f"A profile named {p.name} exists already; choose another name.")
            return
        self._say(f"Adding profile {p.name}…")
        self.buttons.setEnabled(False)
        self.profile_accepted.emit(p)

    def succeeded(self) -> None:
        """The profile was added: close."""
        self.accept()

    def failed(self, message: str) -> None:
        """The profile could not be added: say why here, and let the user change the fields."""
        self._say(message)
        self.buttons.setEnabled(True)
