"""A class rehearsal on a real JupyterHub: N learners run a lesson at once, each in own server.

    make rehearsal                                                   # N = 1, 4, 8, lesson 01
    .venv/bin/python benchmarks/class_rehearsal.py --learners 1 4 8 --lesson 01_feedforward

Needs the packages of ``benchmarks/requirements-hub.txt`` (JupyterHub and a pure-Python
configurable-http-proxy; ``make rehearsal`` installs them into .venv). Nothing leaves the
machine and nothing listens beyond loopback:

* JupyterHub, its proxy and every learner's server bind to 127.0.0.1 on free ports; state (the
  hub's database, cookie secret, logs) and the learners' home folders live in a temporary folder
  removed at the end (``--keep`` keeps it);
* ``SimpleLocalProcessSpawner`` runs each learner's ``jupyterhub-singleuser`` as a local process
  (testing only: no isolation between users), ``SharedPasswordAuthenticator`` checks a random
  password made for this run, and the script holds the API token of a hub service that may
  create users (the "lecturer").

For each N, in one hub: the lecturer creates N users; then every learner, at the same time, logs
in through the hub's REST API (``POST /hub/api/users/NAME/tokens`` with username and password,
answered by the authenticator), starts their server, receives the lesson into their folder
(contents API), opens it, starts a course kernel (``rnnlab``) and runs every code cell in order
over the kernel's websocket (what Run All does; it stops at the first error), saves the executed
notebook through the contents API and reads it back, comparing every cell's source and outputs,
and the file on disk (no work lost); the lecturer then collects it through the same API with
the service's token (docs/teaching.md, "Collecting work"). Then the servers stop.

Per learner it reports the time of each step, the kernel's peak resident memory (``VmHWM``) and
CPU seconds, the server's peak memory, and failures; per round the wall time, the peak resident
memory of the whole hub (hub, proxy, servers and kernels, sampled every 0.25 s) and the load
average. Kernels get ``OMP_NUM_THREADS=1`` (one CPU per learner, as a hub would limit them).
Writes ``benchmarks/results/class_rehearsal.json`` and ``.md``; exit status 1 if any learner
failed or lost work.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
BIN = Path(sys.executable).parent
MIB = 1024 * 1024
WS_ATTEMPTS = 4


# ---------------------------------------------------------------- pure parts (unit tested)

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def hub_config(*, state: Path, port: int, hub_port: int, api_port: int, password: str,
               token: str, environment: dict[str, str], as_root: bool) -> str:
    """The jupyterhub_config.py of the rehearsal: loopback only, local processes, test login."""
    singleuser = str(BIN / "jupyterhub-singleuser")
    proxy = shutil.which("configurable-http-proxy", path=str(BIN)) or "configurable-http-proxy"
    args = ["--allow-root"] if as_root else []
    return f"""# written by benchmarks/class_rehearsal.py; loopback only, for a rehearsal
c = get_config()  # noqa
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{api_port}"
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.ConfigurableHTTPProxy.pid_file = {str(state / "proxy.pid")!r}
c.JupyterHub.db_url = {"sqlite:///" + str(state / "jupyterhub.sqlite")!r}
c.JupyterHub.cookie_secret_file = {str(state / "cookie_secret")!r}
c.JupyterHub.cleanup_servers = True
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = {str(state / "home" / "{username}")!r}
c.Spawner.cmd = [{singleuser!r}]
c.Spawner.args = {args!r}
c.Spawner.ip = "127.0.0.1"
c.Spawner.environment = {environment!r}
c.Spawner.start_timeout = 600
c.Spawner.http_timeout = 600
c.Spawner.default_url = "/lab"
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = {password!r}
c.Authenticator.allow_all = True
c.JupyterHub.services = [{{"name": "lecturer", "api_token": {token!r}}}]
c.JupyterHub.load_roles = [{{"name": "lecturer", "services": ["lecturer"],
    "scopes": ["admin:users", "admin:servers", "read:users", "access:servers"]}}]
