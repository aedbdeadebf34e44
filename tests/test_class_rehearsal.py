"""benchmarks/class_rehearsal.py: its pure parts, and (opt-in) one learner on a real JupyterHub."""

import importlib.util
import json
import os
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("class_rehearsal",
                                              ROOT / "benchmarks" / "class_rehearsal.py")
cr = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cr)


def load_config(text):
    from traitlets.config import Config

    c = Config()
    exec(compile(text, "jupyterhub_config.py", "exec"), {"get_config": lambda: c})
    return c


def test_hub_config_listens_on_loopback_only_with_a_test_login(tmp_path):
    c = load_config(cr.hub_config(state=tmp_path, port=8001, hub_port=8002, api_port=8003,
                                  password="pw-123456", token="t0ken",
                                  environment={"OMP_NUM_THREADS": "1"}, as_root=True))
    assert c.JupyterHub.ip == c.JupyterHub.hub_ip == c.Spawner.ip == "127.0.0.1"
    assert c.ConfigurableHTTPProxy.api_url == "http://127.0.0.1:8003"
    assert c.JupyterHub.port == 8001 and c.JupyterHub.hub_port == 8002
    assert c.JupyterHub.spawner_class == "simple"
    assert c.SimpleLocalProcessSpawner.home_dir_template.startswith(str(tmp_path))
    assert c.JupyterHub.db_url == f"sqlite:///{tmp_path}/jupyterhub.sqlite"
    assert c.JupyterHub.authenticator_class == "shared-password"
    assert c.SharedPasswordAuthenticator.user_password == "pw-123456"
    assert c.JupyterHub.services == [{"name": "lecturer", "api_token": "t0ken"}]
    assert "admin:users" in c.JupyterHub.load_roles[0]["scopes"]
    assert c.Spawner.environment == {"OMP_NUM_THREADS": "1"}
    assert c.Spawner.args == ["--allow-root"]
    assert load_config(cr.hub_config(state=tmp_path, port=1, hub_port=2, api_port=3,
                                     password="p", token="t", environment={},
                                     as_root=False)).Spawner.args == []


def msg(parent, msg_type, content, channel="iopub"):
    return {"header": {"msg_type": msg_type, "msg_id": "x"}, "parent_header": {"msg_id": parent},
            "content": content, "metadata": {}, "channel": channel}


def test_cell_outputs_collects_only_its_own_messages_until_reply_and_idle():
    out = cr.CellOutputs("me")
    out.feed(msg("other", "stream", {"name": "stdout", "text": "not mine\n"}))
    out.feed(msg("me", "status", {"execution_state": "busy"}))
    out.feed(msg("me", "stream", {"name": "stdout", "text": "hello\n"}))
    out.feed(msg("me", "execute_result", {"data": {"text/plain": "3"}, "metadata": {},
                                          "execution_count": 1}))
    assert not out.done
    out.feed(msg("me", "execute_reply", {"status": "ok", "execution_count": 1}, "shell"))
    assert not out.done                       # the reply can come before the last output
    out.feed(msg("me", "status", {"execution_state": "idle"}))
    assert out.done
    assert [o.output_type for o in out.outputs] == ["stream", "execute_result"]
    assert out.outputs[0].text == "hello\n"


def test_cell_outputs_clear_output_and_errors():
    out = cr.CellOutputs("me")
    out.feed(msg("me", "stream", {"name": "stdout", "text": "step 1\n"}))
    out.feed(msg("me", "clear_output", {"wait": True}))
    assert len(out.outputs) == 1              # wait=True clears when the next output comes
    out.feed(msg("me", "stream", {"name": "stdout", "text": "step 2\n"}))
    assert [o.text for o in out.outputs] == ["step 2\n"]
    out.feed(msg("me", "clear_output", {"wait": False}))
    assert out.outputs == []
    out.feed(msg("me", "error", {"ename": "ValueError", "evalue": "bad", "traceback": []}))
    assert out.outputs[0].ename == "ValueError"


def test_execute_request_is_a_shell_message_with_the_code():
    m = cr.execute_request("print(1)", "s1")
    assert m["channel"] == "shell" and m["header"]["msg_type"] == "execute_request"
    assert m["content"]["code"] == "print(1)" and m["header"]["session"] == "s1"
    assert m["header"]["msg_id"] != cr.execute_request("print(1)", "s1")["header"]["msg_id"]


