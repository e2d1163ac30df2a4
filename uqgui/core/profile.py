"""Queue profiles: the three refs of the job (and later tests, recipients), kept in git config.

A profile lives in the repository's own config (`[uq "master"] downstream = ...`) so it is
scriptable with `git config` and survives the application.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pygit2

from .commands import Plan
from .config import read_entries, read_section
from .errors import ProfileError, RefNotFoundError, UqError
from .names import (CONFIG_SECTION, DEFAULT_PROFILE_KEY, PROFILE_BRANCH, PROFILE_CC,
                    PROFILE_DOWNSTREAM, PROFILE_TEST, PROFILE_TO, PROFILE_UPSTREAM)
from .oplog import ConfigChange
from .refs import RefChange
from .repo import Repo

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")


@dataclass
class Profile:
    """A named queue: downstream, upstream and queue branch, plus test command and recipients."""

    name: str
    downstream: str
    upstream: str
    branch: str
    test: str | None = None
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)

    @property
    def section(self) -> str:
        """Its git config section, `uq.NAME`."""
        return f"{CONFIG_SECTION}.{self.name}"

    def entries(self) -> list[tuple[str, str]]:
        """Its (key, value) config entries."""
        items = [(PROFILE_DOWNSTREAM, self.downstream), (PROFILE_UPSTREAM, self.upstream),
                 (PROFILE_BRANCH, self.branch)]
        if self.test:
            items.append((PROFILE_TEST, self.test))
        items += [(PROFILE_TO, v) for v in self.to] + [(PROFILE_CC, v) for v in self.cc]
        return items

    def to_json(self) -> dict[str, Any]:
        """A plain dict for `uq profile show --json`."""
        return {"name": self.name, "downstream": self.downstream, "upstream": self.upstream, "branch": self.branch,
                "test": self.test, "to": self.to, "cc": self.cc}


def list_profiles(repo: Repo) -> list[Profile]:
    """Every profile configured in the repository, in config order."""
    raw: dict[str, dict[str, list[str]]] = {}
    for key, value in read_entries(repo, r"^uq\..+\.[^.]+$"):
        _, rest = key.split(".", 1)
        name, _, item = rest.rpartition(".")
        raw.setdefault(name, {}).setdefault(item.lower(), []).append(value)
    profiles = []
    for name, items in raw.items():
        def one(k: str) -> str:
            return items.get(k, [""])[-1]
        profiles.append(Profile(name, one(PROFILE_DOWNSTREAM), one(PROFILE_UPSTREAM), one(PROFILE_BRANCH),
                                one(PROFILE_TEST) or None, items.get(PROFILE_TO, []), items.get(PROFILE_CC, [])))
    return profiles


def get_profile(repo: Repo, name: str | None = None, *, explicit_revisions: bool = False,
                choose_with: str = "--profile NAME") -> Profile:
    """The profile NAME, else the default one (uq.defaultProfile, or the only one), checked before use.

    The errors' hints name only what the caller's command takes: EXPLICIT_REVISIONS when it also
    accepts --downstream and --upstream instead of a profile, CHOOSE_WITH how it is given a profile name.
    """
    profiles = {p.name: p for p in list_profiles(repo)}
    if name is None:
        name = repo.config_value(DEFAULT_PROFILE_KEY)
        if name is not None and name not in profiles:
            raise ProfileError(
                f"{DEFAULT_PROFILE_KEY} names '{name}', which is not a profile (known: "
                f"{', '.join(sorted(profiles)) or 'none'}). Fix the default: git config --unset {DEFAULT_PROFILE_KEY}",
                hint=f"Or choose one with {choose_with}.",
            )
        if name is None:
            if len(profiles) == 1:
                name = next(iter(profiles))
            elif not profiles:
                raise ProfileError(
                    "This repository has no queue profile.",
                    hint="Add one: `uq profile add NAME --downstream REF --upstream REF --branch uq/NAME`"
                         + (", or pass --downstream REV and --upstream REV." if explicit_revisions else "."),
                )
            else:
                raise ProfileError(
                    f"This repository has several queue profiles ({', '.join(sorted(profiles))}); "
                    "set a default: git config uq.defaultProfile NAME.",
                    hint=f"Or choose one with {choose_with}.",
                )
    profile = profiles.get(name)
    if profile is None:
        known = ", ".join(sorted(profiles)) or "none"
        raise ProfileError(f"There is no queue profile named '{name}' (known: {known}).",
                           hint="See `uq profile list`.")
    missing = [k for k in (PROFILE_DOWNSTREAM, PROFILE_UPSTREAM, PROFILE_BRANCH) if not getattr(profile, k)]
    if missing:
        raise ProfileError(
            f"Profile '{name}' lacks {', '.join(missing)}. Set it: git config uq.{name}.{missing[0]} REF",
        )
    # A hand-edited profile gets the checks `uq profile add` makes: every command that moves the
    # queue branch loads the profile here first, and must not move an upstream ref or make a HEAD.
    _, problem = queue_branch_problem(repo, profile.branch)
    if problem is not None:
        raise ProfileError(f"Profile '{name}': {problem} Nothing was changed. {_branch_fix(repo, [name])}")
    _require_refs(repo, profile)
    return profile


def queue_branch_problem(repo: Repo, branch: str) -> tuple[str, str | None]:
    """The full ref name of queue branch BRANCH, and why uq must not use it as one (None: it may)."""
    branch_ref = repo.full_ref_name(branch)
    if not branch_ref.startswith("refs/heads/"):
        return branch_ref, (f"The queue branch must be a local branch, not {branch_ref}: uq moves the queue "
                            f"branch, so it would move {branch_ref} instead.")
    short = branch_ref.removeprefix("refs/heads/")
    if short == "HEAD":
        # git branch refuses it; made anyway, every git command warns "refname 'HEAD' is ambiguous".
        return branch_ref, "'HEAD' is not a valid branch name: git refuses it, as it means the checked-out commit."
    if short == "@":
        return branch_ref, "'@' is not a valid branch name: git reads '@' as HEAD, the checked-out commit."
    if short.startswith("-"):
        return branch_ref, f"'{short}' is not a valid branch name: git refuses names starting with '-' (options)."
    if not pygit2.reference_is_valid_name(branch_ref):
        return branch_ref, f"'{short}' is not a valid branch name (see git check-ref-format --branch)."
    return branch_ref, None


def _suggested_branch(repo: Repo, name: str) -> str:
    """A queue branch name for profile NAME that passes queue_branch_problem: uq/NAME if it can."""
    for candidate in (f"uq/{name}", f"refs/heads/uq/{name}"):
        # The short name falls back to a remote-tracking uq/NAME when the local branch is gone.
        if queue_branch_problem(repo, candidate)[1] is None:
            return candidate
    return "uq/QUEUE"


def _branch_fix(repo: Repo, names: list[str]) -> str:
    """How to point the profiles NAMES (those using a bad queue branch) at a local branch."""
    if not names:
        return "Name a local branch (refs/heads/...) as the queue branch."
    return "Point the profile at a local branch: " + "; ".join(
        f"git config uq.{n}.branch {_suggested_branch(repo, n)}" for n in names) + "."


def _require_refs(repo: Repo, profile: Profile) -> None:
    """Refuse a profile whose downstream or upstream does not name a commit, saying how to fix the config."""
    missing: list[str] = []
    for key in (PROFILE_DOWNSTREAM, PROFILE_UPSTREAM):
        value = getattr(profile, key)
        try:
            repo.resolve(value, f"{key} ref of profile '{profile.name}'")
        except RefNotFoundError as exc:
            if not _names_an_object(repo, value):
                missing.append(key)
                continue
            raise ProfileError(
                f"{exc.message} Or correct the profile: git config {profile.section}.{key} REF") from exc
    if not missing:
        return
    values = [getattr(profile, k) for k in missing]
    what = (f"{'an' if missing[0] == PROFILE_UPSTREAM else 'a'} {missing[0]} ref that does not exist: {values[0]}"
            if len(missing) == 1 else
            "refs that do not exist: " + ", ".join(f"{k} {v}" for k, v in zip(missing, values, strict=True)))
    remotes = sorted({r for r in (_remote_of(repo, v) for v in values) if r})
    fetch = f" (git fetch {remotes[0]})" if len(remotes) == 1 else (
        f" (git fetch --multiple {' '.join(remotes)})" if remotes else "")
    it = "it" if len(missing) == 1 else "them"
    fixes = "; ".join(f"git config {profile.section}.{k} REF" for k in missing)
    raise ProfileError(
        f"Profile '{profile.name}' names {what}. Nothing was changed. Fetch {it} from the remote that holds "
        f"{it}{fetch}, or correct the profile: {fixes} (git branch -a lists the refs there are).",
        title="Unknown revision",  # what git calls it, and what `uq status --upstream REV` says too
    )


def _names_an_object(repo: Repo, rev: str) -> bool:
    """True when REV names some object, commit or not."""
    try:
        repo.git.revparse_single(rev)
    except (KeyError, ValueError, pygit2.InvalidSpecError, pygit2.GitError):
        return False
    return True


def _remote_of(repo: Repo, rev: str) -> str | None:
    """The configured remote whose remote-tracking refs hold REV (the longest name: they may hold '/')."""
    try:
        names = list(repo.git.remotes.names())
    except pygit2.GitError:
        return None
    # Spelled out, or short as git takes it ("qemu/master" for refs/remotes/qemu/master).
    found = [n for n in names if n and rev.removeprefix("refs/remotes/").startswith(f"{n}/")]
    return max(found, key=len) if found else None


class AddProfile:
    """Add (or replace) a profile; create its queue branch at upstream when it does not exist."""

    name = "profile-add"

    def __init__(self, profile: Profile, replace: bool = False) -> None:
        self.profile = profile
        self.replace = replace

    def plan(self, repo: Repo) -> Plan:
        """Validate the refs and plan the config section and, if needed, the new queue branch."""
        p = self.profile
        if not _NAME.match(p.name):
            raise ProfileError(f"'{p.name}' is not a valid profile name: use letters, digits, '.', '_', '-' and '/'.")
        old = read_section(repo, p.section)
        if old is not None and not self.replace:
            raise ProfileError(f"Profile '{p.name}' exists already.",
                               hint=f"Remove it first (uq profile remove {p.name}), or use --replace.")
        repo.resolve(p.downstream, "downstream ref")
        up_id = repo.resolve(p.upstream, "upstream ref")
        branch_ref, problem = queue_branch_problem(repo, p.branch)
        if problem is not None:
            raise ProfileError(f"{problem} Nothing was changed. Give a local branch name, such as "
                               f"{_suggested_branch(repo, p.name)}.", hint="(--branch NAME)")
        refuse_symbolic_queue_branch(
            repo, branch_ref, f"Give {{real}} itself, or another name after removing the link: "
                              f"git symbolic-ref --delete {branch_ref}.", "(uq profile add --branch {real})")
        refs = []
        created = ""
        if repo.ref_target(branch_ref) is None:
            refs.append(RefChange(branch_ref, None, up_id))
            created = f", creating {branch_ref.removeprefix('refs/heads/')} at {p.upstream}"
        # Store full ref names: a later tag or branch of the same short name must not change the profile.
        stored = Profile(p.name, _expanded(repo, p.downstream), _expanded(repo, p.upstream),
                         branch_ref.removeprefix("refs/heads/"), p.test, p.to, p.cc)
        return Plan(f"add profile {p.name}{created}", refs, [ConfigChange(p.section, old, stored.entries())],
                    result=stored)


class RemoveProfile:
    """Remove a profile's config section (its queue branch stays: it is the user's work)."""

    name = "profile-remove"

    def __init__(self, profile_name: str) -> None:
        self.profile_name = profile_name

    def plan(self, repo: Repo) -> Plan:
        """Plan dropping the section."""
        section = f"{CONFIG_SECTION}.{self.profile_name}"
        old = read_section(repo, section)
        if old is None:
            raise ProfileError(f"There is no queue profile named '{self.profile_name}'.",
                               hint="See `uq profile list`.")
        changes = [ConfigChange(section, old, None)]
        if repo.config_value(DEFAULT_PROFILE_KEY) == self.profile_name:
            # The default would name nothing: drop it in the same undoable step.
            top = read_section(repo, CONFIG_SECTION) or []
            rest = [(k, v) for k, v in top if k.lower() != DEFAULT_PROFILE_KEY.split(".", 1)[1].lower()]
            changes.append(ConfigChange(CONFIG_SECTION, top, rest or None))
        return Plan(f"remove profile {self.profile_name}", [], changes)


def refuse_symbolic_queue_branch(repo: Repo, branch_ref: str, fix: str, hint: str = "") -> None:
    """Refuse a queue branch uq must not move: not a valid local branch, or a symbolic ref (FIX, HINT: what to do then).

    FIX and HINT may name the branch the symbolic ref points to as {real}.
    """
    # Checked here too, not only in get_profile: callers that hold a branch ref without loading the
    # profile (the window's pick and reorder) reach the queue through this check.
    _, problem = queue_branch_problem(repo, branch_ref)
    if problem is not None:
        raise ProfileError(f"{problem} Nothing was changed. {_branch_fix(repo, _profiles_using(repo, branch_ref))}",
                           title="Queue branch not usable")
    target = repo.symbolic_target(branch_ref)
    if target is None:
        return
    raise ProfileError(
        f"The queue branch {branch_ref} is a symbolic ref to {target}: moving it would move {target} instead "
        f"(perhaps a checked-out branch), and undo could never match it. Nothing was changed. "
        + fix.format(real=target.removeprefix("refs/heads/")),
        title="Queue branch is a symbolic ref", hint=hint.format(real=target.removeprefix("refs/heads/")),
    )


def _profiles_using(repo: Repo, branch_ref: str) -> list[str]:
    """The names of the profiles whose queue branch is BRANCH_REF."""
    names = []
    for p in list_profiles(repo):
        try:
            if p.branch and repo.full_ref_name(p.branch) == branch_ref:
                names.append(p.name)
        except UqError:
            continue  # a name that is not UTF-8 is another profile's problem, reported when it is used
    return names


def _expanded(repo: Repo, rev: str) -> str:
    """REV as a full ref name when it names a ref; anything else (a commit id) as given."""
    full = repo.full_ref_name(rev)
    return full if repo.ref_target(full) is not None else rev


def profile_branch_ref(repo: Repo, profile: Profile) -> str:
    """The full ref name of a profile's queue branch."""
    return repo.full_ref_name(profile.branch)


