"""Panes, dialogs and the main window."""
