"""Test isolation: no user git config, HOME/XDG in tmp, offscreen Qt, no network, fixed clock."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from tests.builder import RepoBuilder  # noqa: E402


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Give every test its own HOME and XDG dirs and a git that ignores the user's config."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    for var, sub in (("XDG_CONFIG_HOME", ".config"), ("XDG_DATA_HOME", ".local/share"),
                     ("XDG_CACHE_HOME", ".cache"), ("XDG_STATE_HOME", ".local/state")):
        (home / sub).mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv(var, str(home / sub))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    (home / ".gitconfig").write_text(
        "[user]\n\tname = Queue Maintainer\n\temail = maintainer@example.org\n"
        "[commit]\n\tgpgsign = false\n[tag]\n\tgpgsign = false\n"
        "[protocol]\n\tallow = never\n[init]\n\tdefaultBranch = master\n"
    )
    monkeypatch.setenv("GIT_COMMITTER_DATE", "1300000000 +0000")
    monkeypatch.setenv("GIT_AUTHOR_DATE", "1300000000 +0000")
    for var in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "EMAIL", "GIT_AUTHOR_NAME",
                "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    monkeypatch.setenv("https_proxy", "http://127.0.0.1:9")
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    import pygit2

    # libgit2 caches the global config search path at load; point it at the isolated HOME.
    pygit2.settings.search_path[pygit2.GIT_CONFIG_LEVEL_GLOBAL] = str(home)
    pygit2.settings.search_path[pygit2.GIT_CONFIG_LEVEL_XDG] = str(home / ".config")
    pygit2.settings.search_path[pygit2.GIT_CONFIG_LEVEL_SYSTEM] = str(home / "nonexistent")
    return home


@pytest.fixture
def builder(tmp_path: Path) -> RepoBuilder:
    """A fresh repository with a fixed clock."""
    return RepoBuilder(tmp_path / "repo")
