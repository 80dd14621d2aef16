#!/usr/bin/env python3
"""Registration-check benchmark: `warden sweep --rules rules/registration.rules` at one size.

Given a directory with merchants.csv and registry.csv (warden-datagen), this script

  1. runs the check --runs times, each into a fresh output directory with a fresh notification
     ledger, in a child process whose wall time and peak RSS (ru_maxrss from os.wait4) it
     measures; every run's report.json must reconcile (input rows = accepted + rejected);
  2. runs tools/registration-reference.py (an independent Python implementation of the spec)
     once, timed the same way, and requires its registration_verdicts.csv to equal Warden's
     byte for byte — a fast wrong answer fails before any figure is printed;
  3. writes --json: the medians, the targets of the registration issue (<= 5 s at 2M registry
     rows, <= 40 s at 20M, peak RSS <= 300 MB) and the ratios to them and to the reference.

    python3 tools/bench-registration.py --data bench-out/data/registration-2000000 \\
        --warden .build/release/warden --out-dir bench-out/registration-2000000 --runs 3 \\
        --json bench-out/registration-2000000/results.json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_RSS_MB = 300


def target_seconds(registry_rows: int) -> float:
    """The issue's wall-time target: 5 s at 2M registry rows, 40 s at 20M (in between: linear)."""
    if registry_rows <= 2_000_000:
        return 5.0
    if registry_rows >= 20_000_000:
        return 40.0
    return 5.0 + (registry_rows - 2_000_000) * 35.0 / 18_000_000


def timed(cmd: list[str]) -> tuple[float, int]:
    """Runs cmd (stdout discarded); returns (wall seconds, peak RSS in KB); exits on failure."""
    # stderr goes to a file, not a pipe: a child writing more than a pipe holds would block.
    with tempfile.TemporaryFile() as err:
        start = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - start
        if os.waitstatus_to_exitcode(status) != 0:
            err.seek(0)
            sys.exit(f"bench-registration: {' '.join(cmd)} failed:\n{err.read().decode(errors='replace')}")
    return wall, usage.ru_maxrss


def lines(path: Path) -> int:
    with path.open("rb") as f:
        return sum(1 for _ in f)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, required=True, help="directory with merchants.csv and registry.csv")
    ap.add_argument("--warden", type=Path, required=True)
    ap.add_argument("--out-dir", type=Path, required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json", type=Path, required=True)
    args = ap.parse_args()
    merchants, registry = args.data / "merchants.csv", args.data / "registry.csv"
    merchant_rows, registry_rows = lines(merchants) - 1, lines(registry) - 1
    args.out_dir.mkdir(parents=True, exist_ok=True)

    walls, rss = [], []
    out = args.out_dir / "warden"
    ledger = args.out_dir / "ledger.sqlite"
    for _ in range(args.runs):
        shutil.rmtree(out, ignore_errors=True)
        for suffix in ("", "-wal", "-shm"):
            Path(str(ledger) + suffix).unlink(missing_ok=True)
        wall, kb = timed([str(args.warden), "sweep", "--rules", str(ROOT / "rules/registration.rules"),
                          "--input", str(merchants), "--lookup", f"registry={registry}", "--out", str(out),
                          "--campaign", "bench", "--ledger", str(ledger)])
        report = json.loads((out / "report.json").read_text())
        counts = report["counts"]
        if report.get("reconciled") is not True or counts["inputRows"] != merchant_rows:
            sys.exit(f"bench-registration: report.json reconciled {report.get('reconciled')}, inputRows "
                     f"{counts['inputRows']} for {merchant_rows} merchant rows")
        walls.append(wall)
        rss.append(kb)

    ref_out = args.out_dir / "reference"
    ref_wall, ref_kb = timed([sys.executable, str(ROOT / "tools/registration-reference.py"), "--merchants", str(merchants),
                              "--registry", str(registry), "--out", str(ref_out)])
    ours = (out / "registration_verdicts.csv").read_bytes()
    theirs = (ref_out / "registration_verdicts.csv").read_bytes()
    if ours != theirs:
        a, b = ours.decode().splitlines(), theirs.decode().splitlines()
        diff = [(x, y) for x, y in zip(a, b) if x != y][:5]
        sys.exit(f"bench-registration: verdicts differ from tools/registration-reference.py "
                 f"({len(a)} vs {len(b)} lines); first differences (warden, reference): {diff}")

    actions = report["outputsByColumn"]["registration_verdicts"]["action"]
    lookup = report["lookups"][0]
    wall = statistics.median(walls)
    peak_mb = max(rss) / 1024
    target = target_seconds(registry_rows)
    result = {
        "merchants": merchant_rows, "registry_rows": registry_rows, "runs": args.runs,
        "wall_s": walls, "median_s": round(wall, 3), "peak_rss_mb": round(peak_mb, 1),
        "registry_load_s": round(lookup["seconds"], 3),
        "target_s": target, "target_ratio": round(wall / target, 3),
        "target_rss_mb": TARGET_RSS_MB, "rss_ratio": round(peak_mb / TARGET_RSS_MB, 3),
        "reference_s": round(ref_wall, 3), "reference_rss_mb": round(ref_kb / 1024, 1),
        "speedup_vs_reference": round(ref_wall / wall, 2),
        "actions": actions, "verdicts_match_reference": True,
    }
    args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"registration check, {merchant_rows:,} merchants vs {registry_rows:,} registry rows: "
          f"median {wall:.2f} s of {args.runs} (target {target:.0f} s: {wall / target:.2f}x), "
          f"peak RSS {peak_mb:.0f} MB (target {TARGET_RSS_MB} MB), Python reference {ref_wall:.2f} s "
          f"({ref_wall / wall:.1f}x slower), verdicts identical; actions {actions}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
