"""Property-based fuzzing of the live API with schemathesis, driven only by /api/v1/openapi.json:
no 5xx, no response that breaks the document, across more than a thousand generated requests."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.support import need

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
MIN_REQUESTS = 1000


def run_schemathesis(live_api, tmp_path, *options: str, examples: str = "20", phases: str = "") -> int:
    """Run the schemathesis CLI against the live server; fail on any issue; return the request count."""
    need(SCHEMATHESIS.exists() or shutil.which("schemathesis") is not None, "schemathesis is not installed")
    base = live_api["base"]
    command = [
        str(SCHEMATHESIS if SCHEMATHESIS.exists() else shutil.which("schemathesis")),
        *options,
        "run",
        f"{base}/api/v1/openapi.json",
        "--url",
        f"{base}/api/v1",
        "-H",
        f"Authorization: Bearer {live_api['token']}",
        # Every check except "schema-valid data must be accepted": business rules (a known category,
        # a member's email) cannot be expressed in a schema, so such requests rightly get 422.
        "--checks",
        "all",
        "--exclude-checks",
        "positive_data_acceptance",
        "--max-examples",
        os.environ.get("TRACKER_FUZZ_EXAMPLES", examples),
        "--seed",
        os.environ.get("TRACKER_FUZZ_SEED", "20261125"),
        # One worker: with several, schemathesis' threads now and then hit CPython's "SystemError: AST
        # constructor recursion depth mismatch" (compiling in parallel threads), a flaky runtime error.
        "--workers",
        "1",
        "--no-color",
        *(("--phases", phases) if phases else ()),
    ]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=900)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-8000:]
    assert re.search(r"\d+ generated, \d+ passed", output), output[-3000:]
    generated = int(re.search(r"(\d+) generated", output).group(1))
    print(f"schemathesis: {generated} generated requests, no issues")
    return generated


def test_schemathesis_finds_nothing(live_api, tmp_path):
    """Ids drawn at random: mostly other teams' or missing objects, plus whatever the run creates."""
    assert run_schemathesis(live_api, tmp_path) >= MIN_REQUESTS


def test_schemathesis_on_the_seeded_objects(live_api, tmp_path):
    """Every id pinned to a seeded object, so random bodies and queries reach the rules behind them."""
    config = tmp_path / "schemathesis.toml"
    # Every id of a path or none: schemathesis writes a pinned value over the one its coverage phase made
    # invalid, yet still expects a rejection unless the whole path is valid as sent, so one id left
    # unpinned beside a pinned one is a false "schema-violating request accepted" (DELETE
    # /teams/{team_id}/templates/{category_id} with a real category answered 200).
    pinned = (
        "team_id", "task_id", "user_id", "entry_id", "comment_id", "feature_id", "item_id", "category_id",
    )
    config.write_text("[parameters]\n" + "".join(f"{name} = {live_api[name]}\n" for name in pinned))
    # No stateful phase here: with pinned ids its "created resource must be readable" check blames a
    # new team for a member an earlier random DELETE removed; the unpinned run covers that phase.
    options = ("--config-file", str(config))
    assert (
        run_schemathesis(live_api, tmp_path, *options, phases="examples,coverage,fuzzing", examples="15")
        >= MIN_REQUESTS
    )
