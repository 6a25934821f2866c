"""Progress bars on a terminal, plain lines elsewhere; shell completion scripts."""

from __future__ import annotations

import errno
import io
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import pytest

from provisioning import cli
from provisioning.progress import Progress
from tests.conftest import TopicFactory
from tests.services import Services
from tests.test_submit import GOOD


@pytest.fixture
def terminal() -> Iterator[tuple[TextIO, int]]:
    """A pseudo-terminal: (what a command writes to, the end that reads it)."""
    reader, writer = os.openpty()
    with os.fdopen(writer, "w", closefd=True) as stream:
        yield stream, reader
    os.close(reader)


def read_all(fd: int) -> str:
    os.set_blocking(fd, False)
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:  # nothing more for now
            break
        except OSError as exc:  # EIO: the terminal's other end is closed and drained
            if exc.errno != errno.EIO:
                raise
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")


def test_plain_lines_when_not_a_terminal() -> None:
    stream = io.StringIO()
    with Progress("submit", 3, unit="requests", stream=stream, every=0) as bar:
        for _ in range(3):
            bar.advance()
    assert stream.getvalue().splitlines() == [
        "submit: 1/3 requests",
        "submit: 2/3 requests",
        "submit: 3/3 requests",
    ]

    quiet = io.StringIO()  # a short run prints nothing extra
    with Progress("submit", 3, stream=quiet) as bar:
        bar.advance(3)
    assert quiet.getvalue() == ""

    # a line at most every `every` seconds, and the last count at the end
    timed = io.StringIO()
    with Progress("redrive", stream=timed, every=0.5) as bar:
        bar.update(1, 5)
        time.sleep(0.6)
        bar.update(2)
        bar.update(5)
    assert timed.getvalue().splitlines() == ["redrive: 2/5", "redrive: 5/5"]


def test_follow_reads_progress_from_a_thread() -> None:
    stream = io.StringIO()
    done = {"n": 0}
    with Progress("replay", stream=stream, every=0) as bar:
        bar.follow(lambda: (done["n"], 4), interval=0.05)
        for _ in range(4):
            done["n"] += 1
            time.sleep(0.1)
    assert stream.getvalue().splitlines()[-1] == "replay: 4/4"
    assert bar.completed == 4


def test_a_bar_on_a_terminal(terminal: tuple[TextIO, int]) -> None:
    stream, reader = terminal
    with Progress("submit", 3, unit="requests", stream=stream) as bar:
        for _ in range(3):
            bar.advance()
    stream.flush()
    shown = read_all(reader)
    assert "submit" in shown
    assert "3/3" in shown
    assert "━" in shown  # rich's bar, not the plain line
    assert "submit: 3/3" not in shown


def test_completion_scripts(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["completion", "bash"]) == 0
    script = capsys.readouterr().out
    # bash reads it, and completes a command and a flag of a subcommand
    probe = (
        f"{script}\n"
        "COMP_WORDS=(provisioning off); COMP_CWORD=1; _shtab_provisioning; "
        'echo "${COMPREPLY[@]}"\n'
        "COMP_WORDS=(provisioning offsets reset --to-e); COMP_CWORD=3; _shtab_provisioning; "
        'echo "${COMPREPLY[@]}"\n'
    )
    bash = shutil.which("bash")
    assert bash is not None
    result = subprocess.run([bash], input=probe, capture_output=True, text=True, check=True)
    assert result.stdout.splitlines() == ["offsets", "--to-earliest"], result.stderr

    assert cli.main(["completion", "zsh"]) == 0
    zsh_script = capsys.readouterr().out
    assert zsh_script.startswith("#compdef provisioning")
    assert "--to-earliest" in zsh_script
    zsh = shutil.which("zsh")
    if zsh is not None:  # not on every machine
        subprocess.run([zsh, "-n"], input=zsh_script, text=True, check=True)

    with pytest.raises(SystemExit) as exit_:
        cli.main(["completion", "fish"])
    assert exit_.value.code == 2


@pytest.mark.kafka
def test_submit_file_draws_a_bar_on_a_terminal_and_keeps_stdout_the_result(
    services: Services, make_topic: TopicFactory, tmp_path: Path
) -> None:
    topic = make_topic()
    path = tmp_path / "requests.jsonl"
    path.write_text("\n".join(GOOD) + "\n")
    env = {
        **os.environ,
        "PROVISIONING_KAFKA_BOOTSTRAP_SERVERS": services.kafka_bootstrap,
        "PROVISIONING_TOPIC_ACTIONS": topic,
        "COLUMNS": "100",
    }
    reader, writer = os.openpty()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "provisioning.cli", "submit", "--file", str(path)],
            stdout=subprocess.PIPE,  # not a terminal: the result only
            stderr=writer,  # a terminal: the bar
            env=env,
            text=True,
            timeout=60,
            check=False,
        )
        os.close(writer)
        writer = -1
        drawn = read_all(reader)
    finally:
        if writer >= 0:
            os.close(writer)
        os.close(reader)
    assert result.returncode == 0, drawn
    lines = result.stdout.splitlines()
    assert len(lines) == 4
    assert lines[-1] == f"3 request(s) sent to {topic}"
    assert "submit" in drawn
    assert "3/3" in drawn
    assert "━" in drawn
