"""`make lab` serves the course on 127.0.0.1 behind a token, stops cleanly, and never overwrites
a notebook the learner saved."""

import json
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


def api(url: str, method: str = "GET", body: dict | None = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def test_make_lab_uses_loopback_and_a_token_and_keeps_the_learners_work(tmp_path):
    port = free_port()
    work = tmp_path / "my-notebooks"
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "JUPYTER_CONFIG_DIR": str(tmp_path / "config"), "BROWSER": "true",
           "RNNLAB_WORKDIR": str(work)}
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
        assert "/lab/tree/00_start_here.ipynb" in text   # opened on the start page
        base = f"http://127.0.0.1:{port}"
        # The learner edits lesson 01 and JupyterLab saves it (its contents API, as on Ctrl-S).
        url = f"{base}/api/contents/01_feedforward.ipynb?token={token}"
        model = api(url + "&content=1")
        assert model["content"]["cells"], "the server does not serve the learner's copy"
        nb = model["content"]
        nb["cells"].append({"cell_type": "code", "id": "learner-own-cell", "metadata": {},
                            "execution_count": 1, "source": "my_answer = 42",
                            "outputs": [{"output_type": "stream", "name": "stdout",
                                         "text": "learner output\n"}]})
        api(url, "PUT", {"type": "notebook", "format": "json", "content": nb})
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
    saved = (work / "01_feedforward.ipynb").read_text()
    assert "learner-own-cell" in saved and "learner output" in saved
    # make lab's preparation, run again (as every `make lab` does), keeps the edit.
    again = subprocess.run(["make", "-s", "workspace"], cwd=ROOT, env=env, capture_output=True,
                           text=True, timeout=300)
    assert again.returncode == 0, again.stdout + again.stderr
    assert (work / "01_feedforward.ipynb").read_text() == saved
    assert "no command overwrites them" in again.stdout
