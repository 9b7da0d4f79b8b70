"""The CMDB benchmarks, one part after the other (each also runs on its own):

    python -m bench.cmdb_bench [--part search_inst|events] [-- part options]

- `search_inst` (bench/cmdb_search_inst.py): search_inst over 100,000 instances of a custom model
  with a 3-clause condition, REST and GraphQL, beside raw SQL on the same database;
- `events` (bench/cmdb_events_bench.py): get_custom_query_data over 10,000 hosts beside raw SQL, and
  the event fan-out of 10,000 host updates to 5 subscribers.

Each part is its own process (a fresh server and data directory each), so one part's heap and
database never skew the other's figures. Options after `--` go to the part(s) unchanged.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

PARTS = {"search_inst": "bench.cmdb_search_inst", "events": "bench.cmdb_events_bench"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", choices=sorted(PARTS), action="append", help="run only this part (repeatable)")
    parser.add_argument("rest", nargs=argparse.REMAINDER, help="options for the part, after --")
    args = parser.parse_args()
    extra = args.rest[1:] if args.rest[:1] == ["--"] else args.rest
    status = 0
    for part in args.part or list(PARTS):
        print(f"=== {part} ({PARTS[part]}) ===", flush=True)
        status |= subprocess.run([sys.executable, "-m", PARTS[part], *extra], check=False).returncode
    raise SystemExit(status)


if __name__ == "__main__":
    main()
