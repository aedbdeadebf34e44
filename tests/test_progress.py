"""Progress lasts: across a kernel restart, under concurrent writers, past a corrupt file, and in
memory where nothing can be written."""

import json
import multiprocessing as mp
import os

from jupyter_client.manager import KernelManager

from rnnlab import progress
from rnnlab.check import check
from rnnlab.quiz import Quiz


def run_in_kernel(kc, code: str) -> str:
    out = []

    def hook(msg):
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            out.append("ERROR " + msg["content"]["ename"] + ": " + msg["content"]["evalue"])

    kc.execute_interactive(code, output_hook=hook, timeout=120)
    return "".join(out)


def test_progress_survives_a_kernel_restart(progress_folder):
    km = KernelManager(kernel_name="rnnlab")
    km.start_kernel(env={**os.environ, "RNNLAB_DATA_DIR": str(progress_folder)})
    try:
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=120)
        said = run_in_kernel(kc, 'from rnnlab.quiz import Quiz\n'
                                 'Quiz("l01").answer("linear-shape", "b")\n'
                                 'Quiz("l01").answer("first-layer-count", "7")')
        assert "Correct." in said and "Not quite." in said
        pid_before = run_in_kernel(kc, "import os; print(os.getpid())")
        kc.stop_channels()
        km.restart_kernel(now=True)
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=120)
        assert run_in_kernel(kc, "import os; print(os.getpid())") != pid_before
        line = run_in_kernel(kc, 'from rnnlab.quiz import Quiz\nQuiz("l01").score()')
        assert "1 correct of 2 answered" in line, line
        assert "first-layer-count" in line.split("Not yet right:")[1]
        kc.stop_channels()
    finally:
        km.shutdown_kernel(now=True)


def _writer(folder: str, who: int, n: int, barrier) -> None:
    os.environ["RNNLAB_DATA_DIR"] = folder
    barrier.wait()
    for i in range(n):
        progress.record_quiz("l01", f"w{who}-q{i}", i % 2 == 0)
        progress.record_check(f"l01.w{who}_{i}", True)


def test_two_processes_writing_at_once_lose_no_answer(progress_folder):
    n = 40
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(2)
    procs = [ctx.Process(target=_writer, args=(str(progress_folder), w, n, barrier))
             for w in (0, 1)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    data = json.loads(progress.path().read_text())
    assert len(data["quiz"]["l01"]) == 2 * n
    assert len(data["checks"]) == 2 * n
    assert data["quiz"]["l01"]["w1-q0"]["correct"] is True
    assert data["quiz"]["l01"]["w0-q1"]["correct"] is False
    assert not list(progress_folder.glob("*.tmp")), "a temporary file was left behind"


def test_a_corrupt_file_is_set_aside_with_one_line(progress_folder, capsys):
    progress_folder.mkdir(parents=True)
    progress.path().write_text('{"quiz": {"l01": {"linear-sh')
    assert Quiz("l01").score().startswith("Lesson l01 score: 0 correct of 0 answered")
    out = capsys.readouterr().out
    assert out.count("\n") == 2    # the warning, then the score line
    assert "could not be read (not valid JSON" in out and "starts afresh" in out
    kept = list(progress_folder.glob("progress.json.corrupt-*"))
    assert len(kept) == 1 and kept[0].read_text().startswith('{"quiz"')
    Quiz("l01").answer("linear-shape", "b", quiet=True)
    assert progress.quiz_answers("l01") == {"linear-shape": True}


def test_a_file_of_the_wrong_shape_is_set_aside_too(progress_folder, capsys):
    progress_folder.mkdir(parents=True)
    progress.path().write_text('["not", "a", "progress", "file"]')
    assert progress.load()["quiz"] == {}
    assert "not in the expected format" in capsys.readouterr().out
    assert list(progress_folder.glob("progress.json.corrupt-*"))


def test_an_unwritable_folder_keeps_progress_in_memory(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("RNNLAB_DATA_DIR", str(blocker / "rnnlab"))   # cannot be created
    quiz = Quiz("l01")
    quiz.answer("linear-shape", "b", quiet=True)
    quiz.answer("first-layer-count", "19200", quiet=True)
    out = capsys.readouterr().out
    assert out.count("kept in memory for this session") == 1, out
    assert out.strip().count("\n") == 0 and "Traceback" not in out    # one line
    assert "2 correct of 2 answered" in quiz.score()


def test_checks_are_recorded_when_they_run_not_when_unimplemented():
    def dense_forward(x, W, b):
        raise NotImplementedError()

    check("l01.dense_forward", dense_forward)
    assert "l01.dense_forward" not in progress.load()["checks"]
    check("l01.dense_forward", lambda x, W, b: x)
    rec = progress.load()["checks"]["l01.dense_forward"]
    assert rec["passed"] is False and rec["tries"] == 1
    check("l01.dense_forward", lambda x, W, b: __import__("torch").tanh(x @ W.T + b))
    assert progress.load()["checks"]["l01.dense_forward"]["passed"] is True


def test_table_lists_every_lesson_and_reset_forgets(capsys):
    Quiz("l02").answer("hn-shape", "a", quiet=True)
    check("l01.dense_forward", lambda x, W, b: __import__("torch").tanh(x @ W.T + b))
    rows = {r["lesson"]: r for r in progress.rows()}
    assert {"l01", "l02", "l03", "l04", "l05", "l06"} <= set(rows)
    assert rows["l01"]["exercises_passed"] == 1 and rows["l01"]["exercises_total"] == 2
    assert rows["l01"]["quiz_total"] == len(Quiz("l01").questions)
    assert "| 01 | 0 of" in progress.table() and "| 01 | 0 of 5 | 1 of 2 |" in progress.table()
    progress.reset("l01")
    assert progress.rows()[0]["exercises_passed"] == 0
    assert "l02" in progress.load()["quiz"]
    progress.reset()
    assert progress.load()["quiz"] == {}
    progress.reset(3)
    assert "takes a lesson such as" in capsys.readouterr().out


def test_lessons_without_a_notebook_have_no_row():
    lessons = [r["lesson"] for r in progress.rows()]
    built = {p.name[:2] for p in (progress.ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    # the cumulative self-test's row comes with lesson 10
    assert ("selftest" in lessons) == ("10" in built)
    lessons = [lesson for lesson in lessons if lesson != "selftest"]
    assert lessons and all(lesson[1:] in built for lesson in lessons)
    assert (progress.ROOT / "rnnlab" / "exercises" / "l08.py").exists()   # library ahead of it
    assert "l08" not in lessons or "08" in built
