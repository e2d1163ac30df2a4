"""The Qt face of uqgui: models, panes and the main window over the Qt-free core."""
