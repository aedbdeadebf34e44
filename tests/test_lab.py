"""`make lab` serves the course on 127.0.0.1 behind a token, and stops cleanly."""

import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as err:
        return err.code


def other_address() -> str | None:
    """An address of this machine other than loopback, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))   # UDP: sends nothing, just picks an interface
            addr = s.getsockname()[0]
        except OSError:
            return None
    return None if addr.startswith("127.") else addr


def test_make_lab_uses_loopback_and_a_token(tmp_path):
    port = free_port()
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "JUPYTER_CONFIG_DIR": str(tmp_path / "config"), "BROWSER": "true"}
    log = open(tmp_path / "lab.log", "w+")
    proc = subprocess.Popen(["make", "-s", "lab", f"PORT={port}", "LAB_ARGS=--no-browser"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        token = None
        deadline = time.time() + 120
        while time.time() < deadline and token is None:
            time.sleep(1)
            log.seek(0)
            text = log.read()
            assert proc.poll() is None, f"make lab exited early:\n{text[-3000:]}"
            m = re.search(rf"http://127\.0\.0\.1:{port}/lab\S*\?token=([0-9a-f]+)", text)
            token = m.group(1) if m else None
        assert token, f"no tokenised URL in the log:\n{text[-3000:]}"
        assert "notebooks/00_start_here.ipynb" in text   # opened on the start page
        base = f"http://127.0.0.1:{port}"
        assert status(f"{base}/api/status") == 403
        assert status(f"{base}/api/status?token=wrong") == 403
        assert status(f"{base}/api/status?token={token}") == 200
        addr = other_address()
        if addr:
            with socket.socket() as s:
                s.settimeout(2)
                assert s.connect_ex((addr, port)) != 0, f"the server also listens on {addr}"
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        time.sleep(0.5)
        os.killpg(proc.pid, signal.SIGINT)   # Jupyter asks to confirm the first ^C
        try:
            code = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise AssertionError("make lab did not stop within 30 s of Ctrl-C") from None
        log.close()
    assert code in (0, 2, -signal.SIGINT, 130), f"unexpected exit status {code}"
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0, "the port is still open after stopping"
