"""The grader's side of the learner's process: start it, ask it, and kill it when it hangs.

The learner's code runs in a child Python (``sys.executable``) in its own session, so
a timeout kills its whole process group (anything it started included). Each request
has a time limit; a request that does not answer in time, or a process that dies,
gives None, and the process is gone: the grader starts a fresh one for what is left.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
from multiprocessing.connection import Connection
from typing import Any

from reglab.grading.codec import dumps, loads


class LearnerProcess:
    """One child process serving :mod:`reglab.grading.child` requests."""

    def __init__(self) -> None:
        """Start the child; its stdout (the learner's prints) is discarded."""
        request_read, request_write = os.pipe()
        response_read, response_write = os.pipe()
        environment = dict(os.environ, MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1")
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "reglab.grading.child",
                str(request_read),
                str(response_write),
            ],
            pass_fds=(request_read, response_write),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
            start_new_session=True,
            env=environment,
        )
        os.close(request_read)
        os.close(response_write)
        self._requests = Connection(request_write, readable=False)
        self._responses = Connection(response_read, writable=False)
        self.failure = ""
        self.error_line = ""
        """Once closed: the last line the child wrote on stderr (why it died), or ``""``."""

    def ask(self, message: dict[str, Any], timeout: float) -> dict[str, Any] | None:
        """Send ``message`` and wait up to ``timeout`` seconds for the reply.

        Returns:
            The reply, or None when the time ran out or the process died (then it is
            killed, and :attr:`failure` says which).
        """
        try:
            self._requests.send_bytes(dumps(message))
            if self._responses.poll(timeout):
                reply: dict[str, Any] = loads(self._responses.recv_bytes())
                return reply
            self.failure = "timeout"
        except (EOFError, OSError):
            self.failure = "died"
        except ValueError:  # not our JSON: the learner's code wrote into the reply pipe
            self.failure = "garbled"
        self.close()
        return None

    def _last_stderr_line(self) -> str:
        self._stderr.seek(0)
        lines = self._stderr.read().decode("utf-8", "replace").strip().splitlines()
        return lines[-1] if lines else ""

    def close(self) -> None:
        """End the child and everything in its process group."""
        if self.failure == "" and self._process.poll() is None:
            try:
                self._requests.send_bytes(dumps({"op": "exit"}))
                self._process.wait(timeout=1)
            except (OSError, subprocess.TimeoutExpired):
                pass
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._process.pid, signal.SIGKILL)
        self._process.wait()
        for connection in (self._requests, self._responses):
            connection.close()
        if not self._stderr.closed:
            self.error_line = self._last_stderr_line()
            self._stderr.close()

    def __enter__(self) -> LearnerProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if not self._requests.closed:
            self.close()
