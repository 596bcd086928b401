"""Before/after tables for bench/RESULTS.md from two `bench/run.py --json` files.

    .venv/bin/python bench/compare.py bench/.data/before.json bench/.data/last-run.json
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from run import BARE, growth_of, number, share  # bench/ is the script's directory, so on sys.path


def figures(path: str) -> tuple[str, dict, dict]:
    data = json.loads(Path(path).read_text())
    runs = data["runs"]
    return data["header"], runs[0], runs[-1]


def cell(before, after, digits: int = 0, unit: str = "") -> str:
    return f"{number(before, digits)}{unit} → {number(after, digits)}{unit}"


def row(name: str, b: dict, a: dict, bl: dict, al: dict, b_bare, a_bare) -> str:
    """One view: b/a at the small size, bl/al at the large one, before and after."""
    cells = [
        cell(b.get("rps"), a.get("rps"), 1),
        cell(share(b.get("rps"), b_bare, 100), share(a.get("rps"), a_bare, 100), 1),
        cell(b.get("p50_ms"), a.get("p50_ms")),
        cell(b.get("p99_ms"), a.get("p99_ms")),
        cell(b.get("single_ms"), a.get("single_ms"), 1),
        cell(bl.get("single_ms"), al.get("single_ms")),
        cell(growth_of(b, bl), growth_of(a, al), 1, "×"),
        cell(bl.get("queries"), al.get("queries")),
        cell(share(bl.get("bytes"), 1024), share(al.get("bytes"), 1024)),
    ]
    return f"| {name} | " + " | ".join(cells) + " |"


def main() -> None:
    (before_header, b_small, b_large), (after_header, a_small, a_large) = map(figures, sys.argv[1:3])
    print(f"Before: {before_header.lstrip('# ')}  \nAfter: {after_header.lstrip('# ')}\n")
    small, large = f"{a_small['size']:,}", f"{a_large['size']:,}"
    print(f"| view | req/s at {small} | % of bare | p50 ms | p99 ms | single ms at {small} | at {large}"
          f" | growth | queries at {large} | KB at {large} |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    b_bare, a_bare = b_small["views"][BARE[0]].get("rps"), a_small["views"][BARE[0]].get("rps")
    for name, a in a_small["views"].items():
        print(row(name, b_small["views"].get(name, {}), a, b_large["views"].get(name, {}),
                  a_large["views"].get(name, {}), b_bare, a_bare))
    print(f"\nWorker memory at {large} tasks (largest worker, resident after load / peak): "
          f"{b_large['worker_rss_mb']} / {b_large['worker_peak_mb']} MB → "
          f"{a_large['worker_rss_mb']} / {a_large['worker_peak_mb']} MB")


if __name__ == "__main__":
    main()
