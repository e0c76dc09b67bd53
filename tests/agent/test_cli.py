"""The `flexledger agent` typer app and the agent config file."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from agent.buffer import ReadingBuffer
from agent.cli import app
from agent.config import build_runner, load_config
from agent.errors import AgentError
from ledger.keys import PASSWORD_ENV, keystore_address

runner = CliRunner()


def _config(tmp_path, **extra):
    data = {"asset_id": 3, "chain_id": 1, "verifying_contract": "0x" + "55" * 20,
            "keystore": str(tmp_path / "k.json"), "buffer": str(tmp_path / "b.sqlite"), **extra}
    path = tmp_path / "agent.json"
    path.write_text(json.dumps(data))
    return path


def test_create_keystore_prints_the_address_stored_in_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, "pw")
    result = runner.invoke(app, ["create-keystore", str(tmp_path / "k.json"), "--fast-kdf"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["address"] == keystore_address(tmp_path / "k.json")


def test_create_keystore_without_a_password_fails_with_a_message(tmp_path, monkeypatch):
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    result = runner.invoke(app, ["create-keystore", str(tmp_path / "k.json")])
    assert result.exit_code == 2
    assert PASSWORD_ENV in result.output


def test_activate_schedules_setpoints_that_a_running_agent_reads_from_the_buffer(tmp_path):
    cfg = _config(tmp_path)
    result = runner.invoke(app, ["activate", str(cfg), "--slot", "900", "--slot", "1800", "--setpoint-w", "-2000"])
    assert result.exit_code == 0, result.output
    with ReadingBuffer(tmp_path / "b.sqlite", 3) as buf:
        assert buf.activations() == {900: -2000, 1800: -2000}


def test_status_reports_an_empty_buffer(tmp_path):
    result = runner.invoke(app, ["status", str(_config(tmp_path))])
    assert json.loads(result.output) == {"asset_id": 3, "readings": 0, "pending": 0, "next_seq": 1,
                                         "last_slot": None, "anchor": None}


def test_an_invalid_agent_config_names_the_field(tmp_path):
    with pytest.raises(AgentError, match="meter.port"):
        load_config(_config(tmp_path, meter={"port": 70000}))


def test_a_runner_needs_a_submitter_or_a_submit_url(tmp_path):
    with pytest.raises(AgentError, match="no submitter"):
        build_runner(load_config(_config(tmp_path)))


@pytest.mark.parametrize(("args", "message"), [(["--profile", "toaster"], "profile must be one of"),
                                               (["--fault", "smoke"], "unknown fault")])
def test_meter_sim_refuses_unknown_profiles_and_faults(args, message):
    result = runner.invoke(app, ["meter-sim", "--port", "0", *args])
    assert result.exit_code == 2
    assert message in result.output
