"""`python -m benchmarks all` (or a list of names): every benchmark, each against its baseline.

Each runs in its own process, one after another, so none disturbs another's figures. Options
after the names go to each named benchmark: `python -m benchmarks soak --minutes 3`.
"""

from __future__ import annotations

import subprocess
import sys

BENCHMARKS = (
    "ingest",
    "sources",
    "slack_events",
    "teams_invoke",
    "digest",
    "outbox_drain",
    "email_parsing",
    "themes",
    "duplicates",
    "soak",
)


def main(argv: list[str]) -> int:
    split = next((i for i, arg in enumerate(argv) if arg.startswith("-")), len(argv))
    chosen, options = argv[:split], argv[split:]
    names = list(BENCHMARKS) if chosen in ([], ["all"]) else chosen
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark {unknown[0]}; choose from: all, {', '.join(BENCHMARKS)}")
        return 2
    failed = 0
    for name in names:
        print(f"== {name}", flush=True)
        failed += (
            subprocess.run(
                [sys.executable, "-m", f"benchmarks.{name}", *options], check=False
            ).returncode
            != 0
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