"""


def execute_request(code: str, session: str) -> dict:
    """A Jupyter ``execute_request`` message for the kernel websocket (JSON protocol)."""
    return {
        "header": {"msg_id": uuid.uuid4().hex, "msg_type": "execute_request",
                   "username": "learner", "session": session, "version": "5.3",
                   "date": dt.datetime.now(dt.UTC).isoformat()},
        "parent_header": {}, "metadata": {}, "buffers": [], "channel": "shell",
        "content": {"code": code, "silent": False, "store_history": True,
                    "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
    }


class CellOutputs:
    """Collects the outputs of one cell from kernel messages, as a notebook would store them."""

    def __init__(self, msg_id: str):
        self.msg_id = msg_id
        self.outputs: list = []
        self.reply: dict | None = None
        self.idle = False
        self._clear_on_next = False

    @property
    def done(self) -> bool:
        return self.reply is not None and self.idle

    def feed(self, msg: dict) -> None:
        import nbformat

        if msg.get("parent_header", {}).get("msg_id") != self.msg_id:
            return
        kind = msg["header"]["msg_type"]
        if msg.get("channel") == "shell" and kind == "execute_reply":
            self.reply = msg["content"]
        elif kind == "status":
            self.idle = msg["content"].get("execution_state") == "idle"
        elif kind == "clear_output":
            if msg["content"].get("wait"):
                self._clear_on_next = True
            else:
                self.outputs = []
        elif kind in ("stream", "display_data", "execute_result", "error"):
            if self._clear_on_next:
                self.outputs, self._clear_on_next = [], False
            self.outputs.append(nbformat.v4.output_from_msg(msg))


def same_work(sent: dict, got: dict) -> list[str]:
    """Differences between the notebook a learner saved and the one read back (empty: none).
    Multi-line text may be stored as a list of lines (as on disk) or one string."""
    from nbformat import from_dict
    from nbformat.v4.rwbase import rejoin_lines

    a = rejoin_lines(from_dict(json.loads(json.dumps(sent)))).get("cells", [])
    b = rejoin_lines(from_dict(json.loads(json.dumps(got)))).get("cells", [])
    if len(a) != len(b):
        return [f"{len(a)} cells saved, {len(b)} read back"]
    problems = []
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        if x.get("source") != y.get("source"):
            problems.append(f"cell {i}: source differs")
        if x.get("cell_type") == "code" and json.dumps(x.get("outputs"), sort_keys=True) != \
                json.dumps(y.get("outputs"), sort_keys=True):
            problems.append(f"cell {i}: outputs differ")
    return problems


def _text(source) -> str:
    return "".join(source) if isinstance(source, list) else (source or "")


def summarise(n: int, learners: list[dict], wall_s: float, peak_total_rss: int,
              load: tuple[float, float, float]) -> dict:
    """One round's summary from its learners' records."""
    ok = [r for r in learners if not r["failures"]]
    run = [r["run_s"] for r in ok if r.get("run_s") is not None]
    kernel = [r["kernel_peak_rss_mib"] for r in learners if r.get("kernel_peak_rss_mib")]
    server = [r["server_peak_rss_mib"] for r in learners if r.get("server_peak_rss_mib")]
    return {
        "learners": n,
        "finished": len(ok),
        "failed": n - len(ok),
        "work_lost": sum(not r.get("work_saved") for r in learners),
        "collected": sum(bool(r.get("collected")) for r in learners),
        "websocket_retries": sum(len(r.get("retries", [])) for r in learners),
        "round_wall_s": round(wall_s, 1),
        "run_s_median": round(statistics.median(run), 1) if run else None,
        "run_s_max": round(max(run), 1) if run else None,
        "spawn_s_max": round(max(r["spawn_s"] for r in learners if r.get("spawn_s") is not None),
                             1) if any(r.get("spawn_s") is not None for r in learners) else None,
        "kernel_peak_rss_mib_max": max(kernel) if kernel else None,
        "server_peak_rss_mib_max": max(server) if server else None,
        "kernel_cpu_s_median": round(statistics.median(
            [r["kernel_cpu_s"] for r in learners if r.get("kernel_cpu_s") is not None]), 1)
        if any(r.get("kernel_cpu_s") is not None for r in learners) else None,
        "hub_tree_peak_rss_mib": round(peak_total_rss / MIB),
        "load_after": [round(x, 2) for x in load],
    }


def markdown(result: dict) -> str:
    lines = [
        f"Class rehearsal on JupyterHub {result['jupyterhub']}: lesson {result['lesson']}, "
        f"{result['machine']['cpus']} cores, {result['machine']['memory_gib']} GiB, "
        f"{result['date_utc']}; load before {result['load_before']}.",
        "",
        "| learners | finished | failed | work lost | collected | websocket retries "
        "| round wall s | run s median "
        "| run s max "
        "| kernel peak MiB (max) | server peak MiB (max) | kernel CPU s (median) "
        "| whole hub peak MiB | load after |",
        "| ---: " * 13 + "| --- |",
    ]
    for s in result["rounds"]:
        lines.append(
            f"| {s['learners']} | {s['finished']} | {s['failed']} | {s['work_lost']} | "
            f"{s['collected']} | {s.get('websocket_retries', 0)} | "
            f"{s['round_wall_s']} | {s['run_s_median']} | {s['run_s_max']} | "
            f"{s['kernel_peak_rss_mib_max']} | {s['server_peak_rss_mib_max']} | "
            f"{s['kernel_cpu_s_median']} | {s['hub_tree_peak_rss_mib']} | {s['load_after']} |")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- measuring processes

def vm_hwm_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


class HubSampler:
    """Samples the resident memory of the hub's whole process tree; finds processes by marker."""

    def __init__(self, pid: int, interval: float = 0.25):
        import psutil

        self.root = psutil.Process(pid)
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def reset(self) -> None:
        self.peak = 0

    def _run(self) -> None:
        import psutil

        while not self._stop.wait(self.interval):
            total = 0
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.Error:
                continue
            for p in procs:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)

    def find(self, marker: str):
        """The descendant process whose command line contains ``marker`` (or None)."""
        import psutil

        for p in self.root.children(recursive=True):
            try:
                if any(marker in part for part in p.cmdline()):
                    return p
            except psutil.Error:
                continue
        return None

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