def notebook():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("a = 1\nprint(a)")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="1\nmore\n")]
    nb.cells = [nbformat.v4.new_markdown_cell("# title\ntext"), cell]
    return json.loads(nbformat.writes(nb))


def test_same_work_accepts_split_lines_and_finds_real_changes(tmp_path):
    sent = notebook()
    path = tmp_path / "saved.ipynb"
    nbformat.write(nbformat.from_dict(sent), path)     # on disk: text split into lines
    assert isinstance(json.loads(path.read_text())["cells"][1]["source"], list)
    assert cr.same_work(sent, json.loads(path.read_text())) == []
    lost = notebook()
    lost["cells"][1]["outputs"] = []
    assert cr.same_work(sent, lost) == ["cell 1: outputs differ"]
    edited = notebook()
    edited["cells"][0]["source"] = "# title"
    assert cr.same_work(sent, edited) == ["cell 0: source differs"]
    short = notebook()
    short["cells"] = short["cells"][:1]
    assert cr.same_work(sent, short) == ["2 cells saved, 1 read back"]


def record(name, run_s, failures=(), saved=True, kernel=400.0, cpu=10.0):
    return {"name": name, "run_s": run_s, "spawn_s": 5.0, "failures": list(failures),
            "work_saved": saved, "kernel_peak_rss_mib": kernel, "server_peak_rss_mib": 150.0,
            "kernel_cpu_s": cpu, "collected": saved}


def test_summarise_counts_failures_and_lost_work_and_takes_medians():
    learners = [record("a", 10.0), record("b", 30.0, kernel=500.0), record("c", 20.0),
                record("d", 99.0, failures=["cell error: ValueError"], saved=False, cpu=2.0)]
    s = cr.summarise(4, learners, 101.2, 3 * 1024**3, (1.0, 2.0, 3.0))
    assert (s["learners"], s["finished"], s["failed"], s["work_lost"]) == (4, 3, 1, 1)
    assert s["collected"] == 3 and s["websocket_retries"] == 0
    assert s["run_s_median"] == 20.0 and s["run_s_max"] == 30.0   # failed runs not timed
    assert s["kernel_peak_rss_mib_max"] == 500.0
    assert s["kernel_cpu_s_median"] == 10.0
    assert s["hub_tree_peak_rss_mib"] == 3072
    table = cr.markdown({"jupyterhub": "6", "lesson": "01", "date_utc": "now",
                         "machine": {"cpus": 2, "memory_gib": 8}, "load_before": [1, 1, 1],
                         "rounds": [s]})
    assert "| 4 | 3 | 1 | 1 | 3 | 0 | 101.2 | 20.0 | 30.0 | 500.0 |" in table


def test_summarise_when_every_learner_failed():
    s = cr.summarise(2, [record("a", None, ["x"], False), record("b", None, ["y"], False)],
                     5.0, 0, (0, 0, 0))
    assert s["finished"] == 0 and s["run_s_median"] is None and s["work_lost"] == 2


@pytest.mark.skipif(importlib.util.find_spec("jupyterhub") is None,
                    reason="jupyterhub is not installed (make rehearsal installs it)")
@pytest.mark.skipif(os.environ.get("RNNLAB_HUB_TEST") != "1",
                    reason="starts a real JupyterHub (1-2 minutes on a busy 2-core machine): "
                           "set RNNLAB_HUB_TEST=1, as make rehearsal-test does")
def test_one_learner_on_a_real_hub(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "rnnlab", "display_name": "Python (RNN Lab)",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("import os, rnnlab\nos.environ['OMP_NUM_THREADS']"),
                nbformat.v4.new_code_cell("sum(range(1000))")]
    path = tmp_path / "tiny.ipynb"
    nbformat.write(nb, path)
    out = tmp_path / "rehearsal.json"
    assert cr.main(["--learners", "1", "--notebook", str(path), "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    [learner] = result["learners"]
    assert learner["failures"] == [] and learner["work_saved"] and learner["collected"]
    assert learner["kernel_peak_rss_mib"] > 20
    assert result["rounds"][0]["finished"] == 1
