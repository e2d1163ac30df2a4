"""uqgui: a workbench for maintainers of an upstream queue."""

__version__ = "0.1.0"
