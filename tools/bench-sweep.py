#!/usr/bin/env python3
"""Dormancy sweep peer: rules/dormancy.rules as DuckDB SQL, checked against `warden sweep`, timed.

Given accounts.csv and the --out directory of a `warden sweep` over it, this script

  1. checks: runs the SQL below (2 threads) and compares its dormancy_pending.csv and
     dormancy_rejects.csv with Warden's, row for row and column for column (merged on the sort
     key, so a missing row is reported once, not as a shift of every row after it); also that
     both files are sorted as promised and that report.json's counts agree. Any difference is
     printed (first ones, with the input lines) and the script exits 1 before timing anything
     (a fast wrong answer fails);
  2. times DuckDB writing the same two files, sorted, with threads = 1 and 2 (median of --runs;
     reported beside the times of `warden sweep --outputs dormancy_pending`, which writes the
     same two files (--warden-lists-times), and of the whole campaign sweep (--warden-times);
     the process is pinned to as many CPUs as it has threads). Each run is a fresh child
     process: its time is measured inside it, from duckdb.connect() to the last COPY (Python
     start-up and `import duckdb` excluded), and its peak RSS is the child's ru_maxrss (from
     os.wait4), which includes the Python interpreter and the duckdb module; a child that only
     imports duckdb and connects is measured too ("rss_floor_kb").

    swift build -c release --product warden
    .build/release/warden sweep --rules rules/dormancy.rules --input bench-out/data/accounts.csv \\
        --out /tmp/sweep --campaign bench --ledger /tmp/sweep/ledger.sqlite
    python3 tools/bench-sweep.py --input bench-out/data/accounts.csv --warden-out /tmp/sweep \\
        --runs 3 --json /tmp/sweep-duckdb.json

Like tools/bench-peers.py, it re-executes itself inside .venv-bench/ (created and filled with
bench-peers.py's pinned REQUIREMENTS if needed: one virtual environment for both).

The SQL (print it with --print-sql) follows the issue's spec, not Warden's code:

  reading   every line is one VARCHAR (delimiter \\x01, no quote or escape character, no type
            inference) and is split on ',' in SQL, so a row with too few or too many fields is
            still a row (read_csv's null_padding / ignore_errors would lose rows or fields).
            Rows are classified in parallel into a table that keeps the file's order, so
            line_no = rowid + 2 (the header is line 1); the check verifies that order against
            WITH ORDINALITY, which would number the lines too but makes the pipeline single-
            threaded. The generator writes no quotes and no empty lines; the check stops if a
            line holds a '"' (RFC 4180 quoting is not modelled) or if DuckDB's row count is not
            the file's line count - 1.
  rejects   first failing reason, in order: BAD_COLUMN_COUNT (not 10 fields); BAD_FIELD
            (account_id empty, kind not personal/merchant, frozen or open_dispute not exactly
            0/1); BAD_DATE (opened_at, or a non-empty last_customer_txn_at / last_login_at, not
            exactly YYYY-MM-DD HH:MM:SS with a real date, year >= 1, hour <= 23, minute and
            second <= 59);
            BAD_BALANCE (not [+-]digits or outside int64); NEGATIVE_BALANCE; then
            DUPLICATE_ACCOUNT_ID for every row passing all of those whose account_id an earlier
            such row has (first accepted copy wins).
  pending   days_inactive = as_of (2022-12-31) - the date part (first 10 characters) of
            last_customer_txn_at, else of opened_at; pending when >= 365 (personal) / 180
            (merchant), balance_cents <= 10000, frozen = 0 and open_dispute = 0; reason
            DORMANT_NO_TXN / DORMANT_NEVER_TXN. Written sorted by account_id; rejects sorted by
            line_no.
  plan      CREATE TEMP TABLE checked (the classification); CREATE TEMP TABLE swept
            (duplicates: a GROUP BY over the clean rows, joined back; only rejects and pending
            rows kept); one COPY per output file. Warden's sweep also writes
            dormancy_notice(.send).csv and a notification ledger; DuckDB only the two compared.
"""