# ---------------------------------------------------------------- talking to the hub

class Hub:
    def __init__(self, url: str, token: str):
        from tornado.httpclient import AsyncHTTPClient

        self.url = url
        self.token = token
        AsyncHTTPClient.configure(None, max_clients=64)
        self.http = AsyncHTTPClient()

    async def call(self, method: str, path: str, body=None, token: str | None = None,
                   ok=(200, 201, 202, 204), timeout: float = 600):
        from tornado.httpclient import HTTPClientError

        token = self.token if token is None else token  # "": no credentials
        headers = {"Authorization": f"token {token}"} if token else {}
        data = None if body is None else json.dumps(body)
        if method in ("POST", "PUT", "PATCH") and data is None:
            data = ""
        try:
            resp = await self.http.fetch(self.url + path, method=method, headers=headers,
                                         body=data, request_timeout=timeout,
                                         allow_nonstandard_methods=True)
        except HTTPClientError as err:
            text = err.response.body.decode(errors="replace")[:300] if err.response else ""
            raise RuntimeError(f"{method} {path}: HTTP {err.code} {text}") from None
        if resp.code not in ok:
            raise RuntimeError(f"{method} {path}: HTTP {resp.code}")
        return json.loads(resp.body) if resp.body else None


async def wait_for_hub(hub: Hub, proc: subprocess.Popen, timeout: float = 180) -> None:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"jupyterhub exited with status {proc.returncode}")
        try:
            await hub.call("GET", "/hub/api/", timeout=5)
            return
        except Exception:
            await asyncio.sleep(0.5)
    raise RuntimeError("jupyterhub did not answer in time")


async def run_cells(hub: Hub, name: str, token: str, kernel_id: str, nb: dict,
                    cell_timeout: float, retries: list[str]) -> list[str]:
    """Run every code cell of ``nb`` in order on the kernel; outputs go into ``nb``. Returns the
    error names (Run All stops at the first). Failed websocket connections, retried, are noted
    in ``retries``."""
    from jupyter_server.services.kernels.connection.base import deserialize_binary_message
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    session = uuid.uuid4().hex
    ws_url = hub.url.replace("http://", "ws://") + \
        f"/user/{name}/api/kernels/{kernel_id}/channels?session_id={session}"
    conn = None
    for attempt in range(WS_ATTEMPTS):  # JupyterLab, too, reconnects a kernel's websocket
        try:
            conn = await websocket_connect(
                HTTPRequest(ws_url, headers={"Authorization": f"token {token}"},
                            request_timeout=120), max_message_size=1 << 30)
            break
        except Exception as err:
            retries.append(f"websocket attempt {attempt + 1}: {type(err).__name__}: {err}")
            if attempt + 1 == WS_ATTEMPTS:
                raise
            await asyncio.sleep(2 * (attempt + 1))
    errors: list[str] = []
    try:
        count = 0
        for cell in nb["cells"]:
            if cell["cell_type"] != "code":
                continue
            request = execute_request(_text(cell["source"]), session)
            collector = CellOutputs(request["header"]["msg_id"])
            await conn.write_message(json.dumps(request))
            deadline = time.monotonic() + cell_timeout
            while not collector.done:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"cell {count} ran over {cell_timeout:.0f} s")
                raw = await asyncio.wait_for(conn.read_message(), timeout=left)
                if raw is None:
                    raise RuntimeError("kernel websocket closed (kernel died?)")
                msg = deserialize_binary_message(raw) if isinstance(raw, bytes) else json.loads(raw)
                collector.feed(msg)
            count += 1
            cell["outputs"] = collector.outputs
            cell["execution_count"] = collector.reply.get("execution_count")
            if collector.reply.get("status") != "ok":
                errors.append(collector.reply.get("ename", "error"))
                break
    finally:
        conn.close()
    return errors


