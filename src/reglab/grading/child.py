"""The learner's process: runs the kept code and answers the grader's requests.

Started by :mod:`reglab.grading.runner` as ``python -m reglab.grading.child REQUESTS
RESPONSES`` (two pipe descriptors). Messages are JSON (:mod:`reglab.grading.codec`);
the learner's prints go to this process's stdout, which the grader discards, never
into the replies. Requests:

- ``load``: run the kept statements of each chunk one by one (a failing import is
  noted and skipped), with the course's helper modules registered when the
  learner's directory lacks them; reply with the notes and which functions exist.
- ``call``: call one function on each case (NumPy's global generator seeded with
  :data:`GRADER_SEED` before each, so a function that forgets to seed is
  predictable); reply with each output or the error it raised.
- ``gradcheck``: gradient-check one backward function against the learner's cost.
"""

from __future__ import annotations

import ast
import os
import sys
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

GRADER_SEED = 20_000
"""The global generator's seed before each call of a learner function."""


def describe_error(error: BaseException, filenames: set[str]) -> str:
    """``ValueError: message (solution.py, line 12)``: the last line of the learner's code."""
    where = ""
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename in filenames:
            where = f" ({Path(frame.filename).name}, line {frame.lineno})"
    text = " ".join(str(error).split())[:300]
    return f"{type(error).__name__}: {text}{where}" if text else f"{type(error).__name__}{where}"


class LearnerSession:
    """The learner's namespace and the requests that use it."""

    def __init__(self) -> None:
        """An empty namespace, as a module's."""
        self.namespace: dict[str, Any] = {"__name__": "__learner__"}
        self.filenames: set[str] = set()

    def load(self, message: dict[str, Any]) -> dict[str, Any]:
        """Run the kept statements; note what failed; say which functions are the learner's."""
        from reglab.grading import course_modules

        path = Path(message["path"]).resolve()
        os.chdir(path.parent)
        sys.path.insert(0, str(path.parent))
        supplied = course_modules.install(path.parent)
        notes = []
        for chunk in message["chunks"]:
            self.filenames.add(chunk["filename"])
            tree = ast.parse(chunk["code"], filename=chunk["filename"])
            for statement in tree.body:
                code = compile(ast.Module([statement], []), chunk["filename"], "exec")
                try:
                    exec(code, self.namespace)  # the learner's code, in the learner's process
                except BaseException as error:
                    segment = ast.get_source_segment(chunk["code"], statement) or ""
                    first_line = segment.splitlines()[0] if segment else ""
                    notes.append(
                        f"{chunk['label']}, line {statement.lineno} failed and was skipped "
                        f"({first_line}): {describe_error(error, set())}"
                    )
        functions = {}
        for name in message["functions"]:
            value = self.namespace.get(name)
            defined_in = getattr(getattr(value, "__code__", None), "co_filename", None)
            if defined_in in self.filenames:
                functions[name] = "defined"
            else:
                functions[name] = "missing"
        return {"notes": notes, "supplied": supplied, "functions": functions}

    def call(self, message: dict[str, Any]) -> dict[str, Any]:
        """Call the function on each case; each result is an output or an error line."""
        import numpy as np

        from reglab.grading.codec import from_data, to_data

        function = self.namespace[message["function"]]
        results = []
        for case in message["cases"]:
            arguments = from_data(case)
            np.random.seed(GRADER_SEED)  # noqa: NPY002 - the course's functions use it
            try:
                output = function(*arguments)
            except BaseException as error:
                results.append({"error": describe_error(error, self.filenames)})
                continue
            results.append({"output": to_data(output)})
        return {"results": results}

    def gradcheck(self, message: dict[str, Any]) -> dict[str, Any]:
        """Gradient-check one backward function against the learner's own cost."""
        from reglab.grading.learner_gradcheck import CHECKS

        run_check, _ = CHECKS[message["function"]]
        try:
            result = run_check(self.namespace)
        except BaseException as error:
            return {"error": describe_error(error, self.filenames)}
        check = result.to_dict()
        del check["kinks"]  # counted for the engine's check only
        return {"check": check}


def serve(requests: Connection, responses: Connection) -> None:
    """Answer requests until ``exit`` or until the grader closes the pipe."""
    from reglab.grading.codec import dumps, loads

    session = LearnerSession()
    handlers = {"load": session.load, "call": session.call, "gradcheck": session.gradcheck}
    while True:
        try:
            message = loads(requests.recv_bytes())
        except EOFError:
            return
        if message["op"] == "exit":
            # Nothing to clean up: skip the interpreter's teardown (Numba's and
            # matplotlib's objects make it take a third of a second).
            sys.stdout.flush()
            os._exit(0)
        responses.send_bytes(dumps(handlers[message["op"]](message)))


def main() -> None:
    """Entry point: ``python -m reglab.grading.child REQUESTS_FD RESPONSES_FD``."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    requests = Connection(int(sys.argv[1]), writable=False)
    responses = Connection(int(sys.argv[2]), readable=False)
    sys.setrecursionlimit(10_000)
    serve(requests, responses)


if __name__ == "__main__":
    main()