from __future__ import annotations

import argparse
import ast
import csv
import filecmp
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV = REPO / ".venv-bench"
PACK = REPO / "rules" / "dormancy.rules"
HEADER = ("account_id,kind,owner_id,opened_at,last_customer_txn_at,last_login_at,balance_cents,"
          "frozen,open_dispute,phone")
PENDING_HEADER = ["account_id", "kind", "owner_id", "reason", "reference_date", "days_inactive",
                  "threshold_days", "balance_cents"]
REJECTS_HEADER = ["line_no", "account_id", "reason"]
# The pack's params as the SQL hard-codes them (checked against rules/dormancy.rules at start).
PARAMS = {
    "as_of": "2022-12-31",
    "personal_inactive_days": "365",
    "merchant_inactive_days": "180",
    "max_balance_cents": "10000",
    "exclude_frozen": "true",
    "exclude_open_dispute": "true",
}
ALL_CPUS = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else [0]


def requirements() -> list[str]:
    """bench-peers.py's pinned REQUIREMENTS, read from its source (one list, one venv)."""
    tree = ast.parse((REPO / "tools" / "bench-peers.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "REQUIREMENTS" for t in node.targets):
            return ast.literal_eval(node.value)
    sys.exit("bench-sweep: no REQUIREMENTS list in tools/bench-peers.py")


def ensure_venv() -> None:
    """Re-executes this script under .venv-bench/bin/python, creating and filling it if needed
    (the same steps and stamp file as bench-peers.py's ensure_venv)."""
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    reqs = requirements()
    py = VENV / "bin" / "python"
    stamp = VENV / ".warden-bench-requirements"
    wanted = "\n".join(reqs) + "\n"
    if not py.exists():
        print(f"creating {VENV.relative_to(REPO)}/", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    if not stamp.exists() or stamp.read_text() != wanted:
        print("pip install " + " ".join(reqs), file=sys.stderr)
        subprocess.run([str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *reqs],
                       check=True)
        stamp.write_text(wanted)
    os.execv(str(py), [str(py), str(Path(__file__).resolve()), *sys.argv[1:]])


def check_pack_unchanged() -> None:
    """The SQL is hand-written from the spec: fail loudly if the pack's params drifted from it."""
    src = re.sub(r"#[^\n]*", "", PACK.read_text(encoding="utf-8"))
    params = dict(re.findall(r"^param\s+(\w+)\s*:\s*\w+\s*=\s*(\S+)", src, re.M))
    if params != PARAMS:
        sys.exit(f"bench-sweep: rules/dormancy.rules params {params} differ from the SQL's {PARAMS}")


# =============================================================================================
# The SQL
# =============================================================================================

def sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


TS_SHAPE = "[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}"


def ts_ok(c: str) -> str:
    """`c` is exactly YYYY-MM-DD HH:MM:SS with a real calendar date (year 0001 or later: DuckDB
    would read year 0000 as 1 BC) and time of day."""
    return (f"(regexp_full_match({c}, '{TS_SHAPE}') AND substr({c}, 1, 4) <> '0000'"
            f" AND try_cast(substr({c}, 1, 10) AS DATE) IS NOT NULL"
            f" AND substr({c}, 12, 2) <= '23' AND substr({c}, 15, 2) <= '59' AND substr({c}, 18, 2) <= '59')")


def read_lines(src: Path) -> str:
    """accounts.csv as one VARCHAR column `line`, header skipped, in file order."""
    return (f"read_csv({sql_str(str(src))}, columns = {{'line': 'VARCHAR'}}, header = false, skip = 1,"
            " delim = '\\x01', quote = '', escape = '', auto_detect = false)")


def sweep_sql(src: Path) -> list[str]:
    """Two statements. `checked`: one row per input row, in file order (so line_no = rowid + 2),
    with its reason for checks 1-5 and, when it passed them and is pending, the pending columns.
    `swept`: the rejects (reason set, duplicates settled) and the pending accounts (reason NULL).

    The classification runs in parallel; numbering the lines inside that pipeline instead
    (WITH ORDINALITY, row_number() OVER ()) would make it single-threaded, while CREATE TABLE AS
    keeps the file's order (preserve_insertion_order, on by default) at any thread count."""
    p = PARAMS
    never = "f[5] = ''"
    return [f"""
CREATE OR REPLACE TEMP TABLE checked AS
SELECT f[1] AS account_id, reason,
  -- the pending columns: NULL unless the row passed checks 1-5 and is pending
  CASE WHEN pend THEN f[2] END AS kind,
  CASE WHEN pend THEN f[3] END AS owner_id,
  CASE WHEN pend THEN (CASE WHEN {never} THEN 'DORMANT_NEVER_TXN' ELSE 'DORMANT_NO_TXN' END) END AS pending_reason,
  CASE WHEN pend THEN reference_date END AS reference_date,
  CASE WHEN pend THEN days_inactive END AS days_inactive,
  CASE WHEN pend THEN threshold_days END AS threshold_days,
  CASE WHEN pend THEN balance END AS balance_cents
FROM (
  SELECT *, reason IS NULL AND days_inactive >= threshold_days AND balance <= {p['max_balance_cents']}
            AND f[8] = '0' AND f[9] = '0' AS pend
  FROM (
    SELECT *, DATE '{p['as_of']}' - reference_date AS days_inactive,
           CASE f[2] WHEN 'personal' THEN {p['personal_inactive_days']}
                     ELSE {p['merchant_inactive_days']} END AS threshold_days
    FROM (
      -- try_cast: these are computed for rejected rows too (their values are then unused)
      SELECT *, try_cast(substr(CASE WHEN {never} THEN f[4] ELSE f[5] END, 1, 10) AS DATE) AS reference_date,
             try_cast(f[7] AS BIGINT) AS balance
      FROM (
        SELECT f, CASE
          WHEN len(f) <> 10 THEN 'BAD_COLUMN_COUNT'
          WHEN f[1] = '' OR f[2] NOT IN ('personal', 'merchant')
               OR f[8] NOT IN ('0', '1') OR f[9] NOT IN ('0', '1') THEN 'BAD_FIELD'
          WHEN NOT {ts_ok('f[4]')}
               OR (f[5] <> '' AND NOT {ts_ok('f[5]')})
               OR (f[6] <> '' AND NOT {ts_ok('f[6]')}) THEN 'BAD_DATE'
          WHEN NOT regexp_full_match(f[7], '[+-]?[0-9]+') OR try_cast(f[7] AS BIGINT) IS NULL THEN 'BAD_BALANCE'
          WHEN try_cast(f[7] AS BIGINT) < 0 THEN 'NEGATIVE_BALANCE'
        END AS reason
        FROM (SELECT string_split(line, ',') AS f FROM {read_lines(src)})
      )
    )
  )
)""", """
CREATE OR REPLACE TEMP TABLE swept AS
WITH c AS (
  SELECT rowid + 2 AS line_no, * FROM checked  -- the header is line 1
), dups AS (
  -- account_ids held by more than one row that passed checks 1-5, and the first such line
  SELECT account_id, min(line_no) AS first_line FROM c WHERE reason IS NULL
  GROUP BY account_id HAVING count(*) > 1
)
SELECT c.* REPLACE (coalesce(c.reason, CASE WHEN c.line_no > d.first_line THEN 'DUPLICATE_ACCOUNT_ID' END) AS reason)
FROM c LEFT JOIN dups d ON c.reason IS NULL AND c.account_id = d.account_id
WHERE c.reason IS NOT NULL OR c.kind IS NOT NULL OR c.line_no > d.first_line"""]


def copy_sql(out: Path) -> list[str]:
    return [
        "COPY (SELECT account_id, kind, owner_id, pending_reason AS reason, reference_date, days_inactive,"
        " threshold_days, balance_cents FROM swept WHERE reason IS NULL AND kind IS NOT NULL ORDER BY account_id)"
        f" TO {sql_str(str(out / 'dormancy_pending.csv'))} (FORMAT csv, HEADER true)",
        "COPY (SELECT line_no, account_id, reason FROM swept WHERE reason IS NOT NULL ORDER BY line_no)"
        f" TO {sql_str(str(out / 'dormancy_rejects.csv'))} (FORMAT csv, HEADER true)",
    ]


def duck_sweep(src: Path, out: Path, threads: int) -> float:
    """Runs the sweep in this process; returns seconds from connect to the last COPY."""
    import duckdb
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    for stmt in sweep_sql(src) + copy_sql(out):
        con.execute(stmt)
    con.close()
    return time.perf_counter() - t0


# =============================================================================================
# Checking
# =============================================================================================

def scan_input(src: Path) -> tuple[int, int, str]:
    """(physical lines, lines holding a '"', header line), read independently of DuckDB."""
    lines = quoted = 0
    last = b"\n"
    with src.open("rb") as f:
        header = f.readline()
        f.seek(0)
        while chunk := f.read(1 << 24):
            lines += chunk.count(b"\n")
            if b'"' in chunk:
                quoted += sum(1 for l in chunk.split(b"\n") if b'"' in l)
            last = chunk[-1:]
    if last != b"\n":
        lines += 1  # a last line without its newline
    return lines, quoted, header.decode("utf-8", "replace").rstrip("\r\n")


def groups(path: Path, key, label: str, problems: list[str]):
    """Yields (key, [rows]) for each run of equal keys; notes a header that is not the expected
    one, keys out of order and repeated keys in `problems`."""
    with path.open(newline="", encoding="utf-8") as f:
        r = csv.reader(f)
        yield "header", next(r, None)
        prev, rows, unsorted, repeated = None, [], 0, 0
        for row in r:
            k = key(row)
            if rows and k == prev:
                rows.append(row)
                repeated += 1
                continue
            if rows:
                yield prev, rows
                if k < prev:
                    unsorted += 1
                    if unsorted <= 3:
                        problems.append(f"{label}: not sorted: {k!r} after {prev!r}")
            prev, rows = k, [row]
        if rows:
            yield prev, rows
        if unsorted:
            problems.append(f"{label}: {unsorted} keys out of order")
        if repeated:
            problems.append(f"{label}: {repeated} rows repeat the previous row's key")


def merge_compare(name: str, warden: Path, duck: Path, header: list[str], key, examples: list):
    """Compares two files sorted on `key`. Returns (mismatching keys, problems, warden row
    count, reason column tallies per side)."""
    problems: list[str] = []
    gw = groups(warden, key, f"warden {warden.name}", problems)
    gd = groups(duck, key, f"duckdb {duck.name}", problems)
    hw, hd = next(gw)[1], next(gd)[1]
    if hw != header:
        problems.append(f"warden {warden.name}: header {hw}, expected {header}")
    if hd != header:
        problems.append(f"duckdb {duck.name}: header {hd}, expected {header}")
    reason = header.index("reason")
    tally = {"warden": {}, "duckdb": {}}
    bad = rows_w = 0
    sentinel = (None, None)
    w, d = next(gw, sentinel), next(gd, sentinel)
    while w is not sentinel or d is not sentinel:
        if d is sentinel or (w is not sentinel and w[0] < d[0]):
            take_w, take_d = True, False
        elif w is sentinel or d[0] < w[0]:
            take_w, take_d = False, True
        else:
            take_w = take_d = True
        rw = w[1] if take_w else []
        rd = d[1] if take_d else []
        for side, rows in (("warden", rw), ("duckdb", rd)):
            for row in rows:
                r = row[reason] if len(row) > reason else "?"
                tally[side][r] = tally[side].get(r, 0) + 1
        rows_w += len(rw)
        if sorted(rw) != sorted(rd):
            bad += 1
            if len(examples) < 12:
                examples.append((name, (w if take_w else d)[0], rw, rd))
        if take_w:
            w = next(gw, sentinel)
        if take_d:
            d = next(gd, sentinel)
    return bad, problems, rows_w, tally


def input_lines_for(src: Path, keys: list, line_nos: list[int]) -> list[tuple[int, str]]:
    """The input lines of the mismatching examples (by account_id or line number), for the report."""
    import duckdb
    ids = ", ".join(sql_str(k) for k in keys) or "NULL"
    nos = ", ".join(str(n) for n in line_nos) or "NULL"
    return duckdb.connect().execute(
        f"SELECT ordinality + 1, line FROM {read_lines(src)} WITH ORDINALITY"
        f" WHERE split_part(line, ',', 1) IN ({ids}) OR ordinality + 1 IN ({nos}) ORDER BY 1 LIMIT 60").fetchall()


def check(src: Path, warden_out: Path, out_dir: Path) -> tuple[dict, bool]:
    import duckdb
    lines, quoted, header = scan_input(src)
    if header != HEADER:
        sys.exit(f"bench-sweep: {src}: header is not the accounts.csv header:\n  {header}")
    if quoted:
        sys.exit(f"bench-sweep: {src}: {quoted} lines hold a '\"': quoted fields are not modelled by the SQL")
    con = duckdb.connect()
    con.execute(f"SET threads = {min(2, len(ALL_CPUS))}")
    n, by_ordinality = con.execute(
        f"SELECT count(*), sum(hash(line) * ordinality) FROM {read_lines(src)} WITH ORDINALITY").fetchone()
    if n != lines - 1:
        sys.exit(f"bench-sweep: DuckDB read {n} rows from {src}, which has {lines} lines (header + {lines - 1})")
    # The SQL numbers lines by rowid of a table filled in parallel: check that it is file order.
    con.execute(f"CREATE TEMP TABLE hashes AS SELECT hash(line) AS h FROM {read_lines(src)}")
    by_rowid = con.execute("SELECT sum(h * (rowid + 1)) FROM hashes").fetchone()[0]
    con.close()
    if by_rowid != by_ordinality:
        sys.exit("bench-sweep: DuckDB's CREATE TABLE AS did not keep the file's row order: line numbers would be wrong")
    check_dir = out_dir / "check"
    duck_sweep(src, check_dir, threads=min(2, len(ALL_CPUS)))

    examples: list = []
    bad_p, probs_p, rows_p, tally_p = merge_compare(
        "dormancy_pending.csv", warden_out / "dormancy_pending.csv", check_dir / "dormancy_pending.csv",
        PENDING_HEADER, lambda r: r[0] if r else "", examples)
    bad_r, probs_r, rows_r, tally_r = merge_compare(
        "dormancy_rejects.csv", warden_out / "dormancy_rejects.csv", check_dir / "dormancy_rejects.csv",
        REJECTS_HEADER, lambda r: int(r[0]) if r and r[0].isdigit() else -1, examples)
    problems = probs_p + probs_r

    # report.json must agree with the files and with DuckDB's counts.
    report = json.loads((warden_out / "report.json").read_text(encoding="utf-8"))
    c = report["counts"]
    duck_rejects = sum(tally_r["duckdb"].values())
    duck_pending = sum(tally_p["duckdb"].values())
    expect = {
        "reconciled": (report.get("reconciled"), True),
        "counts.inputRows": (c.get("inputRows"), n),
        "counts.accepted": (c.get("accepted"), n - duck_rejects),
        "counts.rejected": (c.get("rejected"), duck_rejects),
        "counts.rejectedByReason": (c.get("rejectedByReason"), tally_r["duckdb"]),
        "counts.outputs.dormancy_pending.rows": (c.get("outputs", {}).get("dormancy_pending", {}).get("rows"),
                                                 duck_pending),
        "counts.outputs.dormancy_pending.byReason": (c.get("outputs", {}).get("dormancy_pending", {}).get("byReason"),
                                                     tally_p["duckdb"]),
    }
    for name, (got, want) in expect.items():
        if got != want:
            problems.append(f"warden report.json {name} = {got}, DuckDB says {want}")
    if tally_r["warden"] != c.get("rejectedByReason"):
        problems.append(f"warden dormancy_rejects.csv reasons {tally_r['warden']} differ from its report.json "
                        f"{c.get('rejectedByReason')}")

    ok = not (bad_p or bad_r or problems)
    print(f"input {src}: {lines:,} lines, {n:,} rows")
    print(f"DuckDB: {duck_pending:,} pending, {duck_rejects:,} rejects {dict(sorted(tally_r['duckdb'].items()))}")
    print(f"warden: {rows_p:,} pending, {rows_r:,} rejects {dict(sorted(tally_r['warden'].items()))}")
    if ok:
        print(f"check: dormancy_pending.csv ({duck_pending:,} rows) and dormancy_rejects.csv ({duck_rejects:,} rows)"
              " equal Warden's, row for row; report.json agrees")
    else:
        print(f"\nbench-sweep: Warden and DuckDB DIFFER: {bad_p} pending keys (account_id) and {bad_r} reject"
              f" keys (line_no) differ")
        for p in problems[:20]:
            print(f"  {p}")
        if examples:
            print("first differences (W = warden, D = duckdb):")
            for file, key, rw, rd in examples:
                print(f"  {file} key {key!r}")
                for row in rw:
                    print(f"    W {','.join(row)}")
                for row in rd:
                    print(f"    D {','.join(row)}")
                if not rw:
                    print("    W (no row)")
                if not rd:
                    print("    D (no row)")
            ids = [k for f, k, *_ in examples if f.startswith("dormancy_pending")]
            ids += [r[1] for f, _, rw, rd in examples if f.startswith("dormancy_rejects") for r in rw + rd if len(r) > 1]
            nos = [k for f, k, *_ in examples if f.startswith("dormancy_rejects")]
            print("their input lines (line: text):")
            for no, text in input_lines_for(src, sorted(set(ids)), nos):
                print(f"  {no}: {text}")
    summary = {"lines": lines, "rows": n, "pending_rows": duck_pending, "rejects": duck_rejects,
               "rejects_by_reason": tally_r["duckdb"], "pending_by_reason": tally_p["duckdb"],
               "differing_pending_keys": bad_p, "differing_reject_keys": bad_r, "problems": problems}
    return summary, ok


# =============================================================================================
# Timing
# =============================================================================================

def child_main(args) -> int:
    """One timed run in this (child) process; prints {"seconds": ...}."""
    if args.child_threads == 0:
        import duckdb
        duckdb.connect().close()
        print(json.dumps({"seconds": 0.0}))
        return 0
    import duckdb  # noqa: F401  (import outside the timing)
    print(json.dumps({"seconds": duck_sweep(args.input, args.child_out, args.child_threads)}))
    return 0


def timed_child(src: Path, out: Path, threads: int) -> tuple[float, int]:
    """(seconds, peak RSS KB) of one run in a fresh child pinned to `threads` CPUs."""
    cpus = set(ALL_CPUS[:max(1, threads)])
    proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--input", str(src),
                             "--child-threads", str(threads), "--child-out", str(out)],
                            stdout=subprocess.PIPE, preexec_fn=lambda: os.sched_setaffinity(0, cpus))
    stdout = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"bench-sweep: DuckDB run ({threads} threads) exited {proc.returncode}")
    return json.loads(stdout)["seconds"], usage.ru_maxrss


