"""The crash test: a real agent process is killed with SIGKILL mid-run and restarted.

Simulator and agent run as separate `python -m agent` processes sharing a 1800x clock
(one 900 s slot = 0.5 s); readings go to a loopback HTTP receiver run by the test, which
acknowledges most batches, refuses some with HTTP 500, is slow on others, and holds back the
acknowledgement of one received batch while the test kills the agent, so that batch must be
resubmitted after the restart.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from agent.buffer import ReadingBuffer
from agent.clock import ManualClock
from ledger.keys import PASSWORD_ENV, create_keystore
from agent.signing import SignedMeasurement, verify
from agent.simulator import MeterModel

REPO = Path(__file__).resolve().parents[2]
SPEED = 1800.0
SLOT = 900
T0 = 1_767_225_600
ASSET = 42


class Receiver:
    def __init__(self):
        self.lock = threading.Lock()
        self.received: list[SignedMeasurement] = []
        self.requests = 0
        self.holding = threading.Event()  # set while a received batch's acknowledgement is held back

    def distinct_slots(self) -> int:
        with self.lock:
            return len({r.slot_start for r in self.received})

    def serve(self) -> ThreadingHTTPServer:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with receiver.lock:
                    receiver.requests += 1
                    n = receiver.requests
                if n % 5 == 0:  # receiver down for this batch
                    self.send_response(500)
                    self.end_headers()
                    return
                batch = [SignedMeasurement.model_validate(r) for r in body["readings"]]
                if n % 7 == 0:
                    time.sleep(0.1)  # slow receiver: a kill may land while the batch is in flight
                with receiver.lock:
                    receiver.received.extend(batch)
                    hold = not receiver.holding.is_set() and len({r.slot_start for r in receiver.received}) >= 4
                if hold:  # received but not yet acknowledged: the agent gets killed right now
                    receiver.holding.set()
                    time.sleep(1.0)
                out = json.dumps({"acked": [[r.asset_id, r.seq] for r in batch]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                try:
                    self.wfile.write(out)
                except OSError:
                    pass  # the agent died before reading its acknowledgement

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server


def _spawn(*args: str, env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "agent", *args], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@pytest.mark.slow
def test_an_agent_killed_mid_run_and_restarted_loses_no_slot_and_never_reuses_a_seq(tmp_path):
    env = {**os.environ, PASSWORD_ENV: "pw", "PYTHONPATH": str(REPO)}
    device = create_keystore(tmp_path / "device.json", "pw", kdf="pbkdf2", iterations=2)
    receiver = Receiver()
    http = receiver.serve()
    anchor = time.time()
    clock_args = ["--speed", str(SPEED), "--sim-start", str(T0), "--anchor", str(anchor)]
    sim = _spawn("meter-sim", "--profile", "heat_pump", "--port", "0", "--seed", "3", *clock_args, env=env)
    procs = [sim]
    try:
        port = json.loads(sim.stdout.readline())["port"]
        config = tmp_path / "agent.json"
        config.write_text(json.dumps({
            "asset_id": ASSET, "chain_id": 31337, "verifying_contract": "0x" + "44" * 20,
            "slot_len": SLOT, "poll_interval_s": 0.02, "batch_size": 2,
            "backoff_initial_s": 0.05, "backoff_max_s": 0.2,
            "meter": {"port": port, "timeout_s": 0.5, "retries": 1},
            "keystore": str(tmp_path / "device.json"), "buffer": str(tmp_path / "agent.sqlite"),
            "submit_url": f"http://127.0.0.1:{http.server_address[1]}/readings",
            "clock": {"speed": SPEED, "sim_start": T0, "anchor": anchor},
        }))

        first = _spawn("run", str(config), env=env)
        procs.append(first)
        _wait_for(receiver.holding.is_set, 20, "a batch received but not yet acknowledged")
        first.send_signal(signal.SIGKILL)
        first.wait(5)
        time.sleep(2.2 * SLOT / SPEED)  # stay down across at least two slot boundaries

        second = _spawn("run", str(config), env=env)
        procs.append(second)
        _wait_for(lambda: receiver.distinct_slots() >= 10, 20, "readings after restart")
        second.send_signal(signal.SIGTERM)
        assert second.wait(5) == 0, second.stderr.read()
        restart_log = second.stderr.read()
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(5)
        http.shutdown()

    with ReadingBuffer(tmp_path / "agent.sqlite", ASSET) as buf:
        stored = buf.readings()
        pending = {r.key for r in buf.pending(10_000)}
    by_seq = {r.seq: r for r in stored}

    # the restarted agent bridged the slots it was down for
    assert "interpolating" in restart_log
    # every slot from the first to the last has exactly one reading, seqs strictly increase with slots
    slots = [r.slot_start for r in stored]
    assert slots == list(range(slots[0], slots[-1] + SLOT, SLOT))
    assert [r.seq for r in stored] == list(range(1, len(stored) + 1))
    # what the receiver got is exactly what the agent stored: no two readings for one (asset, slot)
    received: dict[tuple[int, int], SignedMeasurement] = {}
    for r in receiver.received:
        assert by_seq[r.seq] == r
        received[r.key] = r
    assert len({r.slot_start for r in received.values()}) == len(received)
    # none lost: everything stored was received, except readings still pending at shutdown
    assert {r.key for r in stored} - set(received) <= pending
    assert len(received) >= 10
    # the batch that was received but never acknowledged was resubmitted after the restart
    assert len(receiver.received) > len(received)
    # every reading is signed by the device key
    assert all(verify(r, device) for r in stored)
    # the slots add up to what the simulated meter counted (interpolation only at the two ends)
    model = MeterModel("heat_pump", seed=3, clock=ManualClock(T0))
    expected = model.expected_energy_wh(slots[0], slots[-1] + SLOT)
    assert abs(sum(r.energy_wh for r in stored) - expected) <= 0.03 * expected + 200
