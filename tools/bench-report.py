#!/usr/bin/env python3
"""Merges the benchmark parts into one table (stdout) and bench-out/results.json.

Checks before reporting: `warden eval` wrote one line per input line, and its action counts
equal the in-process engine's over the same file.
"""
import argparse
import json
import platform
import statistics
import sys
from collections import Counter
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--transactions", type=int, required=True)
    args = ap.parse_args()
    out = args.out
    inproc = json.loads((out / "inprocess.json").read_text())
    peer_runs = [json.loads((out / name).read_text()) for name in ("peers-duckdb.json", "peers-python.json")]
    times = [float(t) for t in (out / "eval-times.txt").read_text().split()]

    # warden eval's output must account for every line and agree with the in-process engine.
    lines = (out / "decisions.jsonl").read_text(encoding="utf-8").splitlines()
    data_lines = (out / "data" / "transactions.jsonl").read_text(encoding="utf-8").splitlines()
    if len(lines) != len([l for l in data_lines if l.strip()]):
        print(f"bench: warden eval wrote {len(lines)} lines for {len(data_lines)} input lines", file=sys.stderr)
        return 1
    decisions = [json.loads(l) for l in lines]
    actions = Counter(d["action"] for d in decisions if "error" not in d)
    if dict(actions) != inproc["actions"]:
        print(f"bench: warden eval decisions {dict(actions)} differ from in-process {inproc['actions']}", file=sys.stderr)
        return 1

    eval_rate = len(lines) / statistics.median(times)
    hand = inproc["hand_written"]["decisions_per_second"]
    rows = [
        ("hand-written Swift, in process (yardstick)", hand, "1.00 (baseline)"),
        ("Warden compiled VM, in process", inproc["compiled_vm"]["decisions_per_second"],
         f"{hand / inproc['compiled_vm']['decisions_per_second']:.2f}x slower than hand-written"),
        ("Warden reference evaluator, in process", inproc["reference"]["decisions_per_second"],
         f"{hand / inproc['reference']['decisions_per_second']:.1f}x slower than hand-written"),
        (f"warden eval end to end, {len(lines):,} lines, 1 core", eval_rate, "baseline for the peers"),
    ]
    # Each peer run timed `warden eval` on its own records: ratios are within one run.
    for peers in peer_runs:
        by_path = {r["path"]: r for r in peers["results"]}
        warden = next(r for name, r in by_path.items() if name.startswith("warden eval"))
        rows.append((f"warden eval on the same {peers['records']:,} records", warden["records_per_s"], "1.0"))
        for name, r in by_path.items():
            if name.startswith("warden eval"):
                continue
            rows.append((f"{name}, {peers['records']:,} records", r["records_per_s"],
                         f"warden eval is {warden['records_per_s'] / r['records_per_s']:.1f}x this"))
    for name in ("dormancy sweep, 1.84M accounts", "dormancy sweep, 10M accounts",
                 "registration check, 60K merchants vs 2M registry rows",
                 "registration check, 60K merchants vs 20M registry rows"):
        rows.append((name, None, "not built yet"))

    machine = f"{platform.machine()}, {peer_runs[0].get('cpus', '?')} cores, Python {peer_runs[0].get('python', '?')}"
    print(f"\nWarden benchmarks — rules/payments.rules (28 rules); {machine}; medians")
    print("| path | decisions/s | ratio |")
    print("|---|---:|---|")
    for name, rate, ratio in rows:
        print(f"| {name} | {'—' if rate is None else f'{rate:,.0f}'} | {ratio} |")
    result = {
        "machine": machine, "in_process": inproc, "warden_eval": {"lines": len(lines), "runs_s": times,
                                                                  "lines_per_s": round(eval_rate)},
        "peers": peer_runs, "table": [{"path": n, "per_s": r, "ratio": x} for n, r, x in rows],
    }
    (out / "results.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwrote {out / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
