"""The command palette (Ctrl+Shift+P): every action of the window by name, filtered as you type, Enter runs it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QAbstractListModel, QEvent, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QListView, QMenu, QVBoxLayout, QWidget

AnyIndex = QModelIndex | QPersistentModelIndex
ACTION_ROLE = Qt.ItemDataRole.UserRole + 60
MAX_MENU_DEPTH = 3


def action_name(action: QAction) -> str:
    """An action's text as a person reads it: no '&' mnemonics, no trailing ellipsis."""
    text = action.text().replace("&&", "\0").replace("&", "").replace("\0", "&")
    return text.rstrip("…").rstrip(".").strip()


def matches(name: str, query: str) -> bool:
    """True when every word of QUERY is in NAME (case-insensitive), or its initials spell it ("ncp")."""
    words = query.casefold().split()
    folded = name.casefold()
    if all(w in folded for w in words):
        return True
    initials = "".join(part[0] for part in folded.replace("-", " ").split() if part)
    return len(words) == 1 and len(words[0]) > 1 and initials.startswith(words[0])


class ActionListModel(QAbstractListModel):
    """Actions with their menu path and shortcut; a filter keeps those a query matches."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._all: list[tuple[QAction, str]] = []  # (action, where: "Queue" etc.)
        self._shown: list[tuple[QAction, str]] = []

    def set_actions(self, actions: Iterable[tuple[QAction, str]]) -> None:
        """Offer ACTIONS (each with the menu it lives in), sorted by name."""
        self.beginResetModel()
        self._all = sorted(actions, key=lambda pair: action_name(pair[0]).casefold())
        self._shown = list(self._all)
        self.endResetModel()

    def set_query(self, query: str) -> None:
        """Keep the actions QUERY matches (by name or menu); enabled ones first."""
        self.beginResetModel()
        found = [(a, where) for a, where in self._all if matches(f"{action_name(a)} {where}", query)]
        self._shown = sorted(found, key=lambda pair: not pair[0].isEnabled())
        self.endResetModel()

    def action_at(self, row: int) -> QAction | None:
        """The action shown at ROW."""
        return self._shown[row][0] if 0 <= row < len(self._shown) else None

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        """Actions shown."""
        return 0 if parent.isValid() else len(self._shown)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Name, menu and shortcut; the action itself under ACTION_ROLE."""
        if not index.isValid() or not 0 <= index.row() < len(self._shown):
            return None
        action, where = self._shown[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            checked = " ✓" if action.isCheckable() and action.isChecked() else ""
            text = f"{where}: {action_name(action)}{checked}" if where else f"{action_name(action)}{checked}"
            return f"{text}    {keys}" if keys else text
        if role == Qt.ItemDataRole.ToolTipRole:
            return action.toolTip() or action_name(action)
        if role == Qt.ItemDataRole.DecorationRole:
            return action.icon()
        if role == Qt.ItemDataRole.AccessibleTextRole:
            keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            state = "" if action.isEnabled() else ", unavailable"
            return f"{action_name(action)}{', ' + keys if keys else ''}{state}"
        if role == ACTION_ROLE:
            return action
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        """Disabled actions are listed but cannot be chosen."""
        action = self.action_at(index.row()) if index.isValid() else None
        if action is None:
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
        return base | Qt.ItemFlag.ItemIsEnabled if action.isEnabled() else base


def window_actions(window: QWidget) -> list[tuple[QAction, str]]:
    """Every named action of WINDOW's menus (with the menu's name), then any other action it owns."""
    found: list[tuple[QAction, str]] = []
    seen: set[int] = set()

    def walk(actions: Iterable[QAction], where: str, depth: int) -> None:
        for action in actions:
            menu = action.menu()
            if menu is not None:
                if depth < MAX_MENU_DEPTH and isinstance(menu, QMenu):
                    walk(menu.actions(), action_name(action), depth + 1)
                continue
            if action.isSeparator() or not action_name(action) or id(action) in seen:
                continue
            if action.property("inPalette") is False:  # e.g. the palette's own action
                continue
            seen.add(id(action))
            found.append((action, where))

    menu_bar = getattr(window, "menuBar", None)
    if menu_bar is not None:
        walk(menu_bar().actions(), "", 0)
    walk(window.findChildren(QAction), "", MAX_MENU_DEPTH)  # actions outside the menus (toolbar, views)
    return found


class CommandPalette(QDialog):
    """A filter line over the window's actions; Enter (or a click) runs one; Esc closes."""

    action_run = Signal(object)  # the QAction that was triggered

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.setWindowTitle("Command palette")
        self.setAccessibleName("Command palette")
        self.setWindowFlag(Qt.WindowType.FramelessWindowHint, True)
        self.setObjectName("commandPalette")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        self.query = QLineEdit(self)
        self.query.setPlaceholderText("Type a command…  (Enter runs it, Esc closes)")
        self.query.setAccessibleName("Command to run")
        self.query.setClearButtonEnabled(True)
        self.list = QListView(self)
        self.list.setAccessibleName("Commands")
        self.list.setUniformItemSizes(True)
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # typing stays in the line; arrows move the list
        self.model = ActionListModel(self)
        self.list.setModel(self.model)
        self.hint = QLabel(self)
        self.hint.setObjectName("hint")
        layout.addWidget(self.query)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.hint)
        self.query.textChanged.connect(self._filter)
        self.query.returnPressed.connect(self.run_current)
        self.list.clicked.connect(lambda index: self.run_row(index.row()))
        self.query.installEventFilter(self)
        self.resize(560, 380)

    def open_for(self, actions: Iterable[tuple[QAction, str]]) -> None:
        """Show the palette over ACTIONS, empty query, first row current (opened, never exec()ed)."""
        self.model.set_actions(actions)
        self.query.clear()
        self._filter("")
        parent = self.parentWidget()
        if parent is not None:
            top = parent.mapToGlobal(parent.rect().topLeft())
            self.move(top.x() + (parent.width() - self.width()) // 2, top.y() + 60)
        self.open()
        self.query.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _filter(self, text: str) -> None:
        self.model.set_query(text)
        if self.model.rowCount():
            self.list.setCurrentIndex(self.model.index(0))
        shown = self.model.rowCount()
        self.hint.setText(f"{shown} command{'s' if shown != 1 else ''}" if text else
                          "Every command of the window: type to filter, ↑↓ to choose")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Up/Down/PageUp/PageDown in the query line move through the list."""
        if watched is self.query and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            moves = {Qt.Key.Key_Up: -1, Qt.Key.Key_Down: 1, Qt.Key.Key_PageUp: -10, Qt.Key.Key_PageDown: 10}
            step = moves.get(Qt.Key(event.key()))
            if step is not None and self.model.rowCount():
                row = min(max(self.list.currentIndex().row() + step, 0), self.model.rowCount() - 1)
                self.list.setCurrentIndex(self.model.index(row))
                return True
        return super().eventFilter(watched, event)

    def run_current(self) -> None:
        """Enter: run the current command."""
        self.run_row(self.list.currentIndex().row())

    def run_row(self, row: int) -> None:
        """Run the command at ROW when it is enabled, after closing the palette (focus goes back)."""
        action = self.model.action_at(row)
        if action is None or not action.isEnabled():
            return
        self.accept()
        action.trigger()
        self.action_run.emit(action)
