"""A queue that is no series on upstream (an unrelated history, another branch with merges): status says so."""

from __future__ import annotations

import pytest

from tests.builder import RepoBuilder
from tests.test_bad_input import status_json, uq
from tests.test_divergence import DOWN, QUEUE, UP, Scenario, source


@pytest.fixture
def sc(builder: RepoBuilder) -> Scenario:
    """Upstream with one change, downstream with two of its own and upstream merged in."""
    s = Scenario(builder)
    s.up("vl: upstream's change", {"vl.c": source("vl", l2="upstream();")})
    s.down("kvm: one", {"kvm-all.c": source("kvm", l2="one();")})
    s.merge_upstream_into_downstream()
    s.down("kvm: two", {"kvm-all.c": source("kvm", l3="two();")})
    return s


def test_a_queue_with_no_history_in_common_with_upstream_is_warned_about(
        sc: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    sc.b.commit("an unrelated root\n", {"other.c": "x\n"}, parents=[], ref=QUEUE)
    for _ in range(2):  # computed, then the remembered answer: the warning comes with both
        data = status_json(capsys, sc.path, "--queue", QUEUE)
        assert [w for w in data["warnings"] if "shares no history with upstream" in w] == [
            "The queue uq/master shares no history with upstream, so any commit in its history may show as queued. "
            "Check which branch the profile names as its queue."]


def test_a_queue_holding_merges_is_warned_about(sc: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    for _ in range(2):
        data = status_json(capsys, sc.path, "--queue", DOWN)  # the downstream branch named as the queue
        assert data["summary"]["queued"] == 2
        assert any(w.startswith("The queue down holds 1 merge commit on top of upstream") for w in data["warnings"])
    code, _, err = uq(capsys, "--repo", str(sc.path), "status", "--downstream", DOWN, "--upstream", UP,
                      "--queue", DOWN)
    assert code == 0 and "warning: The queue down holds 1 merge commit" in err


def test_a_series_on_upstream_gets_no_warning(sc: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    sc.queue("kvm: one", {"kvm-all.c": source("kvm", l2="one();")})
    data = status_json(capsys, sc.path, "--queue", QUEUE)
    assert data["warnings"] == [] and data["summary"]["queued"] == 1