async def learner(hub: Hub, sampler: HubSampler, name: str, password: str, lesson: dict,
                  lesson_name: str, home: Path, cell_timeout: float) -> dict:
    rec: dict = {"name": name, "failures": [], "work_saved": False, "retries": []}
    step = "log in"
    t0 = time.perf_counter()

    def lap(key: str, since: float) -> float:
        now = time.perf_counter()
        rec[key] = round(now - since, 2)
        return now

    try:
        # log in: the authenticator checks username and password; the learner gets a token
        reply = await hub.call("POST", f"/hub/api/users/{name}/tokens", token="",
                               body={"auth": {"username": name, "password": password},
                                     "note": "class rehearsal", "expires_in": 3600})
        token = reply["token"]
        t = lap("login_s", t0)
        step = "start the server"
        await hub.call("POST", f"/hub/api/users/{name}/server", token=token)
        while True:  # the hub answers 202 while the server starts
            model = await hub.call("GET", f"/hub/api/users/{name}", token=token)
            server = model.get("servers", {}).get("")
            if server and server.get("ready"):
                break
            if not model.get("pending") and not server:
                raise RuntimeError("server failed to start (see the hub's log)")
            await asyncio.sleep(0.5)
        t = lap("spawn_s", t)
        step = "hand out the lesson"
        base = f"/user/{name}/api"
        path = f"{lesson_name}.ipynb"
        await hub.call("PUT", f"{base}/contents/{path}", token=token,
                       body={"type": "notebook", "format": "json", "content": lesson})
        opened = (await hub.call("GET", f"{base}/contents/{path}", token=token))["content"]
        t = lap("distribute_s", t)
        step = "start a kernel"
        kernel = await hub.call("POST", f"{base}/kernels", token=token,
                                body={"name": "rnnlab", "path": ""})
        proc = None
        for _ in range(40):  # the kernel process, for its memory and CPU
            proc = sampler.find(kernel["id"])
            if proc:
                break
            await asyncio.sleep(0.25)
        server_proc = proc.parent() if proc else None
        step = "run the lesson"
        errors = await run_cells(hub, name, token, kernel["id"], opened, cell_timeout,
                                 rec["retries"])
        rec["errors"] = errors
        if errors:
            rec["failures"].append(f"cell error: {', '.join(errors)}")
        if proc:
            rec["kernel_peak_rss_mib"] = vm_hwm_mib(proc.pid)
            times = proc.cpu_times()
            rec["kernel_cpu_s"] = round(times.user + times.system + times.children_user
                                        + times.children_system, 1)
        if server_proc:
            rec["server_peak_rss_mib"] = vm_hwm_mib(server_proc.pid)
        t = lap("run_s", t)
        step = "save and read back"
        await hub.call("PUT", f"{base}/contents/{path}", token=token,
                       body={"type": "notebook", "format": "json", "content": opened})
        back = (await hub.call("GET", f"{base}/contents/{path}", token=token))["content"]
        on_disk = json.loads((home / name / path).read_text())
        problems = same_work(opened, back) + [f"on disk: {p}" for p in same_work(opened, on_disk)]
        rec["work_saved"] = not problems
        rec["failures"] += problems
        t = lap("save_s", t)
        # the lecturer collects the saved notebook with the hub service's token, as the
        # snippet in docs/teaching.md does: list the users, read each running server's file
        listed = {u["name"]: u for u in await hub.call("GET", "/hub/api/users")}
        if not listed.get(name, {}).get("servers", {}).get("", {}).get("ready"):
            raise RuntimeError("the lecturer's user list does not show the server as ready")
        collected = (await hub.call("GET", f"{base}/contents/{path}"))["content"]
        missed = same_work(opened, collected)
        rec["collected"] = not missed
        rec["failures"] += [f"collected: {p}" for p in missed]
        lap("collect_s", t)
        await hub.call("DELETE", f"{base}/kernels/{kernel['id']}", token=token)
        await hub.call("DELETE", f"/hub/api/users/{name}/server", token=token)
    except Exception as err:
        rec["failures"].append(f"{step}: {type(err).__name__}: {err}")
    rec["total_s"] = round(time.perf_counter() - t0, 2)
    return rec


