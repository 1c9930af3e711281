"""The report run under faults: signals, stuck locks, dead kernels, full or read-only disks, concurrent runs,
corrupted or changing data, huge comments. Each ends with its documented exit code, a clear message, nothing
half published and an earlier report untouched.

Real file-system faults (a full disk, a read-only folder) use a small tmpfs mounted for the test and are
skipped where mounting is not permitted; the same faults are also simulated by making the writes fail.
``test_random_kills`` and ``test_soak`` are long (minutes) and run only with ``CXLAB_FAULT_SOAK=1``.
"""

import errno
import json
import os
import pathlib
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from test_report import scores_notebook, sleeping_notebook, write_notebook
from typer.testing import CliRunner

import cxlab.report.execute as execute_module
from cxlab import report
from cxlab.cli import app
from cxlab.report.errors import (
    ReportDataChangedError,
    ReportLockedError,
    ReportOutputError,
    ReportRunError,
)
from cxlab.report.interrupt import EXIT_DEADLINE_SECONDS
from cxlab.report.lock import lock_path
from cxlab.report.progress import NotebookProgress
from cxlab.report.publish import clean_leftover_scratch
from cxlab.synth import simulate, write_demo

QUARTER = "2026Q3"
MARK_VAR = "CXLAB_FAULT_TEST_MARK"
SOAK = pytest.mark.skipif(os.environ.get("CXLAB_FAULT_SOAK") != "1",
                          reason="long soak test; set CXLAB_FAULT_SOAK=1 to run it")
runner = CliRunner()

# Runs the command line with the progress display stuck forever in its write while holding the run's
# notebook lock, tqdm's lock and logging's lock: a signal arriving now must still end the run.
STUCK_DISPLAY_DRIVER = """
import logging, os, sys, threading
import tqdm
from cxlab.report import progress

def stuck(self, text):
    tqdm.tqdm.get_lock().acquire()
    logging._lock.acquire()
    open(os.environ["CXLAB_READY_FILE"], "w").write("stuck")
    threading.Event().wait()

progress.NotebookProgress.write = stuck
from cxlab.cli import app
app(sys.argv[1:], prog_name="cxlab")
"""


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("world")
    write_demo(simulate(n_customers=600, seed=5), folder)
    return folder


@pytest.fixture
def data(tmp_path, world):
    """A private copy of the world that a test may damage."""
    return Path(shutil.copytree(world, tmp_path / "data"))


@pytest.fixture
def notebooks(tmp_path):
    folder = tmp_path / "notebooks"
    scores_notebook(folder)
    return folder


@pytest.fixture(autouse=True)
def _matplotlib_config(tmp_path, monkeypatch):
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "mpl"))


def run_report(notebooks, data, out, **kwargs):
    return report.run(data=data, out=out, notebooks_dir=notebooks, progress=False, **kwargs)


def snapshot_files(folder: Path) -> dict:
    return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def assert_nothing_half_published(out: Path, earlier: dict) -> None:
    """Only the earlier report and the list of quarters are in ``out``, byte for byte as before."""
    assert sorted(p.name for p in out.iterdir()) == [QUARTER, "index.html"]
    assert snapshot_files(out / QUARTER) == earlier


