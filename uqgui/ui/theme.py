"""Light and dark palettes, and the command-line choice between them and the system's.

The system palette is the default (a desktop in dark mode gives a dark one). `--theme dark` or
`--theme light` force one of ours, on the Fusion style unless `--style` names another: native
styles (GTK, Windows) may ignore a palette, Fusion draws with it. Every colour the views add of
their own (state badges, diff lines) is picked from the palette's base lightness, so both read.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

THEMES = ("system", "light", "dark")
FORCED_STYLE = "Fusion"

Role = QPalette.ColorRole
Group = QPalette.ColorGroup


def _palette(colors: dict[QPalette.ColorRole, str], disabled: dict[QPalette.ColorRole, str]) -> QPalette:
    palette = QPalette()
    for role, value in colors.items():
        palette.setColor(role, QColor(value))
    for role, value in disabled.items():
        palette.setColor(Group.Disabled, role, QColor(value))
    return palette


def dark_palette() -> QPalette:
    """A dark palette with every role set (text on base at least 7:1, placeholders at least 4.5:1)."""
    return _palette({
        Role.Window: "#2b2b2e", Role.WindowText: "#e6e6e6", Role.Base: "#1e1e21", Role.AlternateBase: "#26262a",
        Role.ToolTipBase: "#3a3a40", Role.ToolTipText: "#f0f0f0", Role.PlaceholderText: "#9a9aa2",
        Role.Text: "#e6e6e6", Role.Button: "#35353a", Role.ButtonText: "#e6e6e6", Role.BrightText: "#ff6b6b",
        Role.Light: "#4a4a50", Role.Midlight: "#3e3e44", Role.Mid: "#2f2f34", Role.Dark: "#18181b",
        Role.Shadow: "#000000", Role.Highlight: "#2f65ca", Role.HighlightedText: "#ffffff", Role.Link: "#7fb2ff",
        Role.LinkVisited: "#c59bff", Role.Accent: "#2f65ca",
    }, {
        Role.WindowText: "#7c7c84", Role.Text: "#7c7c84", Role.ButtonText: "#7c7c84", Role.Highlight: "#3a3a40",
        Role.HighlightedText: "#9a9aa2", Role.Base: "#232326", Role.Button: "#2e2e32",
    })


def light_palette() -> QPalette:
    """Fusion's light palette, with the placeholder and link colours made as readable as the dark one's."""
    return _palette({
        Role.Window: "#efefef", Role.WindowText: "#1b1b1b", Role.Base: "#ffffff", Role.AlternateBase: "#f5f5f7",
        Role.ToolTipBase: "#ffffdc", Role.ToolTipText: "#1b1b1b", Role.PlaceholderText: "#6b6b6b",
        Role.Text: "#1b1b1b", Role.Button: "#efefef", Role.ButtonText: "#1b1b1b", Role.BrightText: "#c00000",
        Role.Light: "#ffffff", Role.Midlight: "#e3e3e3", Role.Mid: "#b8b8b8", Role.Dark: "#9f9f9f",
        Role.Shadow: "#767676", Role.Highlight: "#2f65ca", Role.HighlightedText: "#ffffff", Role.Link: "#1a56b0",
        Role.LinkVisited: "#6b2fb0", Role.Accent: "#2f65ca",
    }, {
        Role.WindowText: "#8c8c8c", Role.Text: "#8c8c8c", Role.ButtonText: "#8c8c8c", Role.Highlight: "#c8c8c8",
        Role.HighlightedText: "#ffffff",
    })


def apply_theme(app: QApplication, theme: str = "system", style: str | None = None) -> None:
    """Use THEME ('system', 'light', 'dark') and widget STYLE (a QStyleFactory key) from now on."""
    if theme not in THEMES:
        raise ValueError(f"unknown theme {theme!r} (choose from {', '.join(THEMES)})")
    if style is None and theme != "system":
        style = FORCED_STYLE
    if style:
        if style.casefold() not in (k.casefold() for k in QStyleFactory.keys()):
            raise ValueError(f"unknown style {style!r} (this Qt has {', '.join(QStyleFactory.keys())})")
        app.setStyle(style)
    if theme == "dark":
        app.setPalette(dark_palette())
    elif theme == "light":
        app.setPalette(light_palette())
    else:
        style_object = app.style()
        app.setPalette(style_object.standardPalette() if style else QGuiApplication.palette())
    refresh_style_sheet(app)


def refresh_style_sheet(app: QApplication) -> None:
    """Apply the application's style sheet again, so widgets it polished take the new palette.

    Measured: after QApplication.setPalette(), widgets already polished under a style sheet kept
    a white base (the sheet's palette() references are resolved at polish time).
    """
    sheet = app.styleSheet()
    if sheet:
        app.setStyleSheet("")
        app.setStyleSheet(sheet)


def contrast(a: QColor, b: QColor) -> float:
    """The WCAG contrast ratio of two colours (1 to 21)."""
    def luminance(c: QColor) -> float:
        def channel(v: float) -> float:
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
        return 0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF())
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)
