"""Every mutation is a command: it plans its ref and config changes, then the runner applies them
through the operation log, so each one can be undone."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from .config import restore_sections
from .oplog import ConfigChange, Operation, OperationLog
from .refs import RefChange, update_refs
from .repo import Repo


@dataclass
class Plan:
    """What a command will change, computed without changing anything (new objects aside)."""

    description: str
    refs: list[RefChange] = field(default_factory=list)
    config: list[ConfigChange] = field(default_factory=list)
    result: Any = None


class Command(Protocol):
    """A mutation named as a verb phrase (PickCommits, AddProfile...)."""

    name: str

    def plan(self, repo: Repo) -> Plan:
        """Compute the changes; raise a UqError (and change nothing) when it cannot be done."""
        ...


@dataclass
class Outcome:
    """A command that ran: its log entry and whatever it returned."""

    operation: Operation
    result: Any


def execute(repo: Repo, log: OperationLog, command: Command) -> Outcome:
    """Plan COMMAND, record it as pending, move its refs atomically, apply config, mark it done."""
    plan = command.plan(repo)
    op_id = log.begin(command.name, plan.description, plan.refs, plan.config)
    try:
        update_refs(repo.git_dir, plan.refs, f"uq {command.name}: {plan.description}")
    except BaseException:
        log.abort(op_id)
        raise
    try:
        restore_sections(repo, plan.config)
    except BaseException:
        restore_sections(repo, [ConfigChange(c.section, c.new, c.old) for c in plan.config])
        update_refs(repo.git_dir, [r.reversed() for r in plan.refs], f"uq {command.name}: rolled back")
        log.abort(op_id)
        raise
    log.finish(op_id)
    operation = Operation(op_id, 0.0, command.name, plan.description, plan.refs, plan.config, "done")
    return Outcome(operation, plan.result)
