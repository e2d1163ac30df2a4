"""Every mutation is a command: it plans its ref and config changes, then the runner applies them
through the operation log, so each one can be undone."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from .oplog import ConfigChange, Operation, OperationLog
from .refs import RefChange
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
    """Plan COMMAND and apply it through the log: all of it happens, or none of it (see oplog).

    Planning runs under the log's lock too, so two uq processes do not plan from the same state
    and then have one of them refused; a plain git moving a ref meanwhile is still caught by
    the compare-and-swap when the refs move.
    """
    with log.lock():
        plan = command.plan(repo)
        operation = log.record(command.name, plan.description, plan.refs, plan.config)
    return Outcome(operation, plan.result)
