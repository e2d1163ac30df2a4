"""Drag and drop payloads: commit ids under a MIME type of our own, and where they came from."""

from __future__ import annotations

from PySide6.QtCore import QMimeData

COMMIT_IDS_MIME = "application/x-uqgui-commit-ids"
SOURCE_MIME = "application/x-uqgui-source"
SOURCE_DOWNSTREAM = "downstream"
SOURCE_QUEUE = "queue"


def commit_ids_mime(ids: list[str], source: str) -> QMimeData:
    """Mime data carrying IDS (one hex id per line, in pick order) from SOURCE; text for other apps."""
    data = QMimeData()
    payload = "\n".join(ids).encode("ascii")
    data.setData(COMMIT_IDS_MIME, payload)
    data.setData(SOURCE_MIME, source.encode("ascii"))
    data.setText("\n".join(ids))
    return data


def read_commit_ids(data: QMimeData) -> tuple[list[str], str] | None:
    """The (ids, source) a payload carries, or None when it is not ours."""
    if not data.hasFormat(COMMIT_IDS_MIME):
        return None
    ids = [line for line in bytes(data.data(COMMIT_IDS_MIME).data()).decode("ascii", "replace").split() if line]
    source = bytes(data.data(SOURCE_MIME).data()).decode("ascii", "replace")
    return ids, source
