"""The progress bar in Jupyter: a widget with the ``notebook`` extra, quietly text without."""

from __future__ import annotations

import subprocess
import sys

PRETEND_NOTEBOOK = """
import sys, types, warnings
warnings.simplefilter("always")  # any warning shows on stderr
{block}
sys.modules["ipykernel.zmqshell"] = types.ModuleType("ipykernel.zmqshell")
import IPython
class ZMQInteractiveShell: pass
IPython.get_ipython = lambda: ZMQInteractiveShell()
from verizon_sdk.bulk import _tqdm
bar = _tqdm()
print(' '.join(c.__module__ for c in bar.__mro__))
"""


def run(block: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PRETEND_NOTEBOOK.format(block=block)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_with_ipywidgets_the_bar_is_a_notebook_widget() -> None:
    result = run("warnings.filterwarnings('ignore', 'Using `tqdm.autonotebook')")
    assert result.returncode == 0, result.stderr
    assert "tqdm.notebook" in result.stdout.split()


def test_without_ipywidgets_the_bar_falls_back_to_text_quietly() -> None:
    result = run('sys.modules["ipywidgets"] = None  # as if not installed')
    assert result.returncode == 0, result.stderr
    assert "tqdm.notebook" not in result.stdout.split()
    assert "tqdm.std" in result.stdout.split()
    assert result.stderr == ""  # no "TqdmWarning: IProgress not found"