def marked_processes(mark: str) -> list[int]:
    """Processes (kernels included) whose environment carries the test's mark."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                environ = (entry / "environ").read_bytes()
            except OSError:
                continue
            if f"{MARK_VAR}={mark}".encode() in environ.split(b"\0"):
                found.append(int(entry.name))
    return found


def wait_until_gone(mark: str, seconds: float = 15) -> list[int]:
    deadline = time.monotonic() + seconds
    while (left := marked_processes(mark)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def cli_process(args: list[str], tmp_path: Path, driver: str | None = None, **env) -> tuple[subprocess.Popen, str]:
    mark = uuid.uuid4().hex
    code = driver or "import sys\nfrom cxlab.cli import app\napp(sys.argv[1:], prog_name='cxlab')"
    process = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env={**os.environ, "MPLCONFIGDIR": str(tmp_path / "mpl"), MARK_VAR: mark,
                                               **env})
    return process, mark


def wait_for(condition, process: subprocess.Popen, seconds: float = 240) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the run never reached the expected point"
        time.sleep(0.1)


# --- interruption ------------------------------------------------------------------------------------------


def test_signal_while_display_and_locks_are_held_ends_the_run(tmp_path, data, notebooks, cpu_load):
    """The deadlock window, deterministically: the signal arrives while the display holds its locks."""
    out = tmp_path / "reports"
    ready = tmp_path / "ready"
    process, mark = cli_process(["report", "--data", str(data), "--out", str(out), "--notebooks", str(notebooks)],
                                tmp_path, STUCK_DISPLAY_DRIVER, CXLAB_READY_FILE=str(ready))
    wait_for(ready.exists, process)
    process.send_signal(signal.SIGINT)
    signalled = time.monotonic()
    _, stderr = process.communicate(timeout=60)
    elapsed = time.monotonic() - signalled
    assert elapsed < 10, f"the run took {elapsed:.1f} s to end after SIGINT"
    assert process.returncode == 130, stderr
    # the run's own clean-up ran (not the watchdog's emergency exit): message written, build folder removed
    assert "interrupted; no report was published" in stderr
    assert sorted(p.name for p in out.iterdir()) == []
    assert wait_until_gone(mark) == []


def test_second_signal_exits_at_once(tmp_path, data, notebooks, cpu_load):
    out = tmp_path / "reports"
    ready = tmp_path / "ready"
    process, mark = cli_process(["report", "--data", str(data), "--out", str(out), "--notebooks", str(notebooks)],
                                tmp_path, STUCK_DISPLAY_DRIVER, CXLAB_READY_FILE=str(ready))
    wait_for(ready.exists, process)
    process.send_signal(signal.SIGTERM)  # the clean-up now waits up to 3 s for the stuck worker threads
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    second = time.monotonic()
    process.communicate(timeout=60)
    assert time.monotonic() - second < 3
    assert process.returncode == 130  # the code of the signal that ended it
    assert wait_until_gone(mark) == []


def test_watchdog_ends_a_run_whose_cleanup_hangs(tmp_path):
    script = """
import sys, time
from cxlab.report.interrupt import RunSignals
with RunSignals(deadline=1.0):
    try:
        print("ready", flush=True)
        time.sleep(60)
    except KeyboardInterrupt:
        while True:  # a clean-up that never ends
            time.sleep(1)
"""
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "ready"
    process.send_signal(signal.SIGTERM)
    signalled = time.monotonic()
    process.wait(timeout=30)
    assert process.returncode == 143
    assert 1.0 <= time.monotonic() - signalled < 1.0 + 5
    assert EXIT_DEADLINE_SECONDS < 10


def test_progress_display_writes_whole_lines_without_locks():
    read_end, write_end = os.pipe()
    display = NotebookProgress(3, fd=write_end)
    display.show(0, ["b_notebook", "a_notebook"])
    display.show(0, ["a_notebook", "b_notebook"])  # same state: not repeated
    display.show(1, ["b_notebook"])
    display.close()
    os.close(write_end)
    with os.fdopen(read_end) as lines:
        assert lines.read().splitlines() == ["report notebooks: 0/3 done; running: a_notebook, b_notebook",
                                             "report notebooks: 1/3 done; running: b_notebook"]
    assert not NotebookProgress(3, enabled=False).enabled


# --- faults with an earlier report to protect ------------------------------------------------------------


@pytest.fixture
def earlier(tmp_path, data, notebooks):
    """An earlier report of the quarter in ``tmp_path/reports`` and its files' bytes."""
    out = tmp_path / "reports"
    run_report(notebooks, data, out)
    return out, snapshot_files(out / QUARTER)


def test_kernel_killed_like_by_the_oom_killer(tmp_path, data, notebooks, earlier):
    out, before = earlier
    sleeping_notebook(notebooks)
    pid_file = tmp_path / "kernel.pid"
    params = tmp_path / "params.yaml"
    params.write_text(f"03_sleeps:\n  pid_path: {json.dumps(str(pid_file))}\n")

    run_ended = threading.Event()
    killed = []

    def oom_killer():  # kills the kernel each time the notebook starts: beside the others, then alone
        deadline = time.monotonic() + 240
        while not run_ended.is_set() and time.monotonic() < deadline:
            pid = pid_file.read_text().strip() if pid_file.is_file() else ""
            if pid and pid not in killed:
                killed.append(pid)
                os.kill(int(pid), signal.SIGKILL)
            time.sleep(0.1)

    killer = threading.Thread(target=oom_killer)
    killer.start()
    started = time.monotonic()
    try:
        with pytest.raises(ReportRunError) as caught:
            run_report(notebooks, data, out, force=True, params=params, workers=2)  # started beside 01_scores
    finally:
        run_ended.set()
        killer.join()
    assert time.monotonic() - started < 120
    assert len(killed) == 2  # the notebook ran beside others, died, and was run again alone
    message = str(caught.value)
    assert "notebook 03_sleeps failed: the kernel died, also when the notebook was run again" in message
    assert "out-of-memory killer" in message
    assert f"the earlier report in {out / QUARTER} is unchanged" in message
    assert sorted(p.name for p in out.iterdir()) == [QUARTER, "_failed", "index.html"]
    assert snapshot_files(out / QUARTER) == before


