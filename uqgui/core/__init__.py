"""The Qt-free core of uqgui: repositories, profiles, divergence, commands and the operation log."""
