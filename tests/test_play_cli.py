"""``reglab play``: its options, the command it runs, and life without Streamlit."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from play_server import play_server
from reglab.cli import build_parser, main
from reglab.cli import play as play_command
from reglab.play.caps import MAX_ITERATIONS, MAX_ROWS, MAX_SEEDS


def parse(*arguments: str) -> Any:
    return build_parser().parse_args(["play", *arguments])


def test_help_lists_the_options_and_the_caps(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["play", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    for option in ("--host", "--port", "--no-browser", "--data PATH", "--dataset NAME"):
        assert option in text
    assert f"{MAX_ITERATIONS:,} iterations" in text
    assert f"{MAX_SEEDS} seeds" in text
    assert "5 MB per uploaded CSV" in text
    assert f"mini-batches of at most {MAX_ROWS:,} and a patience of at most" in text
    assert "the optimizer: gd, momentum or Adam, mini-batches and early stopping" in text
    assert 'pip install "reglab[play]"' in text


def test_the_streamlit_command() -> None:
    command = play_command.streamlit_command(parse("--no-browser", "--port", "8765"))
    assert command[:5] == [sys.executable, "-m", "streamlit", "run", str(play_command.APP)]
    assert Path(command[4]).is_file()
    options = dict(zip(command[5::2], command[6::2], strict=True))
    assert options == {
        "--server.address": "127.0.0.1",
        "--server.port": "8765",
        "--server.headless": "true",
        "--server.maxUploadSize": "5",
        "--server.fileWatcherType": "none",
        "--browser.gatherUsageStats": "false",
        "--global.developmentMode": "false",
        "--client.toolbarMode": "minimal",
        "--runner.magicEnabled": "false",
    }
    # Headless even when the page opens in a browser: reglab opens it, so Streamlit never
    # asks a new user for an e-mail address on its first run.
    opens_browser = play_command.streamlit_command(parse())
    assert opens_browser[opens_browser.index("--server.headless") + 1] == "true"
    assert opens_browser[opens_browser.index("--server.port") + 1] == "8501"


def test_the_browser_opens_the_page_once_the_server_answers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    opened: list[str] = []
    monkeypatch.setattr(play_command, "open_browser", opened.append)
    code, launched = run_without_serving(monkeypatch, "--dataset", "moons", "--port", "8600")
    assert code == 0 and len(launched) == 1
    for _ in range(100):  # the opener runs in a thread of its own
        if opened:
            break
        time.sleep(0.01)
    assert opened == ["http://127.0.0.1:8600"]
    opened.clear()
    run_without_serving(monkeypatch, "--dataset", "moons", "--no-browser")
    time.sleep(0.1)
    assert opened == []
    assert play_command.page_url(parse("--host", "0.0.0.0")) == "http://localhost:8501"
    assert play_command.page_url(parse("--host", "::1")) == "http://[::1]:8501"


def test_the_data_options_reach_the_page(tmp_path: Path) -> None:
    environment = play_command.page_environment(parse("--data", "points.csv", "--offline"))
    assert environment["REGLAB_PLAY_DATA"] == str(Path("points.csv").absolute())
    assert environment["REGLAB_PLAY_OFFLINE"] == "1"
    assert "REGLAB_PLAY_DATASET" not in environment
    environment = play_command.page_environment(parse("--dataset", "moons"))
    assert environment["REGLAB_PLAY_DATASET"] == "moons"
    assert "REGLAB_PLAY_DATA" not in environment


def run_without_serving(
    monkeypatch: pytest.MonkeyPatch, *arguments: str
) -> tuple[int, list[list[str]]]:
    """``reglab play ARGUMENTS`` with the server replaced: its exit code and the commands."""
    launched: list[list[str]] = []

    class FakeServer:
        def __init__(self, command: list[str], **kwargs: Any) -> None:
            launched.append(command)

        def wait(self) -> int:
            return 0

    monkeypatch.setattr(play_command.subprocess, "Popen", FakeServer)
    return main(["play", *arguments]), launched


def test_host_0000_warns(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, launched = run_without_serving(monkeypatch, "--dataset", "moons", "--host", "0.0.0.0")
    assert code == 0 and len(launched) == 1
    err = capsys.readouterr().err
    assert "reglab: warning: --host 0.0.0.0 lets every machine that can reach this one" in err
    code, _ = run_without_serving(monkeypatch, "--dataset", "moons")
    assert code == 0
    err = capsys.readouterr().err
    assert "warning" not in err
    assert "serving the page on http://127.0.0.1:8501" in err


def test_is_local() -> None:
    assert play_command.is_local("127.0.0.1") and play_command.is_local("localhost")
    assert play_command.is_local("::1")
    assert not play_command.is_local("0.0.0.0") and not play_command.is_local("192.168.1.5")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--port", "70000"], "port must be an integer in [1, 65535]. Received: port=70000"),
        (["--port", "http"], "port must be an integer in [1, 65535]. Received: port='http'"),
        (
            ["--host", ""],
            "host must be a host name or an IP address, e.g. 127.0.0.1. Received: host=''",
        ),
        (["--host", "a b"], "host must be a host name or an IP address"),
        (["--dataset", "mnist"], "dataset must be one of 'football', 'goalkeeper'"),
        (["--dataset", "moons", "--test-fraction", "0.2"], "test_fraction must be set on the page"),
    ],
)
def test_bad_options_are_one_line_before_any_server(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    arguments: list[str],
    message: str,
) -> None:
    code, launched = run_without_serving(monkeypatch, *arguments)
    assert code == 2 and launched == []
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert message in err


def test_without_streamlit_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = play_command.importlib.util.find_spec
    monkeypatch.setattr(
        play_command.importlib.util,
        "find_spec",
        lambda name, *rest: None if name == "streamlit" else real(name, *rest),
    )
    code, launched = run_without_serving(monkeypatch, "--dataset", "moons")
    assert code == 2 and launched == []
    assert capsys.readouterr().err == (
        'reglab: error: reglab play needs Streamlit: install it with pip install "reglab[play]"\n'
    )


BLOCK_STREAMLIT = textwrap.dedent(
    """
    import sys

    class NoStreamlit:
        def find_spec(self, name, path=None, target=None):
            if name == "streamlit" or name.startswith("streamlit."):
                raise ModuleNotFoundError(f"No module named {name!r}")
            return None

    sys.meta_path.insert(0, NoStreamlit())
    import importlib.util
    real = importlib.util.find_spec
    importlib.util.find_spec = lambda name, *a: None if name == "streamlit" else real(name, *a)
    import reglab
    import reglab.play.state, reglab.play.session, reglab.play.downloads
    from reglab.cli import main
    assert "streamlit" not in sys.modules
    sys.exit(main(sys.argv[1:]))
    """
)


@pytest.mark.parametrize(
    ("arguments", "code"),
    [
        (["datasets"], 0),
        (["play", "--help"], 0),
        (["train", "--dataset", "moons", "--iterations", "10", "--json"], 0),
        (["play", "--dataset", "moons", "--no-browser"], 2),
    ],
)
def test_reglab_works_without_streamlit(arguments: list[str], code: int) -> None:
    completed = subprocess.run(
        [sys.executable, "-c", BLOCK_STREAMLIT, *arguments],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == code, completed.stderr
    if code == 2:
        assert completed.stderr == (
            "reglab: error: reglab play needs Streamlit: install it with pip install "
            '"reglab[play]"\n'
        )


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "kill"])
def test_a_real_server_answers_and_stops_with_reglab(football_path: Path, stop: int) -> None:
    with play_server(["--data", str(football_path)]) as (url, process):
        with urllib.request.urlopen(url, timeout=10) as answer:
            assert answer.status == 200
            assert b"<html" in answer.read().lower()
        process.send_signal(stop)  # to reglab alone: it stops the server
        assert process.wait(timeout=30) == 130
        with pytest.raises(OSError):  # the server is gone with it
            urllib.request.urlopen(url, timeout=2)
        assert process.stdout is not None
        output = process.stdout.read()
    assert "Traceback" not in output
    assert output.rstrip().endswith("reglab: interrupted")
