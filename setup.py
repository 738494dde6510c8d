"""Build hook: the package is built with its training kernel already compiled.

Everything else about the package is in pyproject.toml. After the sources are
copied to the build directory, :mod:`reglab.engine.precompile` runs on that
copy, in a child process, so Numba writes the kernel's cache beside the copied
sources and the wheel (hence ``pip install .``) carries it: the first run on
this machine starts at once instead of compiling for 20-50 s. Editable
installs skip this (they compile on first use, into the source tree).
``REGLAB_SKIP_PRECOMPILE=1`` skips it too. A failure here is reported and the
build goes on: the kernel then compiles on first use, as without this step.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

from setuptools import setup
from setuptools.command.build_py import build_py

# Imports reglab.engine from the build directory without running reglab/__init__.py,
# which needs the runtime dependencies the build environment does not have.
_PRECOMPILE = """
import sys, types
package = types.ModuleType("reglab")
package.__path__ = [sys.argv[1] + "/reglab"]
sys.modules["reglab"] = package
from reglab.engine.precompile import compile_kernel
compile_kernel()
"""


class BuildWithCompiledKernel(build_py):
    """``build_py``, then the kernel compiled into the built package (not when editable)."""

    def run(self) -> None:
        super().run()
        if self.editable_mode or os.environ.get("REGLAB_SKIP_PRECOMPILE") == "1":
            return
        print("reglab: compiling the training kernel for this machine (20-50 s)", flush=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", _PRECOMPILE, os.path.abspath(self.build_lib)],
            env=env,
            check=False,
        )
        if done.returncode == 0:
            print(f"reglab: kernel compiled in {time.perf_counter() - started:.0f} s", flush=True)
        else:
            print(
                "reglab: warning: the kernel could not be compiled at install; "
                "it will compile on first use",
                flush=True,
            )


setup(cmdclass={"build_py": BuildWithCompiledKernel})