def test_disk_full_while_publishing(data, notebooks, earlier, monkeypatch):
    out, before = earlier
    real_write_text = pathlib.Path.write_text

    def disk_fills_up(path, text, *args, **kwargs):
        if path.name.endswith(".html.partial"):
            real_write_text(path, text[: len(text) // 2], *args, **kwargs)  # half the page, then no space
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real_write_text(path, text, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "write_text", disk_fills_up)
    with pytest.raises(ReportOutputError, match=r"cannot write the report into .*: No space left on device .*"
                                                r"no report was published for 2026Q3; the earlier report .* unchanged"):
        run_report(notebooks, data, out, force=True)
    assert_nothing_half_published(out, before)


def test_reports_folder_not_writable(tmp_path, data, notebooks, earlier, monkeypatch):
    """Tests run as root, which ignores file modes: the refusal is simulated where the run first writes."""
    out, before = earlier
    real_open = os.open

    def refused(path, *args, **kwargs):
        if Path(path).parent == out:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", refused)
    monkeypatch.setattr(execute_module, "_execute_one", _must_not_run)
    with pytest.raises(ReportOutputError, match=r"cannot write the report into .*: Permission denied"):
        run_report(notebooks, data, out, force=True)
    assert_nothing_half_published(out, before)


def _must_not_run(*args, **kwargs):
    raise AssertionError("a notebook was executed although the run could not go on")


@pytest.fixture
def small_disk(tmp_path):
    """A 4 MiB tmpfs; skipped where mounting is not permitted."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount_point)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_real_full_disk_and_read_only_folder(small_disk, data, notebooks):
    out = small_disk / "reports"
    run_report(notebooks, data, out)
    before = snapshot_files(out / QUARTER)
    filler = small_disk / "filler"
    with open(filler, "wb") as handle:  # fill the disk to the last block
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError as err:
            assert err.errno == errno.ENOSPC
    result = runner.invoke(app, ["report", "--data", str(data), "--out", str(out), "--notebooks", str(notebooks),
                                 "--force"])
    assert result.exit_code == 4, result.output
    assert "No space left on device" in result.stderr and "the earlier report" in result.stderr
    assert_nothing_half_published(out, before)

    filler.unlink()
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    base = ["report", "--data", str(data), "--out", str(out), "--notebooks", str(notebooks), "--force"]
    result = runner.invoke(app, base)
    assert result.exit_code == 4 and "Read-only file system" in result.stderr, result.output
    result = runner.invoke(app, [*base, "--check"])
    assert result.exit_code == 4 and "is not writable" in result.stderr, result.output
    assert_nothing_half_published(out, before)


def test_data_file_changed_during_the_run(data, notebooks, earlier, monkeypatch):
    out, before = earlier
    real_execute = execute_module._execute_one

    def execute_then_change_the_data(job, **kwargs):
        real_execute(job, **kwargs)
        with open(data / "customers.csv", "a", encoding="utf-8") as handle:
            handle.write("\n")  # an export still being written, or replaced, while the report runs

    monkeypatch.setattr(execute_module, "_execute_one", execute_then_change_the_data)
    with pytest.raises(ReportDataChangedError, match=r"data changed during the run: customers.csv in .* no report "
                                                     r"was published for 2026Q3"):
        run_report(notebooks, data, out, force=True)
    assert_nothing_half_published(out, before)


# --- concurrent runs -----------------------------------------------------------------------------------------

HOLDER = """
import sys, time
from pathlib import Path
from cxlab.report.lock import quarter_lock
with quarter_lock(Path(sys.argv[1]), sys.argv[2]):
    print("held", flush=True)
    time.sleep(300)
"""


def test_second_run_of_the_quarter_is_refused_naming_the_holder(tmp_path, data, notebooks, monkeypatch):
    out = tmp_path / "reports"
    out.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(out), QUARTER], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with monkeypatch.context() as patched:
            patched.setattr(execute_module, "_execute_one", _must_not_run)
            with pytest.raises(ReportLockedError, match=rf"another report run of 2026Q3 is under way in .*: process "
                                                        rf"{holder.pid} on host \S+, started "):
                run_report(notebooks, data, out)
            base = ["report", "--data", str(data), "--out", str(out), "--notebooks", str(notebooks)]
            for args in (base, [*base, "--check"]):
                result = runner.invoke(app, args)
                assert result.exit_code == 3 and f"process {holder.pid}" in result.stderr, result.output
        assert "quarter 2026Q2" in report.check(data=data, out=out, notebooks_dir=notebooks, quarter="2026Q2")
    finally:
        holder.kill()  # a crashed holder: the system releases its lock, the file stays behind
        holder.wait()
    assert lock_path(out, QUARTER).exists()
    run_report(notebooks, data, out)
    assert sorted(p.name for p in out.iterdir()) == [QUARTER, "index.html"]  # the lock file was removed


def test_temporary_folders_of_dead_runs_are_removed(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    names = [f"cxlab-run-{int(dead.stdout)}-abc", f"cxlab-run-{os.getpid()}-def", "cxlab-run-ghi"]
    for name in names:
        (tmp_path / name / "validated").mkdir(parents=True)
    assert clean_leftover_scratch(tmp_path) == [tmp_path / names[0]]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names[1:])  # a live run's, another program's


# --- bad data ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("damage", ["truncated", "overwritten"])
def test_corrupted_parquet_file_is_bad_input_naming_the_file(tmp_path, data, notebooks, monkeypatch, damage):
    monkeypatch.setattr(execute_module, "_execute_one", _must_not_run)
    path = data / "surveys.parquet"
    content = bytearray(path.read_bytes())
    if damage == "truncated":
        content = content[: len(content) // 2]
    else:
        content[2000:6000] = bytes(4000)
    path.write_bytes(bytes(content))
    result = runner.invoke(app, ["report", "--data", str(data), "--out", str(tmp_path / "reports"),
                                 "--notebooks", str(notebooks)])
    assert result.exit_code == 2, result.output
    assert f"{path}: not a readable Parquet file" in result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "reports").exists()


def test_five_megabyte_comment_is_reported_escaped(tmp_path, data, notebooks):
    surveys = pd.read_parquet(data / "surveys.parquet")
    answered = surveys.index[surveys["responded_at"].notna() & (surveys["touchpoint"] == "relationship")
                             & (surveys["responded_at"] >= "2026-07-01")]
    huge = "cx-injected <b>" + "the invoice was wrong & late. " * (5_000_000 // 30) + "</b>"
    surveys.loc[answered[-1], "comment"] = huge
    surveys.to_parquet(data / "surveys.parquet", index=False)
    started = time.monotonic()
    index = run_report(notebooks, data, tmp_path / "reports")
    assert time.monotonic() - started < 240
    page = (index.parent / "01_scores.html").read_text(encoding="utf-8")
    assert "cx-injected &lt;b&gt;the invoice was wrong &amp; late." in page
    assert "<b>the invoice" not in page


# --- unattended use ------------------------------------------------------------------------------------------


def test_check_validates_without_running(tmp_path, data, notebooks, monkeypatch):
    monkeypatch.setattr(execute_module, "_execute_one", _must_not_run)
    out = tmp_path / "reports"
    result = runner.invoke(app, ["report", "--check", "--data", str(data), "--out", str(out),
                                 "--notebooks", str(notebooks)])
    assert result.exit_code == 0, result.output
    assert "quarter 2026Q3 (ends 2026-09-30)" in result.stdout and "notebooks: 01_scores" in result.stdout
    assert "check passed" in result.stdout
    assert not out.exists()
    params = tmp_path / "params.yaml"
    params.write_text("top_n: many\n")
    for args, message in ((["--quarter", "2026Q4"], "after the data's as-of date"),
                          (["--params", str(params)], "top_n (parameters file) must be a whole number"),
                          (["--data", str(tmp_path / "nowhere")], "data folder not found")):
        result = runner.invoke(app, ["report", "--check", "--data", str(data), "--out", str(out),
                                     "--notebooks", str(notebooks), *args])
        assert result.exit_code == 2 and message in result.stderr, result.output
    assert not out.exists()


def test_help_documents_the_exit_codes():
    result = runner.invoke(app, ["report", "--help"])
    text = " ".join(result.stdout.split())
    for phrase in ("--check", "1 a notebook or page failed", "2 bad input", "3 another run of the quarter",
                   "4 the reports folder is read-only", "5 a data file changed", "130 interrupted (SIGINT)",
                   "143 terminated (SIGTERM)"):
        assert phrase in text


# --- long runs: random kills and soak (CXLAB_FAULT_SOAK=1) -----------------------------------------------


@SOAK
@pytest.mark.slow
def test_random_kills(tmp_path, data, notebooks, cpu_load, monkeypatch):
    """30 runs killed at random moments by SIGINT, SIGTERM or SIGKILL; figures printed for the record."""
    write_notebook(notebooks, "02_other", [nbformat.v4.new_markdown_cell("# Other"),
                                           nbformat.v4.new_code_cell("import time\ntime.sleep(2)")])
    out = tmp_path / "reports"
    private = _private_temporary_folders(tmp_path, monkeypatch)
    run_report(notebooks, data, out)
    before = snapshot_files(out / QUARTER)
    rng = random.Random(7)
    exits, stop_seconds = [], []
    for _ in range(int(os.environ.get("CXLAB_FAULT_KILLS", "30"))):
        signum = rng.choice([signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
        process, mark = cli_process(["report", "--data", str(data), "--out", str(out), "--notebooks",
                                     str(notebooks), "--force"], tmp_path, **private)
        time.sleep(rng.uniform(0.5, 25))
        process.send_signal(signum)
        signalled = time.monotonic()
        _, stderr = process.communicate(timeout=60)
        stop_seconds.append(time.monotonic() - signalled)
        assert process.returncode in (0, 128 + signum, -signum), stderr
        assert wait_until_gone(mark) == [], "processes of the killed run are still alive"
        now = snapshot_files(out / QUARTER)
        # either the earlier report byte for byte, or (the signal came after publication) a complete new one
        assert now == before or (set(now) == set(before) and now[Path("provenance.json")]
                                 != before[Path("provenance.json")]), "half-published report"
        exits.append((signal.Signals(signum).name, process.returncode, "kept" if now == before else "new"))
        before = now
        if signum != signal.SIGKILL:  # an interrupted run removes its own folders (a SIGKILLed one's wait)
            assert not list(out.glob(f".*-{process.pid}")), "hidden leftovers"
    run_report(notebooks, data, out, force=True)  # tidies what the SIGKILLed runs left
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
    assert _leftovers(private) == []
    print(f"\n(signal, exit code, report): {exits}\nseconds from signal to exit: max {max(stop_seconds):.1f}, "
          f"mean {sum(stop_seconds) / len(stop_seconds):.1f}")


@SOAK
@pytest.mark.slow
def test_soak(tmp_path, monkeypatch):
    """50 consecutive demo runs in one process: no temporary files, processes or growing memory left behind."""
    repo = Path(__file__).resolve().parents[1]
    out = tmp_path / "reports"
    private = _private_temporary_folders(tmp_path, monkeypatch)
    runs = int(os.environ.get("CXLAB_SOAK_RUNS", "50"))
    memory, seconds = [], []
    for _ in range(runs):
        started = time.monotonic()
        report.run(data=repo / "data" / "demo", out=out, force=True, progress=False)
        seconds.append(time.monotonic() - started)
        with open("/proc/self/status") as status:
            memory.append(next(int(line.split()[1]) // 1024 for line in status if line.startswith("VmRSS:")))
        assert not [p for p in out.iterdir() if p.name.startswith(".")]
        assert not (out / "_failed").exists()
        assert _leftovers(private) == []
        assert _children() == []
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"\n{runs} runs: {min(seconds):.0f}-{max(seconds):.0f} s each; resident MiB after runs 1/10/last: "
          f"{memory[0]}/{memory[min(9, runs - 1)]}/{memory[-1]}; peak {peak}")
    assert memory[-1] - memory[min(9, runs - 1)] < 100


def _children() -> list[int]:
    me = str(os.getpid())
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[1] == me and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def _private_temporary_folders(tmp_path: Path, monkeypatch) -> dict:
    """Point the temporary folder and Jupyter's runtime folder (kernel connection files) of this process and
    its children at empty folders of the test, which other programs on the machine do not use."""
    folders = {"TMPDIR": tmp_path / "tmp", "JUPYTER_RUNTIME_DIR": tmp_path / "jupyter-runtime"}
    for name, folder in folders.items():
        folder.mkdir()
        monkeypatch.setenv(name, str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folders["TMPDIR"]))
    return {name: str(folder) for name, folder in folders.items()}


def _leftovers(private: dict) -> list[str]:
    return sorted(str(p) for folder in private.values() for p in Path(folder).iterdir())
