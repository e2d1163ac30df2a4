"""The main window at the keyboard: panes, the Tab ring, the command palette, accessible names."""

# Each method takes `self: MainWindow`, which mypy calls an erased self type not a supertype of the
# mixin (misc): it is the class the mixin is only ever part of, and the bodies are checked against it.
# mypy: disable-error-code="misc"

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from .command_palette import CommandPalette
    from .main_window import MainWindow  # types only: main_window imports this module


class KeyboardMixin:
    """MainWindow at the keyboard: panes, the Tab ring, the palette, accessible names (a part of MainWindow)."""

    def open_palette(self: MainWindow) -> CommandPalette:
        """Ctrl+Shift+P: the command palette over every action (opened, never exec()ed)."""
        from .command_palette import CommandPalette, window_actions

        palette = getattr(self, "palette_dialog", None)
        if palette is None:
            palette = self.palette_dialog = CommandPalette(self)
        palette.open_for(window_actions(self))
        return palette

    def panes(self: MainWindow) -> list[QWidget]:
        """The widgets Tab and Ctrl+1/2/3 move between: downstream list, queue, details."""
        return [self.downstream_pane.view, self.queue_pane.view, self.details_pane.tabs]

    def focus_pane(self: MainWindow, which: int) -> None:
        """Put the keyboard focus in pane WHICH (0 downstream, 1 queue, 2 details)."""
        target: QWidget = self.panes()[which]
        if which == 2:
            # The current tab's text or list, not the Diff tab's switch: that is what the keys should reach.
            views = [w for w in self.details_pane.current_views() if w is not self.details_pane.diff.switch]
            target = views[0] if views else target
        target.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def tab_stops(self: MainWindow) -> list[QWidget]:
        """What Tab visits, in order: filters, downstream list, queue, the details' tab bar and current tab, history."""
        pane = self.downstream_pane
        stops: list[QWidget] = [pane.text_filter, pane.state_filter, pane.path_filter, pane.author_filter,
                                pane.view, self.queue_pane.view, self.details_pane.tabs.tabBar(),
                                *self.details_pane.current_views(), self.history_pane.view]
        # A floating history dock is a window of its own, with its own Tab ring.
        return [w for w in stops if w.window() is self and w.isVisibleTo(self) and w.isEnabled()
                and w.focusPolicy() & Qt.FocusPolicy.TabFocus]

    def _set_tab_order(self: MainWindow) -> None:
        """The focus chain in tab_stops() order, for what walks it (focusNextPrevChild does not need it)."""
        pane = self.downstream_pane
        # The tab widget as a whole (Qt orders its tab bar and pages inside it), never a hidden page.
        chain: list[QWidget] = [pane.text_filter, pane.state_filter, pane.path_filter, pane.author_filter,
                                pane.view, self.queue_pane.view]
        if self._details_pane is not None:
            chain.append(self._details_pane.tabs)
        chain.append(self.history_pane.view)
        for first, second in zip(chain, chain[1:]):
            QWidget.setTabOrder(first, second)

    def _name_for_assistive_technology(self: MainWindow) -> None:
        """Accessible names of the containers (the lists and fields name themselves)."""
        for widget, name in ((self.downstream_pane, "Downstream pane"), (self.queue_pane, "Queue pane"),
                             (self.history_pane, "Operation history pane"),
                             (self.splitter, "Downstream and queue"), (self.toolbar, "Main toolbar"),
                             (self.statusBar(), "Status bar"), (self.progress_pane, "Background work")):
            widget.setAccessibleName(name)
