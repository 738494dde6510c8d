"""Open the playground: a local web page that retrains the models as you change a knob.

The page opens on the exercise's three models (no regularization, L2 with
lambda = 0.7, the course's dropout with keep_prob = 0.86) on the chosen data,
with their table, decision boundaries and curves, and retrains when a knob
moves: every option of `reglab train` (per model L2, L1, dropout, the learning
rate and initialization, the optimizer: gd, momentum or Adam, mini-batches and
early stopping), up to 4 models side by side, 1 to 50 seeds with their spread,
and the classes of the generators that draw more than two. The page's whole
state lives in its URL: copy the link to share the exact setting. It downloads
the HTML report, the JSON results and a config file for `reglab sweep --config`.

It needs Streamlit: pip install "reglab[play]". It listens on 127.0.0.1 (this
machine only) unless --host says otherwise.

CAPS

examples:
  reglab play
  reglab play --dataset moons --port 8502 --no-browser
  reglab play --data my_points.csv
"""

from __future__ import annotations

import argparse
import importlib.util
import ipaddress
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from types import FrameType

from reglab.cli.common import (
    TEXT_WIDTH,
    Subparsers,
    add_command,
    add_data_arguments,
    load_data,
    status,
)
from reglab.errors import OptionalDependencyError, ParameterError
from reglab.play.caps import CAPS_TEXT, MAX_UPLOAD_MB

APP = Path(__file__).resolve().parents[1] / "play" / "app.py"
"""The Streamlit script of the page."""

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8501
STOP_SECONDS = 10.0
"""How long Ctrl-C waits for the server to shut down before terminating it."""
INSTALL_HINT = 'reglab play needs Streamlit: install it with pip install "reglab[play]"'
BROWSER_WAIT_SECONDS = 60.0
"""How long the browser waits for the server to answer before it is opened anyway."""


def port_option(text: str) -> int:
    """An argparse ``type`` for ``--port``: an integer in [1, 65535]."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            str(ParameterError("port", "an integer in [1, 65535]", text))
        ) from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(
            str(ParameterError("port", "an integer in [1, 65535]", value))
        )
    return value


def host_option(text: str) -> str:
    """An argparse ``type`` for ``--host``: a host name or address, never empty (Streamlit
    would take an empty one for every interface)."""
    if not text or any(not character.isprintable() or character.isspace() for character in text):
        raise argparse.ArgumentTypeError(
            str(ParameterError("host", "a host name or an IP address, e.g. 127.0.0.1", text))
        )
    return text


def register(subparsers: Subparsers) -> None:
    """Add the ``play`` command to ``subparsers``."""
    caps = textwrap.fill(CAPS_TEXT[0].upper() + CAPS_TEXT[1:] + ".", TEXT_WIDTH)
    doc = (__doc__ or "").replace("CAPS", caps)
    parser = add_command(subparsers, "play", doc, run)
    server = parser.add_argument_group("server")
    server.add_argument(
        "--host",
        type=host_option,
        default=DEFAULT_HOST,
        help=f"address to listen on (default {DEFAULT_HOST}: this machine only); "
        "0.0.0.0 opens the page to your whole network, with a warning",
    )
    server.add_argument(
        "--port", type=port_option, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})"
    )
    server.add_argument(
        "--no-browser", action="store_true", help="do not open the page in a browser"
    )
    add_data_arguments(parser)


def is_local(host: str) -> bool:
    """True for an address only this machine can reach (loopback, ``localhost``)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def streamlit_command(args: argparse.Namespace) -> list[str]:
    """The ``python -m streamlit run`` command line that serves the page for ``args``."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.address",
        args.host,
        "--server.port",
        str(args.port),
        "--server.headless",  # no first-run e-mail prompt; reglab opens the browser itself
        "true",
        "--server.maxUploadSize",
        str(MAX_UPLOAD_MB),
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
        "--global.developmentMode",
        "false",
        "--client.toolbarMode",
        "minimal",
        "--runner.magicEnabled",
        "false",
    ]


def page_environment(args: argparse.Namespace) -> dict[str, str]:
    """The environment of the page's server: the data options as ``REGLAB_PLAY_*``."""
    environment = dict(os.environ)
    for name in ("REGLAB_PLAY_DATA", "REGLAB_PLAY_DATASET", "REGLAB_PLAY_OFFLINE"):
        environment.pop(name, None)
    if args.data is not None:
        environment["REGLAB_PLAY_DATA"] = str(Path(args.data).absolute())
    if args.dataset is not None:
        environment["REGLAB_PLAY_DATASET"] = args.dataset
    if args.offline:
        environment["REGLAB_PLAY_OFFLINE"] = "1"
    return environment


def run(args: argparse.Namespace) -> int:
    """Check the data and Streamlit, then serve the page until Ctrl-C."""
    if args.test_fraction is not None:
        raise ParameterError(
            "test_fraction",
            "set on the page for reglab play (a generator's test_fraction box)",
            args.test_fraction,
        )
    dataset = load_data(args)  # a bad --data or --dataset fails here, before the server
    if importlib.util.find_spec("streamlit") is None:
        raise OptionalDependencyError(INSTALL_HINT)
    if not is_local(args.host):
        status(
            f"warning: --host {args.host} lets every machine that can reach this one open "
            "the page and make it train; use it only on a network you trust"
        )
    status(f"dataset {dataset.name}: {dataset.source}")
    status(f"serving the page on http://{args.host}:{args.port} (Ctrl-C stops it)")
    server = subprocess.Popen(streamlit_command(args), env=page_environment(args))
    if not args.no_browser:
        threading.Thread(target=open_browser, args=(page_url(args),), daemon=True).start()
    previous = signal.signal(signal.SIGTERM, _interrupted)  # `kill` stops the server too
    try:
        return server.wait()
    except KeyboardInterrupt:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second kill must not cut the stop
        stop_server(server)
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupted(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def page_url(args: argparse.Namespace) -> str:
    """The page's address as a browser on this machine reaches it."""
    host = "localhost" if args.host in ("0.0.0.0", "::") else args.host
    return f"http://{'[' + host + ']' if ':' in host else host}:{args.port}"


def open_browser(url: str) -> None:
    """Open ``url`` in the user's browser once the server answers (or after a minute)."""
    import urllib.request  # here, not at the top: every command's start would pay for it
    import webbrowser

    deadline = time.monotonic() + BROWSER_WAIT_SECONDS
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1):
                break
        except OSError:
            time.sleep(0.2)
    webbrowser.open(url)


def stop_server(server: subprocess.Popen[bytes]) -> None:
    """Let the server shut down as Streamlit does on Ctrl-C (its workers with it), then wait.

    A terminal's Ctrl-C reaches the server too; the signal is sent again for a Ctrl-C
    that reached only reglab. A server still running after :data:`STOP_SECONDS` is
    terminated.
    """
    if server.poll() is None:
        server.send_signal(signal.SIGINT)
    try:
        server.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        pass
    finally:
        if server.poll() is None:  # too slow, or another Ctrl-C came while waiting
            server.terminate()
            server.wait()
