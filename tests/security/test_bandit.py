"""`bandit -r tracker` is clean: every finding is fixed, or justified where it stands (`# nosec BXXX`
with the reason on the line above)."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

from tests.support import need

ROOT = Path(__file__).resolve().parents[2]


def test_bandit_finds_nothing_in_the_application_code():
    need(importlib.util.find_spec("bandit") is not None, "bandit is not installed (see requirements.txt)")
    result = subprocess.run(
        [sys.executable, "-m", "bandit", "-r", "tracker", "-q", "-f", "custom",
         "--msg-template", "{relpath}:{line} {test_id} {severity} {msg}"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