def main() -> int:
    ensure_venv()
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--input", type=Path, required=True, help="accounts.csv")
    ap.add_argument("--warden-out", type=Path, help="the --out directory of `warden sweep` over --input")
    ap.add_argument("--warden-times", type=Path,
                    help="`/usr/bin/time -f '%%e %%M'` lines of the warden sweep runs: reported beside DuckDB")
    ap.add_argument("--warden-lists-times", type=Path,
                    help="the same for `warden sweep --outputs dormancy_pending`, which writes what DuckDB writes"
                         " (dormancy_pending and dormancy_rejects): the like-for-like comparison")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", default="1,2", help="DuckDB thread counts to time (comma-separated)")
    ap.add_argument("--out-dir", type=Path, default=REPO / "bench-out" / "sweep-duckdb")
    ap.add_argument("--json", type=Path, help="write the figures here")
    ap.add_argument("--print-sql", action="store_true", help="print the SQL and exit")
    ap.add_argument("--child-threads", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_threads is not None:
        return child_main(args)
    if args.print_sql:
        print(";\n".join(sweep_sql(args.input) + copy_sql(Path("OUT"))) + ";")
        return 0
    check_pack_unchanged()
    if args.warden_out is None:
        ap.error("--warden-out is required")
    args.input = args.input.resolve()
    args.out_dir.mkdir(parents=True, exist_ok=True)

    import duckdb
    summary, ok = check(args.input, args.warden_out, args.out_dir)
    if not ok:
        print("\nbench-sweep: FAILED — outputs differ from Warden's; nothing timed.")
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps({"input": str(args.input), "check": summary, "ok": False},
                                            indent=2) + "\n", encoding="utf-8")
        return 1

    rows = summary["rows"]
    _, floor_kb = timed_child(args.input, args.out_dir / "floor", 0)
    results = []
    def warden_runs(path: Path | None, label: str) -> dict | None:
        if path is None:
            return None
        runs = [line.split() for line in path.read_text().splitlines() if line.strip()]
        wall = [float(r[0]) for r in runs]
        rss = [int(r[1]) for r in runs]
        med = statistics.median(wall)
        return {"path": f"warden sweep, {label} ({len(ALL_CPUS)} workers)", "runs_s": wall, "median_s": med,
                "rows_per_s": round(rows / med), "peak_rss_kb": max(rss), "rss_kb_runs": rss}

    warden = warden_runs(args.warden_times, "campaign")
    lists = warden_runs(args.warden_lists_times, "DuckDB's outputs")
    # DuckDB is compared with the run that writes what it writes, when there is one.
    like = lists or warden
    print(f"\n{rows:,} rows, median of {args.runs} runs; each run a fresh process")
    print("| path | rows/s | median s | peak RSS MB | DuckDB s ÷ warden s |")
    print("|---|---:|---:|---:|---:|")
    for w in (warden, lists):
        if w:
            print(f"| {w['path']} | {w['rows_per_s']:,} | {w['median_s']:.2f} | {w['peak_rss_kb'] / 1024:,.0f} | |")
    for threads in [int(t) for t in args.threads.split(",") if t.strip()]:
        runs, rss = [], []
        run_dir = args.out_dir / f"threads-{threads}"
        for _ in range(args.runs):
            s, kb = timed_child(args.input, run_dir, threads)
            runs.append(s)
            rss.append(kb)
        # The timed runs must write what the check run wrote.
        for name in ("dormancy_pending.csv", "dormancy_rejects.csv"):
            if not filecmp.cmp(run_dir / name, args.out_dir / "check" / name, shallow=False):
                sys.exit(f"bench-sweep: {run_dir / name} differs from the checked {args.out_dir / 'check' / name}")
        med = statistics.median(runs)
        name = f"duckdb SQL ({threads} thread{'s' if threads > 1 else ''})"
        results.append({"path": name, "threads": threads, "runs_s": runs, "median_s": med,
                        "rows_per_s": round(rows / med), "peak_rss_kb": max(rss), "rss_kb_runs": rss})
        ratio = f"{med / like['median_s']:.2f}" if like else ""
        print(f"| {name} | {rows / med:,.0f} | {med:.2f} | {max(rss) / 1024:,.0f} | {ratio} |")
    print(f"(peak RSS includes Python and the duckdb module: {floor_kb / 1024:.0f} MB for a process that only"
          " imports duckdb and connects)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "input": str(args.input), "ok": True, "check": summary, "runs": args.runs,
            "duckdb": duckdb.__version__, "python": sys.version.split()[0], "cpus": len(ALL_CPUS),
            "rss_floor_kb": floor_kb, "warden": warden, "warden_lists": lists, "results": results,
            "loadavg_after": os.getloadavg()}, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
