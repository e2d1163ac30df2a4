from tests.ui.conftest import wait_idle


def test_open(qtbot, opened, scenario):
    assert opened.queue_model.commit_count == 2
    assert opened.downstream_model.rowCount() == 7
