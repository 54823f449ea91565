import pytest

pytest_plugins = ["tests.lab_fixtures", "tests.fault_matrix_plugin"]


@pytest.fixture(autouse=True)
def _state_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test its own per-machine state (locks, pinned host keys and identities)."""
    monkeypatch.setenv("SSID_ROLLOUT_STATE_DIR", str(tmp_path_factory.mktemp("state")))
