"""Bad and odd input, through the `uq` command: clear messages, exit statuses, no tracebacks, nothing half-done."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pygit2
import pytest

from tests.builder import EPOCH, RepoBuilder, git_patch_id
from tests.test_divergence import DOWN, UP, Scenario, person, source
from uqgui import cli

UQ = str(Path(sys.executable).with_name("uq"))


def uq(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run `uq ARGS` in-process; return (exit status, stdout, stderr)."""
    capsys.readouterr()
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def uq_process(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed `uq` as a separate process."""
    proc = subprocess.run([UQ, *args], capture_output=True, text=True, cwd=cwd, env=dict(os.environ), timeout=120,
                          check=False)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def status_json(capsys: pytest.CaptureFixture[str], repo: Path | str, *extra: str) -> dict[str, Any]:
    """`uq --repo REPO status --json --downstream down --upstream up EXTRA`, which must succeed."""
    code, out, err = uq(capsys, "--repo", str(repo), "status", "--json", "--downstream", DOWN, "--upstream", UP, *extra)
    assert code == 0, err
    data: dict[str, Any] = json.loads(out)
    return data


def refs_of(git_dir: Path) -> str:
    """Every ref and where it points, as `git for-each-ref` prints them."""
    return subprocess.run(["git", f"--git-dir={git_dir}", "for-each-ref"], capture_output=True, text=True,
                          check=True).stdout


def by_id(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The `commits` of a status JSON, by id."""
    return {c["id"]: c for c in data["commits"]}


def loose_object(git_dir: Path, oid: str) -> Path:
    """The file of a loose object."""
    path = git_dir / "objects" / oid[:2] / oid[2:]
    assert path.exists(), f"{oid} is not loose"
    return path


def raw_commit(git_dir: Path, tree: str, parents: Sequence[str], author: bytes, message: bytes,
               header: bytes = b"") -> str:
    """Write a commit object byte for byte (odd encodings git itself would never produce)."""
    lines = [b"tree " + tree.encode()] + [b"parent " + p.encode() for p in parents]
    lines += [b"author " + author + b" 1262304000 +0000", b"committer C O Mitter <committer@example.org> 1262304000 +0000"]
    body = b"\n".join(lines) + b"\n" + header + b"\n" + message
    proc = subprocess.run(["git", f"--git-dir={git_dir}", "hash-object", "-t", "commit", "-w", "--stdin"],
                          input=body, capture_output=True, check=True)
    return proc.stdout.decode().strip()


@pytest.fixture
def sc(builder: RepoBuilder) -> Scenario:
    """A fresh scenario."""
    return Scenario(builder)


# -- where there is no usable repository ---------------------------------------------------

def test_not_a_repository(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    code, _, err = uq(capsys, "--repo", str(plain), "status")
    assert code == 1
    assert err.startswith("uq: Not a git repository:") and str(plain) in err
    code, _, err = uq(capsys, "--repo", str(tmp_path / "does-not-exist"), "status")
    assert code == 1  # a path that is not there is called what it is
    assert err.startswith(f"uq: Folder not found: {tmp_path / 'does-not-exist'} does not exist.")
    assert list(plain.iterdir()) == []
    proc = uq_process("status", cwd=plain)
    assert proc.returncode == 1 and "Not a git repository" in proc.stderr


def test_a_file_or_broken_gitfile_is_not_a_repository(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / ".git").write_text("gitdir: /nonexistent/elsewhere\n")
    for target in (a_file, broken):
        code, _, err = uq(capsys, "--repo", str(target), "status", "--downstream", "a", "--upstream", "b")
        assert code == 1 and err.startswith("uq: "), err


def test_empty_repository(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pygit2.init_repository(str(tmp_path / "empty"))
    git_dir = tmp_path / "empty" / ".git"
    code, out, err = uq(capsys, "--repo", str(tmp_path / "empty"), "status", "--downstream", "master",
                        "--upstream", "origin/master")
    assert code == 1
    assert "Empty repository" in err and "no commits yet" in err and "git fetch" in err
    assert not (git_dir / "uqgui").exists()  # nothing created
    code, out, err = uq(capsys, "--repo", str(tmp_path / "empty"), "status", "--json")
    assert code == 1 and "no queue profile" in err
    assert json.loads(out)["error"]  # JSON callers get JSON
    assert refs_of(git_dir) == ""


def test_missing_ref(sc: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    sc.down("kvm: feature", {"kvm-all.c": "x\n"})
    before = refs_of(sc.path)
    code, _, err = uq(capsys, "--repo", str(sc.path), "status", "--downstream", DOWN, "--upstream", "qemu/master")
    assert code == 1
    assert "Unknown revision" in err and "'qemu/master'" in err and "git branch -a" in err
    code, _, err = uq(capsys, "--repo", str(sc.path), "status", "--downstream", DOWN, "--upstream", UP,
                      "--queue", "uq/nope")
    assert code == 1 and "'uq/nope'" in err
    assert refs_of(sc.path) == before


def test_a_tree_or_a_file_where_a_commit_is_needed(sc: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    """`HEAD^{tree}` or `rev:path` exist but are no commits: say so, not 'does not exist'."""
    sc.down("kvm: feature", {"kvm-all.c": "x\n"})
    code, _, err = uq(capsys, "--repo", str(sc.path), "status", "--downstream", f"{DOWN}^{{tree}}", "--upstream", UP)
    assert code == 1 and "names a tree, not a commit" in err and "Traceback" not in err
    code, _, err = uq(capsys, "--repo", str(sc.path), "status", "--downstream", f"{DOWN}:kvm-all.c", "--upstream", UP)
    assert code == 1 and "names a file (blob), not a commit" in err


def test_missing_ref_named_by_a_profile(sc: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    d = sc.down("kvm: feature", {"kvm-all.c": "x\n"})
    code, _, err = uq(capsys, "--repo", str(sc.path), "profile", "add", "master", "--downstream", DOWN, "--upstream", UP)
    assert code == 0, err
    sc.b.repo.references.delete(UP)
    before = refs_of(sc.path)
    code, _, err = uq(capsys, "--repo", str(sc.path), "status")
    assert code == 1 and "Unknown revision" in err and UP in err
    code, _, err = uq(capsys, "--repo", str(sc.path), "pick", d)
    assert code == 1 and "uq: " in err
    assert refs_of(sc.path) == before


def test_revision_that_is_not_a_commit(sc: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    blob = sc.b.repo.create_blob(b"not a commit")
    sc.b.ref("refs/tags/a-blob", str(blob))
    code, _, err = uq(capsys, "--repo", str(sc.path), "status", "--downstream", DOWN, "--upstream", "a-blob")
    assert code == 1 and "a-blob" in err


def test_revision_expressions_work(sc: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    sc.down("kvm: one", {"kvm-all.c": "1\n"})
    d2 = sc.down("kvm: two", {"kvm-all.c": "2\n"})
    data = status_json(capsys, sc.path)
    assert data["summary"]["downstream_only"] == 2
    code, out, err = uq(capsys, "--repo", str(sc.path), "status", "--json", "--downstream", f"{DOWN}~1",
                        "--upstream", sc.root[:10])
    assert code == 0, err
    assert d2 not in by_id(json.loads(out)) and json.loads(out)["summary"]["downstream_only"] == 1


# -- repositories of every shape -------------------------------------------------------------

def test_bare_repository_everything_works(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    b = RepoBuilder(tmp_path / "bare.git", bare=True)
    sc = Scenario(b)
    change = {"hw/apic.c": source("apic", l5="x();")}
    landed = sc.down("apic: landed", change)
    remaining = sc.down("vl: remaining", {"vl.c": source("vl", l5="z();")})
    sc.up("apic: landed", change)
    repo = str(tmp_path / "bare.git")
    assert uq(capsys, "--repo", repo, "profile", "add", "master", "--downstream", DOWN, "--upstream", UP)[0] == 0
    code, out, err = uq(capsys, "--repo", repo, "status", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert by_id(data)[landed]["state"] == "landed" and by_id(data)[remaining]["state"] == "remaining"
    code, out, err = uq(capsys, "--repo", repo, "pick", remaining, "--json")
    assert code == 0, err
    data = json.loads(uq(capsys, "--repo", repo, "status", "--json")[1])
    assert by_id(data)[remaining]["state"] == "queued"
    assert uq(capsys, "--repo", repo, "undo")[0] == 0
    data = json.loads(uq(capsys, "--repo", repo, "status", "--json")[1])
    assert by_id(data)[remaining]["state"] == "remaining"
    assert uq(capsys, "--repo", repo, "cache", "clear")[1].strip() == "Cache cleared."
    assert (tmp_path / "bare.git" / "uqgui").is_dir()


def test_shallow_clone_warns(sc: Scenario, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    twin = {"hw/apic.c": source("apic", l5="old();")}
    sc.up("apic: old upstream change", twin)
    for i in range(5):
        sc.up(f"upstream {i}", {"vl.c": source("vl", l1=f"{i}();")})
    sc.down("apic: old upstream change", twin)
    clone = tmp_path / "shallow.git"
    subprocess.run(["git", "-c", "protocol.file.allow=always", "clone", "-q", "--bare", "--depth", "2",
                    "--no-single-branch", f"file://{sc.path}", str(clone)], check=True, capture_output=True)
    assert (clone / "shallow").exists()
    data = status_json(capsys, clone)
    assert any("shallow clone" in w and "git fetch --unshallow" in w for w in data["warnings"])
    code, _, err = uq(capsys, "--repo", str(clone), "status", "--downstream", DOWN, "--upstream", UP)
    assert code == 0 and "warning: This is a shallow clone" in err


def test_detached_head(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    work = tmp_path / "work"
    b = RepoBuilder(work)
    sc = Scenario(b)
    d = sc.down("kvm: detached work", {"kvm-all.c": "d\n"})
    b.git("--work-tree", str(work), "checkout", "-q", "--detach", d)
    assert b.repo.head_is_detached
    code, out, err = uq(capsys, "--repo", str(work), "status", "--json", "--downstream", "HEAD", "--upstream", UP)
    assert code == 0, err
    assert json.loads(out)["downstream"] == d and by_id(json.loads(out))[d]["state"] == "remaining"
    assert b.repo.head_is_detached and str(b.repo.head.target) == d  # untouched


# -- odd commits ---------------------------------------------------------------------------------

def test_latin1_and_latin2_messages_are_decoded(sc: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    git_dir = sc.path
    tree = str(sc.b.tree({"hw/ipf.c": "ia64\n"}, base=sc.root))
    latin1 = raw_commit(git_dir, tree, [sc.root], b"Fran\xe7ois <francois@example.org>",
                        b"ipf: r\xe9parer le d\xe9marrage\n\nCorps du message \xe0 la fran\xe7aise.\n")
    tree2 = str(sc.b.tree({"hw/ipf.c": "ia64 v2\n"}, base=latin1))
    latin2 = raw_commit(git_dir, tree2, [latin1], "Luk\u00e1\u0161 <lukas@example.org>".encode("latin2"),
                        "ipf: P\u0159idat podporu \u010de\u0161tiny\n".encode("latin2"), b"encoding latin2\n")
    tree3 = str(sc.b.tree({"hw/ipf.c": "ia64 v3\n"}, base=latin2))
    utf8 = raw_commit(git_dir, tree3, [latin2], "J\u00fcrgen <j@example.org>".encode(),
                      "ipf: \u00fcberall UTF-8\n".encode())
    sc.b.ref(DOWN, utf8)
    commits = by_id(status_json(capsys, git_dir))
    assert commits[latin1]["subject"] == "ipf: r\u00e9parer le d\u00e9marrage"
    assert commits[latin1]["author"] == "Fran\u00e7ois <francois@example.org>"
    assert commits[latin2]["subject"] == "ipf: P\u0159idat podporu \u010de\u0161tiny"
    assert commits[latin2]["author"] == "Luk\u00e1\u0161 <lukas@example.org>"
    assert commits[utf8]["subject"] == "ipf: \u00fcberall UTF-8"
    # and the text output is readable too
    code, out, _ = uq(capsys, "--repo", str(git_dir), "status", "--downstream", DOWN, "--upstream", UP)
    assert code == 0 and "P\u0159idat podporu \u010de\u0161tiny" in out


def test_latin2_subject_matches_its_utf8_twin_by_subject(sc: Scenario) -> None:
    subject = "ipf: P\u0159idat podporu \u010de\u0161tiny"
    tree = str(sc.b.tree({"hw/ipf.c": "ia64 downstream\n"}, base=sc.root))
    d = raw_commit(sc.path, tree, [sc.root], b"Lukas <lukas@example.org>", (subject + "\n").encode("latin2"),
                   b"encoding latin2\n")
    sc.b.ref(DOWN, d)
    u = sc.up(subject, {"hw/ipf.c": "ia64 upstream\n"}, author=person("Lukas", "lukas@example.org", EPOCH + 9))
    e = next(x for x in sc.run().entries if x.meta.id == d)
    assert e.state == "landed" and e.match is not None and (e.match.id, e.match.how) == (u, "subject")


def test_emails_without_at_empty_messages_and_empty_diffs(sc: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    when = EPOCH + 777
    cvs = sc.down("Import the ia64 port from CVS", {"target-ia64/cpu.h": "ia64\nold\n"},
                  author=person("anthony", "aliguori", when))
    u = sc.up("target-ia64: the ia64 port", {"target-ia64/cpu.h": "ia64\nnew\n"},
              author=person("Anthony", "aliguori", when))
    empty_msg = sc.down("", {"vl.c": source("vl", l3="nomsg();")})
    empty_diff = sc.down("qemu-kvm: mark kvm-88", {})
    empty_both = sc.down("", {})
    data = status_json(capsys, sc.path)
    commits = by_id(data)
    assert commits[cvs]["author"] == "anthony <aliguori>"
    assert commits[cvs]["state"] == "landed" and commits[cvs]["match"]["id"] == u
    assert commits[cvs]["match"]["how"] == "author-date"
    assert commits[empty_msg]["subject"] == "" and commits[empty_msg]["state"] == "remaining"
    assert commits[empty_diff]["no_diff"] and commits[empty_both]["no_diff"]
    assert data["summary"]["no_diff"] == 2
    code, out, _ = uq(capsys, "--repo", str(sc.path), "status", "--downstream", DOWN, "--upstream", UP)
    assert code == 0 and "[empty diff]" in out


def test_odd_changes_through_the_command(sc: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    """Binary files, renames, mode changes, submodules, odd file names: each lands on its upstream twin."""
    gitlink = (pygit2.GIT_FILEMODE_COMMIT, b"1" * 40)
    setup = sc.up("setup", {"roms/seabios": gitlink, "tool.sh": "#!/bin/sh\n", "img.bin": b"\x00\x01" * 50,
                            "old-name.c": source("old")})
    sc.b.ref(DOWN, setup)
    changes: dict[str, dict[str, Any]] = {
        "binary": {"img.bin": b"\x00\x02\x03" * 60},
        "rename": {"old-name.c": None, "new-name.c": source("old")},
        "mode": {"tool.sh": (pygit2.GIT_FILEMODE_BLOB_EXECUTABLE, b"#!/bin/sh\n")},
        "submodule": {"roms/seabios": (pygit2.GIT_FILEMODE_COMMIT, b"2" * 40)},
        "odd names": {"h\u00e9.c": "x\n", "tab\there.c": "y\n", 'quo"te.c': "z\n", "sp ace.c": "w\n"},
    }
    down_ids = {kind: sc.down(f"{kind} downstream", files) for kind, files in changes.items()}
    up_ids: dict[str, str] = {}
    tip = setup
    for kind, files in changes.items():
        tree = sc.b.tree(files, base=tip)
        tip = sc.b.commit(f"{kind} upstream", parents=[tip], tree=tree, author=person("U", "u@example.org", EPOCH + 3))
        up_ids[kind] = tip
    sc.b.ref(UP, tip)
    commits = by_id(status_json(capsys, sc.path))
    for kind, d in down_ids.items():
        c = commits[d]
        assert c["state"] == "landed", kind
        assert c["match"]["how"] == "patch-id" and c["match"]["id"] == up_ids[kind], kind
        assert c["patch_id"] == git_patch_id(sc.path, d), kind
    from uqgui.core.cache import IdentityCache
    from uqgui.core.repo import Repo

    cache = IdentityCache(Repo(sc.path).uq_dir())
    try:
        assert sorted(cache.metas([down_ids["odd names"]])[down_ids["odd names"]].paths) == sorted(
            changes["odd names"])
    finally:
        cache.close()


def test_a_500_file_commit(sc: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    files = {f"kvm/user/test/file{i:03}.c": f"int f{i};\n" * 3 for i in range(500)}
    d = sc.down("Import kvm-userspace test suite", files)
    u = sc.up("Add the kvm unit tests", files, author=person("U", "u@example.org", EPOCH + 3))
    c = by_id(status_json(capsys, sc.path))[d]
    assert c["state"] == "landed" and c["match"]["id"] == u and c["match"]["how"] == "patch-id"
    assert c["patch_id"] == git_patch_id(sc.path, d)


def test_merges_in_the_range(sc: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    topic_base = sc.tip(DOWN)
    t1 = sc.b.commit("topic: first", {"hw/ioapic.c": "1\n"}, parents=[topic_base])
    t2 = sc.b.commit("topic: second", {"hw/ioapic.c": "2\n"}, parents=[t1])
    d = sc.down("kvm: on the main line", {"kvm-all.c": source("kvm", l1="main();")})
    merge_topic = sc.merge(DOWN, t2, "Merge branch 'topic'")
    sc.up("upstream change", {"vl.c": source("vl", l1="u();")})
    merge_up = sc.merge_upstream_into_downstream()
    data = status_json(capsys, sc.path)
    ids = [c["id"] for c in data["commits"]]
    assert sorted(ids) == sorted([t1, t2, d])
    assert merge_topic not in ids and merge_up not in ids


# -- missing objects ---------------------------------------------------------------------------------

def test_missing_blob_of_a_downstream_commit(sc: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    fine = sc.down("kvm: fine", {"kvm-all.c": source("kvm", l2="fine();")})
    damaged = sc.down("apic: damaged", {"hw/apic.c": source("apic", l5="downstream_only_text();")})
    after = sc.down("vl: after", {"vl.c": source("vl", l2="after();")})
    sc.up("kvm: fine", {"kvm-all.c": source("kvm", l2="fine();")})
    sc.up("apic: upstream's own change", {"hw/apic.c": source("apic", l5="upstream_text();")})
    blob = sc.b.repo[damaged].peel(pygit2.Commit).tree["hw/apic.c"].id
    loose_object(sc.path, str(blob)).unlink()
    before = refs_of(sc.path)
    data = status_json(capsys, sc.path)
    commits = by_id(data)
    assert commits[fine]["state"] == "landed" and commits[after]["state"] == "remaining"
    assert commits[damaged]["subject"] == "apic: damaged" and commits[damaged]["unreadable"] is True
    assert commits[damaged]["state"] == "remaining"
    assert any(damaged in w for w in data["warnings"])
    # text mode: the warning is on stderr, the exit status is 0
    proc = uq_process("--repo", str(sc.path), "status", "--downstream", DOWN, "--upstream", UP)
    assert proc.returncode == 0 and damaged in proc.stderr and "warning:" in proc.stderr
    # warm run: the same answer and the same warning
    again = status_json(capsys, sc.path)
    assert again == data
    assert refs_of(sc.path) == before


def test_missing_tree_of_an_upstream_commit(sc: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    d_landed = sc.down("kvm: landed", {"kvm-all.c": source("kvm", l2="landed();")})
    d_remaining = sc.down("vl: remaining", {"vl.c": source("vl", l2="remaining();")})
    sc.up("kvm: landed", {"kvm-all.c": source("kvm", l2="landed();")})
    broken = sc.up("hw: upstream commit whose tree is lost", {"hw/new-device.c": "unique content 12345\n"})
    child = sc.up("hw: its child", {"hw/other.c": "more\n"})
    tree = sc.b.repo[broken].peel(pygit2.Commit).tree_id
    loose_object(sc.path, str(tree)).unlink()
    data = status_json(capsys, sc.path)
    commits = by_id(data)
    assert commits[d_landed]["state"] == "landed" and commits[d_remaining]["state"] == "remaining"
    assert any(broken in w for w in data["warnings"])
    assert all("Traceback" not in w for w in data["warnings"])
    assert any(child in w for w in data["warnings"])  # its diff needs the lost tree too
    assert len(data["warnings"]) == 2
    assert status_json(capsys, sc.path) == data  # warm: same answer, the warning persists


def test_missing_downstream_commit_object_tree(sc: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    """A downstream-only commit whose own tree is lost still shows with its subject, and a warning."""
    d = sc.down("qemu-kvm: tree lost", {"qemu-kvm.c": "lost 98765\n"})
    sc.down("qemu-kvm: next", {"qemu-kvm.c": "lost 98765\nnext\n"})
    loose_object(sc.path, str(sc.b.repo[d].peel(pygit2.Commit).tree_id)).unlink()
    data = status_json(capsys, sc.path)
    c = by_id(data)[d]
    assert c["subject"] == "qemu-kvm: tree lost" and c["unreadable"] is True and c["state"] == "remaining"
    assert any(d in w for w in data["warnings"])


def _plain_repo(path: Path) -> dict[str, str]:
    """A repository made with the git command (base, then 'change a' on branch up); returns its env."""
    env = {**os.environ, "GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@x", "GIT_COMMITTER_NAME": "a",
           "GIT_COMMITTER_EMAIL": "a@x", "GIT_AUTHOR_DATE": "1262304000 +0000", "GIT_COMMITTER_DATE": "1262304000 +0000"}
    for args in (["init", "-q", "-b", "up", str(path)],):
        subprocess.run(["git", *args], check=True, env=env)
    (path / "a").write_text("a\n")
    for args in (["add", "a"], ["commit", "-qm", "base"], ["branch", "down"]):
        subprocess.run(["git", "-C", str(path), *args], check=True, env=env)
    (path / "a").write_text("b\n")
    subprocess.run(["git", "-C", str(path), "commit", "-qam", "change a"], check=True, env=env)
    return env


def test_an_author_name_holding_control_bytes_is_read_whole(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """git accepts \\x01 in a name (fsck too); the metadata walk once split its fields on that byte."""
    repo = tmp_path / "r"
    env = _plain_repo(repo)
    subprocess.run(["git", "-C", str(repo), "checkout", "-q", "down"], check=True, env=env)
    (repo / "a").write_text("b\n")
    subprocess.run(["git", "-C", str(repo), "commit", "-qam", "change a"], check=True,
                   env={**env, "GIT_AUTHOR_NAME": "Jane\x01Doe", "GIT_AUTHOR_EMAIL": "j\x01d@x"})
    code, out, err = uq(capsys, "--repo", str(repo), "status", "--json", "--downstream", "down", "--upstream", "up")
    assert code == 0, err
    entry = json.loads(out)["commits"][0]
    assert entry["author"] == "Jane\x01Doe <j\x01d@x>" and entry["state"] == "landed"
    assert entry["match"]["how"] == "patch-id" and entry["author_time"] == 1262304000


def test_an_author_date_beyond_64_bits_is_kept_as_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Such a commit fails git fsck (badDateOverflow) but git reads it: uq reads the rest of it too."""
    repo = tmp_path / "r"
    env = _plain_repo(repo)

    def rev(name: str) -> str:
        return subprocess.run(["git", "-C", str(repo), "rev-parse", name], capture_output=True, text=True,
                              check=True).stdout.strip()

    raw = (f"tree {rev('up^{tree}')}\nparent {rev('down')}\nauthor a <a@x> 18446744073709551615 +0000\n"
           "committer a <a@x> 1 +0000\n\nchange a\n")
    odd = subprocess.run(["git", "-C", str(repo), "hash-object", "-t", "commit", "--literally", "-w", "--stdin"],
                         input=raw, capture_output=True, text=True, check=True, env=env).stdout.strip()
    subprocess.run(["git", "-C", str(repo), "update-ref", "refs/heads/down", odd], check=True)
    subprocess.run(["git", "-C", str(repo), "checkout", "-q", "down"], check=True, env=env)
    (repo / "c").write_text("c\n")
    for args in (["add", "c"], ["commit", "-qm", "add c"]):
        subprocess.run(["git", "-C", str(repo), *args], check=True, env=env)
    code, out, err = uq(capsys, "--repo", str(repo), "status", "--json", "--downstream", "down", "--upstream", "up")
    assert code == 0, err
    odd_entry = next(c for c in json.loads(out)["commits"] if c["id"] == odd)
    assert odd_entry["author_time"] == 0 and odd_entry["state"] == "landed"


def test_binary_patch_ids_follow_git_as_the_repository_grows(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """git's patch-id of a binary change hashes the blob ids of its index line, abbreviated by the size of the
    repository: after 20,000 more objects they are a digit longer and git's patch-ids change. A warm run agrees
    with git then (nothing binary is kept from before), and still finds the exact twin."""
    repo = tmp_path / "r"
    env = {**os.environ, "GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@x", "GIT_COMMITTER_NAME": "a",
           "GIT_COMMITTER_EMAIL": "a@x"}

    def git(*args: str, data: bytes | None = None) -> str:
        return subprocess.run(["git", "-C", str(repo), *args], input=data, capture_output=True, check=True,
                              env=env).stdout.decode()

    def commit(content: bytes, message: str) -> str:
        (repo / "b.bin").write_bytes(content)
        git("commit", "-qam", message)
        return git("rev-parse", "HEAD").strip()

    def patch_id(commit_id: str) -> str:
        return git("patch-id", "--stable", data=git("show", commit_id).encode()).split()[0]

    def status() -> dict[str, dict[str, Any]]:
        code, out, err = uq(capsys, "--repo", str(repo), "status", "--json", "--downstream", "down",
                            "--upstream", "up")
        assert code == 0, err
        return {c["id"]: c for c in json.loads(out)["commits"]}

    subprocess.run(["git", "init", "-q", "-b", "up", str(repo)], check=True, env=env)
    (repo / "b.bin").write_bytes(b"x\0a")
    git("add", "b.bin")
    git("commit", "-qm", "base")
    git("branch", "down")
    twin_up = commit(b"x\0b", "upstream: a to b")
    git("checkout", "-q", "down")
    early = [commit(b"x\0c", "downstream: a to c"), commit(b"x\0a", "downstream: c to a")]
    before = {c: patch_id(c) for c in early}
    assert {c: e["patch_id"] for c, e in status().items()} == before
    blobs = b"".join(b"blob\ndata %d\n%s\n" % (len(b"blob %d" % n), b"blob %d" % n) for n in range(20000))
    git("fast-import", "--quiet", data=blobs)
    after = {c: patch_id(c) for c in early}
    assert after != before  # git's own patch-ids moved with the abbreviation
    assert {c: e["patch_id"] for c, e in status().items()} == after  # same tips: no answer from before
    twin_down = commit(b"x\0b", "downstream: a to b, as upstream did")
    found = status()[twin_down]
    assert found["patch_id"] == patch_id(twin_down) == patch_id(twin_up)
    assert found["state"] == "landed" and found["match"]["how"] == "patch-id" and found["match"]["id"] == twin_up