async def rehearse(args) -> dict:
    import jupyterhub
    import nbformat
    import psutil

    lesson_path = args.notebook or next((ROOT / "notebooks").glob(f"{args.lesson}*.ipynb"), None)
    if lesson_path is None or not lesson_path.is_file():
        raise SystemExit(f"no notebook {args.notebook or f'notebooks/{args.lesson}*.ipynb'}")
    lesson = json.loads(nbformat.writes(nbformat.read(lesson_path, as_version=4)))
    state = Path(tempfile.mkdtemp(prefix="rnnlab-hub-"))
    (state / "home").mkdir()
    password, token = secrets.token_urlsafe(16), secrets.token_hex(32)
    port, hub_port, api_port = free_port(), free_port(), free_port()
    env = {"PYTHONPATH": str(ROOT), "RNNLAB_STRICT": "1", "OMP_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1", "PATH": f"{BIN}:{os.environ.get('PATH', '')}"}
    (state / "jupyterhub_config.py").write_text(hub_config(
        state=state, port=port, hub_port=hub_port, api_port=api_port, password=password,
        token=token, environment=env, as_root=os.geteuid() == 0))
    log = open(state / "hub.log", "w")
    proc = subprocess.Popen([str(BIN / "jupyterhub"), "-f", str(state / "jupyterhub_config.py")],
                            cwd=state, stdout=log, stderr=subprocess.STDOUT,
                            env=dict(os.environ, PATH=env["PATH"]))
    hub = Hub(f"http://127.0.0.1:{port}", token)
    result = {
        "what": "N learners at once on a real JupyterHub (loopback, local-process spawner), each "
                "running one lesson in its own server and kernel",
        "jupyterhub": jupyterhub.__version__, "lesson": lesson_path.stem,
        "date_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(),
                    "memory_gib": round(psutil.virtual_memory().total / 1024**3, 1)},
        "kernel_threads": 1, "load_before": [round(x, 2) for x in os.getloadavg()],
        "rounds": [], "learners": [],
    }
    sampler = None
    try:
        await wait_for_hub(hub, proc)
        sampler = HubSampler(proc.pid)
        for n in args.learners:
            names = [f"n{n}-learner{i + 1}" for i in range(n)]
            await hub.call("POST", "/hub/api/users", body={"usernames": names})
            sampler.reset()
            start = time.perf_counter()
            records = await asyncio.gather(*[
                learner(hub, sampler, name, password, json.loads(json.dumps(lesson)),
                        lesson_path.stem, state / "home", args.cell_timeout) for name in names])
            wall = time.perf_counter() - start
            summary = summarise(n, records, wall, sampler.peak, os.getloadavg())
            result["rounds"].append(summary)
            result["learners"] += [{"round": n, **r} for r in records]
            print(json.dumps(summary), flush=True)
            for r in records:
                if r["failures"]:
                    print(f"  {r['name']}: {r['failures']}", flush=True)
    finally:
        if sampler:
            sampler.stop()
        try:  # everything the hub started: the proxy, servers, kernels
            started = psutil.Process(proc.pid).children(recursive=True)
        except psutil.Error:
            started = []
        proc.terminate()  # the hub stops the servers it spawned (cleanup_servers)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
        for child in started:  # any the hub left behind (it was killed, say)
            try:
                child.kill()
            except psutil.Error:
                pass
        log.close()
        if any(r["failures"] or r.get("retries") for r in result["learners"]):
            kept = args.out.with_suffix(".hub.log")
            kept.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(state / "hub.log", kept)
            print(f"a learner failed or retried: the hub's log is in {kept}")
        if args.keep:
            print(f"state kept in {state}")
        else:
            shutil.rmtree(state, ignore_errors=True)
    return result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--lesson", default="01_feedforward", help="notebook name prefix")
    parser.add_argument("--notebook", type=Path, help="run this notebook instead of a lesson")
    parser.add_argument("--cell-timeout", type=float, default=900)
    parser.add_argument("--out", type=Path, default=RESULTS / "class_rehearsal.json")
    parser.add_argument("--keep", action="store_true", help="keep the hub's temporary folder")
    args = parser.parse_args(argv)
    result = asyncio.run(rehearse(args))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    args.out.with_suffix(".md").write_text(markdown(result))
    print(markdown(result))
    bad = any(s["failed"] or s["work_lost"] for s in result["rounds"])
    return 1 if bad or len(result["rounds"]) != len(args.learners) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
