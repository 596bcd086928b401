"""The figures that the security and reliability tests measure (cases, payloads, examples, edits,
conflicts, losses): printed when measured (`pytest -s`) and again in the session's summary, so they show
in `make test` and in the CI log. tests/conftest.py imports the summary hook."""
from __future__ import annotations

FIGURES: list[tuple[str, dict[str, object]]] = []


def report(what: str, **figures: object) -> None:
    """Record and print one test's figures, e.g. report("authorisation matrix", cases=612)."""
    FIGURES.append((what, figures))
    print(f"[figures] {what}: " + ", ".join(f"{name}={value}" for name, value in figures.items()))


def pytest_terminal_summary(terminalreporter) -> None:
    if not FIGURES:
        return
    terminalreporter.section("security and reliability figures")
    for what, figures in FIGURES:
        terminalreporter.write_line(f"{what}: " + ", ".join(f"{k}={v}" for k, v in figures.items()))
