#!/usr/bin/env python3
"""Peer benchmarks: rules/payments.rules in GoRules ZEN, CEL and DuckDB, checked against Warden.

The same 28 rules (27 scored + 1 shadow), params, lists and decide policy as
rules/payments.rules, written three ways through the peers' published Python packages:

  zen     GoRules ZEN (zen-engine): a JDM decision graph built in code — a switch node, a
          JS function node (only for NFKC, see below), an expression node for the pack's lets,
          a decision table with hit policy "collect" (one row per rule) and an expression node
          for the decide policy.
  cel     Common Expression Language (common-expression-language, cel-rust): one compiled
          program per let, per rule and for the decide policy; compiled once, executed per record
          against one cel.Context.
  duckdb  one SQL query over the JSONL file (read_ndjson with explicit column types) that writes
          txn_id, score, action and the hit list with COPY ... TO; run with threads=1 and 2.

Before anything is timed, every peer's decision (action, score, set of hit rule ids incl. the
shadow rule) is compared with Warden's on every record; any difference is printed and the
script exits 1 (a fast wrong answer fails).

    swift build -c release --product warden
    .build/release/warden eval --rules rules/payments.rules \
        --input datasets/sample/transactions.jsonl > bench-out/warden-sample.jsonl
    python3 tools/bench-peers.py --input datasets/sample/transactions.jsonl \
        --warden-decisions bench-out/warden-sample.jsonl --json bench-out/peers.json

The script creates .venv-bench/ on first use, pip-installs the pinned packages below into it,
and re-executes itself with the virtualenv's interpreter (nothing is installed system-wide).

Input lines Warden rejected (malformed JSON, a missing or mistyped field, ...) are not given to
the peers: the script writes the lines Warden accepted (per --warden-decisions) to
bench-out/peers/input.jsonl and every peer — and the Warden timing row — reads that file. The
peers therefore do no input validation; Warden does (its parse + check is in its figure).

Timing is end to end and on one core (the process is pinned to one CPU; DuckDB 2 threads gets
two): ZEN and CEL read the file line by line in a Python loop, json.loads, evaluate, json.dumps
the decision and write it; DuckDB runs the one query from the JSONL file to a JSONL file. Each
figure is the median of 3 runs, in records/s.

Semantics and where a peer could not say a rule natively (also printed with --notes):

  money     Warden money is exact fixed point (4 places). ZEN numbers are rust_decimal, so
            number("49000.00") is exact and all money arithmetic is decimal: native. CEL has no
            decimal type: money strings are converted by a CEL let to integer 1/10000 units,
            int(double(s) * 10000.0 +/- 0.5), exact for |amount| < 4.5e11 (the double has
            < 0.5 unit of error there); all comparisons and the ODD_CENTS arithmetic are then
            on int64. DuckDB: DECIMAL(18,4) (Warden's range is wider: values of 1e14 or more
            would make the query fail rather than be decided).
  time      Timestamps are "YYYY-MM-DD HH:MM:SS" Shanghai wall clock (Warden also accepts a
            fraction and an explicit Z / +hh:mm; all three peers honour those too). ZEN:
            d(s, "Asia/Shanghai") (named zone, native). DuckDB: read as VARCHAR, CAST to
            TIMESTAMPTZ under session TimeZone 'Asia/Shanghai' (ICU, native). CEL (cel-rust
            0.14.5) parses RFC 3339 only and its getHours() takes no zone (cel-go's does): a bare
            wall clock gets "+08:00" appended, instants become epoch seconds
            ((t - timestamp(0)).getSeconds()) and hour/day are integer arithmetic on epoch + 8 h.
            Exact because Asia/Shanghai has been fixed UTC+8 since 1991; for 1986-1991 (DST) the
            CEL translation would be off by an hour. days_between is whole calendar days between
            the Shanghai dates (ZEN: startOf("day").diff(.., "day"); DuckDB: ::DATE difference;
            CEL: difference of floor(local / 86400)).
  regex     PCRE2 (UTF + UCP) patterns. PCRE2 `$` also matches before a final newline; ZEN/CEL
            (Rust regex) and DuckDB (RE2) `$` does not, so a trailing `$` becomes `\\n?\\z`.
            PCRE2 UCP `\\d` is any Unicode decimal digit: Rust regex `\\d` already is; in RE2 it
            is ASCII only, so DuckDB gets `\\p{Nd}`. `(?i)` is Unicode-aware in all three.
  normalize NFKC + removal of every Unicode White_Space scalar. None of the three engines has
            NFKC: ZEN uses a JS function node (String.prototype.normalize('NFKC') in QuickJS)
            reached through a switch node only when a memo or card_no contains a character
            outside the set where NFKC is the identity and nothing is white space (ASCII 21-7E,
            U+3001-3029, CJK ideographs U+3400-4DBF and U+4E00-9FFF — the same fast path
            Warden takes); CEL gets `normalize` as a Python function registered in its Context;
            DuckDB gets a Python scalar UDF `nfkc` (same fast path in SQL, white-space removal in
            SQL). Unicode versions differ (QuickJS / Python unicodedata / Foundation): only
            characters added in recent Unicode versions could normalise differently.
  luhn      ZEN: native (decision-table expression: digits check by regex, then
            sum(map(interval, ...))). DuckDB: native (list_transform over the reversed digits).
            CEL: cel-rust has no way to index a string's characters, so `luhn` is a Python
            function registered in the Context.
  null      ZEN: a missing member reads as null (native). DuckDB: a missing key is NULL; every
            condition is wrapped in COALESCE(.., false) (3-valued logic would otherwise leave
            NULL, which also means "no hit"). CEL: a missing variable is an error, so the Python
            loop sets absent optional fields to None before updating the Context.
  shadow    CANDIDATE_NEW_ACCOUNT_24H_TURNOVER is evaluated and reported in the hit list, and
            left out of score and action, in all three.
  errors    Warden's per-rule runtime errors (overflow, regex match limit) with on_error review
            are not modelled: no record in the inputs raises one (checked: the script stops if a
            Warden decision carries "errors").
  order     ZEN, CEL and DuckDB with 1 thread give decisions in input order and are compared
            record by record; DuckDB with 2 threads writes rows in no particular order, so its
            decisions are compared with Warden's as multisets (sorted by key).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
import unicodedata
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV = REPO / ".venv-bench"
REQUIREMENTS = [
    "zen-engine==2.1.3",
    "common-expression-language==0.10.0",
    "duckdb==2.0.0",  # resolves on PyPI for CPython 3.11 / linux x86_64 (2.0.1 is the newest)
    "numpy==2.4.6",   # DuckDB's Python UDFs (create_function, used for NFKC) require numpy
]
PACK = REPO / "rules" / "payments.rules"
TZ = "Asia/Shanghai"


# =============================================================================================
# Virtual environment bootstrap
# =============================================================================================

def ensure_venv() -> None:
    """Re-executes this script under .venv-bench/bin/python, creating and filling it if needed."""
    py = VENV / "bin" / "python"
    stamp = VENV / ".warden-bench-requirements"
    wanted = "\n".join(REQUIREMENTS) + "\n"
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    if not py.exists():
        print(f"creating {VENV.relative_to(REPO)}/", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    if not stamp.exists() or stamp.read_text() != wanted:
        print("pip install " + " ".join(REQUIREMENTS), file=sys.stderr)
        subprocess.run([str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        *REQUIREMENTS], check=True)
        stamp.write_text(wanted)
    os.execv(str(py), [str(py), str(Path(__file__).resolve()), *sys.argv[1:]])


# =============================================================================================
# The pack: params, consts, lists, rule table (checked against rules/payments.rules at start)
# =============================================================================================

PARAMS = {  # name -> default as written in the pack
    "night_large_amount": "50000.00",
    "new_device_window": "1d",
    "new_device_large_amount": "10000.00",
    "new_account_days": "7",
    "new_account_large_amount": "20000.00",
    "cny_report_threshold": "50000.00",
    "cny_structuring_band": "1000.00",
    "usd_report_threshold": "10000.00",
    "usd_structuring_band": "500.00",
    "large_value_report_amount": "500000.00",
    "failed_login_limit": "5",
    "night_transfer_amount": "5000.00",
    "velocity_1h_limit": "20",
    "card_test_max_amount": "2.00",
    "card_test_min_count": "5",
}
P = {k: Decimal(v) for k, v in PARAMS.items() if k != "new_device_window"}
NEW_DEVICE_WINDOW_S = 86_400  # 1d
HIGH_RISK_MCC = ["7995", "7801", "7802", "5967", "5816", "6051", "4829", "6540", "5993"]
KYC_SINGLE_TXN_LIMIT = {0: Decimal("200.00"), 1: Decimal("1000.00"), 2: Decimal("50000.00")}

# id, score, action, shadow — in pack order
RULES = [
    ("BLOCKED_ACCOUNT", 100, "block", False),
    ("BLOCKED_DEVICE", 100, "block", False),
    ("BLOCKED_PAYEE", 100, "block", False),
    ("NIGHT_LARGE_AMOUNT", 40, None, False),
    ("NIGHT_BANK_TRANSFER_NEW_PAYEE", 35, None, False),
    ("STRUCTURING_CNY", 35, None, False),
    ("STRUCTURING_USD_CROSS_BORDER", 35, None, False),
    ("LARGE_VALUE_REPORTABLE", 20, None, False),
    ("ODD_CENTS_ON_ROUND_AMOUNT", 20, None, False),
    ("NEW_DEVICE_LARGE_AMOUNT", 30, None, False),
    ("ATO_FAILED_LOGINS_NEW_DEVICE", 35, None, False),
    ("MANY_FAILED_LOGINS", 25, None, False),
    ("NEW_ACCOUNT_LARGE_AMOUNT", 30, None, False),
    ("KYC_LIMIT_EXCEEDED", 40, None, False),
    ("KYC_LEVEL_UNKNOWN", 40, None, False),
    ("CROSS_BORDER_LOW_KYC", 40, None, False),
    ("VIRTUAL_OPERATOR_PHONE", 15, None, False),
    ("HIGH_VELOCITY_1H", 25, None, False),
    ("IP_CARD_COUNTRY_MISMATCH", 25, None, False),
    ("ANONYMISING_IP", 25, None, False),
    ("FOREIGN_IP_DOMESTIC_WALLET", 15, None, False),
    ("CARD_NUMBER_LUHN_FAIL", 50, None, False),
    ("CARD_TESTING_MICRO_AMOUNT", 30, None, False),
    ("SELF_TRANSFER_CARD_FUNDED", 40, None, False),
    ("HIGH_RISK_MCC", 30, None, False),
    ("GAMBLING_MEMO", 50, None, False),
    ("FRAUD_SCHEME_MEMO", 45, None, False),
    ("CANDIDATE_NEW_ACCOUNT_24H_TURNOVER", 40, None, True),
]
RULE_META = {r[0]: r for r in RULES}
OPTIONAL_FIELDS = ["card_no", "card_country", "device_first_seen_at", "memo", "payee_account", "phone"]


def read_list(path: Path) -> list[str]:
    """A Warden `list`: one value a line, trimmed, empty lines and #-lines skipped."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        s = line.strip()
        if s and not s.startswith("#"):
            out.append(s)
    return out


BLOCKED_ACCOUNTS = read_list(PACK.parent / "lists" / "blocked_accounts.txt")
BLOCKED_DEVICES = read_list(PACK.parent / "lists" / "blocked_devices.txt")


def check_pack_unchanged() -> None:
    """The translations below are hand-written: fail loudly if the pack drifted from them."""
    text = PACK.read_text(encoding="utf-8")
    src = re.sub(r"#[^\n]*", "", text)
    params = dict(re.findall(r"^param\s+(\w+)\s*:\s*\w+\s*=\s*(\S+)", src, re.M))
    problems = []
    if params != PARAMS:
        problems.append(f"params differ: pack {params}")
    blocks = re.split(r"^(?=rule\s|decide\b)", src, flags=re.M)
    pack_rules = []
    for b in blocks:
        m = re.match(r"rule\s+(\w+)", b)
        if not m:
            continue
        score = re.search(r"^\s*score\s+(\d+)", b, re.M)
        action = re.search(r"^\s*action\s+(\w+)", b, re.M)
        shadow = re.search(r"^\s*shadow\s*$", b, re.M) is not None
        pack_rules.append((m.group(1), int(score.group(1)) if score else 0,
                           action.group(1) if action else None, shadow))
    if pack_rules != RULES:
        problems.append(f"rules differ: pack {pack_rules}")
    if "block  when action(block) or score >= 80" not in text or "review when score >= 40" not in text:
        problems.append("decide block differs")
    if problems:
        sys.exit("bench-peers: rules/payments.rules no longer matches the translations:\n  "
                 + "\n  ".join(problems))


# Regexes, PCRE2 source as in the pack, and their translations (see the module docstring).
RE_PHONE_PCRE = r"^(\+?86)?1(70|71|62|65|67)\d{8}$"
RE_GAMBLING_PCRE = r"(?i)casino|baccarat|bet365|博彩|赌|彩票|下注|百家乐|六合彩|时时彩"
RE_FRAUD_PCRE = r"(?i)usdt|泰达币|跑分|刷单|返利|兼职|代收|代付|垫付"
# Rust regex (ZEN, CEL): \d is Unicode Nd already; PCRE2's `$` (end or before a final \n).
RE_PHONE_RUST = r"^(\+?86)?1(70|71|62|65|67)\d{8}\n?\z"
RE_GAMBLING_RUST = RE_GAMBLING_PCRE  # no $, \d, \w, \s, \b or `.`: same meaning
RE_FRAUD_RUST = RE_FRAUD_PCRE
# RE2 (DuckDB): \d is ASCII-only there.
RE_PHONE_RE2 = r"^(\+?86)?1(70|71|62|65|67)\p{Nd}{8}\n?\z"
RE_GAMBLING_RE2 = RE_GAMBLING_PCRE
RE_FRAUD_RE2 = RE_FRAUD_PCRE
# Strings made only of these scalars are their own normalize(): NFKC is the identity on them
# (no compatibility mappings, no combining marks) and none is White_Space.
RE_NFKC_STABLE = r"^[\x{21}-\x{7E}\x{3001}-\x{3029}\x{3400}-\x{4DBF}\x{4E00}-\x{9FFF}]*\z"
# The Unicode White_Space property (what Warden's remove_whitespace deletes).
WHITE_SPACE_CLASS = (r"[\x{9}-\x{D}\x{20}\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}"
                     r"\x{202F}\x{205F}\x{3000}]")
WHITE_SPACE = set(chr(c) for c in [*range(0x9, 0xE), 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B),
                                   0x2028, 0x2029, 0x202F, 0x205F, 0x3000])
_WS_TABLE = {ord(c): None for c in WHITE_SPACE}


def py_normalize(s: str) -> str:
    """Warden's normalize(): NFKC, then delete every White_Space scalar."""
    return unicodedata.normalize("NFKC", s).translate(_WS_TABLE)


def py_luhn(s: str) -> bool:
    """Warden's luhn(): ASCII digits only, at least 2, Luhn sum % 10 == 0."""
    if len(s) < 2 or not all("0" <= c <= "9" for c in s):
        return False
    total = 0
    for i, c in enumerate(reversed(s)):
        v = ord(c) - 48
        if i & 1:
            v *= 2
            if v > 9:
                v -= 9
        total += v
    return total % 10 == 0


def zstr(values: list[str]) -> str:
    return "[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in values) + "]"


# =============================================================================================
# (a) GoRules ZEN: a JDM graph built in code
# =============================================================================================
#
#   request -> switch "needs NFKC?" -+-> function "normalize (JS)" -+-> expression "lets"
#                                    +-> expression "normalize: identity" -+        |
#                                                                                   v
#                    response <- expression "decide" <- decision table "rules" (collect)
#
# The function node is there only because ZEN expressions have no NFKC (nor a string replace to
# delete white space); it runs for the few records whose memo/card_no needs it.

ZEN_NORMALIZE_JS = r"""
const WS = /[\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]/g;
const normalize = (s) => (s === null || s === undefined) ? null : s.normalize('NFKC').replace(WS, '');
export const handler = async (input) => {
  return { ...input, memo_n: normalize(input.memo), card_n: normalize(input.card_no) };
};
"""

ZEN_LETS = [  # expression node "lets": (key, ZEN expression); later keys read earlier ones as $.key
    ("amount_d", "number(amount)"),
    ("amount_cny_d", "number(amount_cny)"),
    ("amount_cny_24h_d", "number(amount_cny_24h)"),
    # let local_hour = hour(created_at)   (pack zone Asia/Shanghai)
    ("local_hour", f'd(created_at, "{TZ}").hour()'),
    # let night = local_hour in 0..5
    ("night", "$.local_hour >= 0 and $.local_hour <= 5"),
    # let device_is_new = device_first_seen_at is null or created_at - device_first_seen_at < 1d
    # (startOf("second"): Warden drops fractions of a second before subtracting)
    ("device_is_new", f'device_first_seen_at == null or d(created_at, "{TZ}").startOf("second")'
                      f'.diff(d(device_first_seen_at, "{TZ}").startOf("second"), "second") < {NEW_DEVICE_WINDOW_S}'),
    # let account_age_days = days_between(account_opened_at, created_at)
    ("account_age_days", f'd(created_at, "{TZ}").startOf("day")'
                         f'.diff(d(account_opened_at, "{TZ}").startOf("day"), "day")'),
    # let foreign_ip = ip_country != "CN"
    ("foreign_ip", 'ip_country != "CN"'),
    # let new_payee = payee_account is not null and payee_txn_count == 0
    ("new_payee", "payee_account != null and payee_txn_count == 0"),
    # let kyc_limit = kyc_single_txn_limit[kyc_level]   (null = no per-payment cap)
    ("kyc_single_txn_limit", "{" + ", ".join(f'"{k}": {v}' for k, v in KYC_SINGLE_TXN_LIMIT.items()) + "}"),
    ("kyc_limit", "$.kyc_single_txn_limit[string(kyc_level)]"),
    # let whole_yuan = int(amount)
    ("whole_yuan", "trunc($.amount_d)"),
    # luhn(normalize(card_no)) for CARD_NUMBER_LUHN_FAIL (card_n is normalize(card_no))
    ("card_luhn_ok", r'card_n != null and (matches(card_n, "^[0-9]{2,}\z") ? '
                     r"sum(map([0..len(card_n) - 1], "
                     r"(# % 2 == 1 ? (number(card_n[len(card_n) - 1 - #:len(card_n) - 1 - #]) * 2 > 9 "
                     r"? number(card_n[len(card_n) - 1 - #:len(card_n) - 1 - #]) * 2 - 9 "
                     r": number(card_n[len(card_n) - 1 - #:len(card_n) - 1 - #]) * 2) "
                     r": number(card_n[len(card_n) - 1 - #:len(card_n) - 1 - #])))) % 10 == 0 : false)"),
]

ZEN_RULES = {  # decision table rows: rule id -> condition (one input column without a field)
    # ---- Block lists
    "BLOCKED_ACCOUNT": f"account_id in {zstr(BLOCKED_ACCOUNTS)}",
    "BLOCKED_DEVICE": f"device_id in {zstr(BLOCKED_DEVICES)}",
    "BLOCKED_PAYEE": f"payee_account != null and payee_account in {zstr(BLOCKED_ACCOUNTS)}",
    # ---- Amount and time
    "NIGHT_LARGE_AMOUNT": f"night and amount_cny_d >= {P['night_large_amount']}",
    "NIGHT_BANK_TRANSFER_NEW_PAYEE": f'channel == "bank_transfer" and night and new_payee'
                                     f" and amount_cny_d >= {P['night_transfer_amount']}",
    "STRUCTURING_CNY": f'currency == "cny"'
                       f" and amount_d >= {P['cny_report_threshold']} - {P['cny_structuring_band']}"
                       f" and amount_d < {P['cny_report_threshold']}",
    "STRUCTURING_USD_CROSS_BORDER": f'is_cross_border and currency == "usd"'
                                    f" and amount_d >= {P['usd_report_threshold']} - {P['usd_structuring_band']}"
                                    f" and amount_d < {P['usd_report_threshold']}",
    "LARGE_VALUE_REPORTABLE": f"amount_cny_d >= {P['large_value_report_amount']}",
    "ODD_CENTS_ON_ROUND_AMOUNT": 'currency == "cny" and amount_d >= 100.00 and amount_d <= 5000.00'
                                 " and whole_yuan % 100 == 0"
                                 " and amount_d - whole_yuan >= 0.01 and amount_d - whole_yuan <= 0.09",
    # ---- Account, identity and device
    "NEW_DEVICE_LARGE_AMOUNT": f"device_is_new and amount_cny_d >= {P['new_device_large_amount']}",
    "ATO_FAILED_LOGINS_NEW_DEVICE": "failed_logins_24h >= 3 and device_is_new and amount_cny_d >= 2000.00",
    "MANY_FAILED_LOGINS": f"failed_logins_24h >= {P['failed_login_limit']}",
    "NEW_ACCOUNT_LARGE_AMOUNT": f"account_age_days < {P['new_account_days']}"
                                f" and amount_cny_d >= {P['new_account_large_amount']}",
    "KYC_LIMIT_EXCEEDED": "kyc_limit != null and amount_cny_d > kyc_limit",
    "KYC_LEVEL_UNKNOWN": "not (kyc_level >= 0 and kyc_level <= 3)",
    "CROSS_BORDER_LOW_KYC": "is_cross_border and kyc_level < 2",
    "VIRTUAL_OPERATOR_PHONE": f'phone != null and matches(phone, "{RE_PHONE_RUST}")',
    "HIGH_VELOCITY_1H": f"txn_count_1h >= {P['velocity_1h_limit']}",
    # ---- Network and geography
    "IP_CARD_COUNTRY_MISMATCH": "card_country != null and card_country != ip_country",
    "ANONYMISING_IP": 'ip_risk in ["proxy", "tor", "hosting"]',
    "FOREIGN_IP_DOMESTIC_WALLET": 'foreign_ip and channel in ["alipay", "wechat"] and not is_cross_border',
    # ---- Card
    "CARD_NUMBER_LUHN_FAIL": "card_no != null and not card_luhn_ok",
    "CARD_TESTING_MICRO_AMOUNT": f'channel == "card" and amount_cny_d <= {P["card_test_max_amount"]}'
                                 f" and txn_count_1h >= {P['card_test_min_count']}",
    "SELF_TRANSFER_CARD_FUNDED": 'payee_account != null and payee_account == account_id'
                                 ' and channel in ["card", "unionpay"]',
    # ---- Merchant and memo
    "HIGH_RISK_MCC": f"mcc in {zstr(HIGH_RISK_MCC)}",
    "GAMBLING_MEMO": f'memo_n != null and matches(memo_n, "{RE_GAMBLING_RUST}")',
    "FRAUD_SCHEME_MEMO": f'memo_n != null and matches(memo_n, "{RE_FRAUD_RUST}")',
    # ---- Shadow candidate
    "CANDIDATE_NEW_ACCOUNT_24H_TURNOVER": "account_age_days < 30 and amount_cny_24h_d + amount_cny_d >= 100000.00",
}

ZEN_DECIDE = [  # expression node "decide" (no pass-through: the decision is the node's output)
    ("key", "txn_id"),
    ("scored", "filter(hits, not #.shadow)"),
    ("score", "sum(map($.scored, #.score))"),
    # block when action(block) or score >= 80; review when score >= 40; allow
    ("action", 'some($.scored, #.action == "block") or $.score >= 80 ? "block"'
               ' : ($.score >= 40 ? "review" : "allow")'),
    ("hits", "map(hits, #.rule)"),
]


def zen_model() -> dict:
    def expr_node(node_id, name, pairs, pass_through):
        return {"id": node_id, "name": name, "type": "expressionNode",
                "content": {"expressions": [{"id": f"{node_id}-{i}", "key": k, "value": v}
                                            for i, (k, v) in enumerate(pairs)],
                            "passThrough": pass_through, "inputField": None, "outputPath": None,
                            "executionMode": "single"}}

    def jstr(v):
        return "null" if v is None else json.dumps(v)

    rows = []
    for rid, score, action, shadow in RULES:
        rows.append({"_id": rid, "cond": ZEN_RULES[rid], "rule": json.dumps(rid), "score": str(score),
                     "action": jstr(action), "shadow": "true" if shadow else "false"})
    needs_nfkc = (f'(memo != null and not matches(memo, "{RE_NFKC_STABLE}"))'
                  f' or (card_no != null and not matches(card_no, "{RE_NFKC_STABLE}"))')
    nodes = [
        {"id": "request", "name": "request", "type": "inputNode"},
        {"id": "switch", "name": "needs NFKC?", "type": "switchNode",
         "content": {"hitPolicy": "first", "statements": [{"id": "slow", "condition": needs_nfkc},
                                                          {"id": "fast", "condition": ""}]}},
        {"id": "nfkc", "name": "normalize (JS)", "type": "functionNode",
         "content": {"source": ZEN_NORMALIZE_JS}},
        expr_node("identity", "normalize: identity", [("memo_n", "memo"), ("card_n", "card_no")], True),
        expr_node("lets", "lets", ZEN_LETS, True),
        {"id": "rules", "name": "rules", "type": "decisionTableNode",
         "content": {"hitPolicy": "collect", "passThrough": True, "outputPath": "hits",
                     "inputField": None, "executionMode": "single",
                     "inputs": [{"id": "cond", "name": "condition", "field": ""}],
                     "outputs": [{"id": k, "name": k, "field": k} for k in ("rule", "score", "action", "shadow")],
                     "rules": rows}},
        expr_node("decide", "decide", ZEN_DECIDE, False),
        {"id": "response", "name": "response", "type": "outputNode"},
    ]
    edges = [("request", "switch", None), ("switch", "nfkc", "slow"), ("switch", "identity", "fast"),
             ("nfkc", "lets", None), ("identity", "lets", None), ("lets", "rules", None),
             ("rules", "decide", None), ("decide", "response", None)]
    return {"nodes": nodes,
            "edges": [{"id": f"e{i}", "sourceId": s, "targetId": t, "sourceHandle": h}
                      for i, (s, t, h) in enumerate(edges)]}


def make_zen():
    import zen
    decision = zen.ZenEngine().create_decision(json.dumps(zen_model(), ensure_ascii=False))

    def run(line: str) -> str:
        r = decision.evaluate(json.loads(line))["result"]
        return json.dumps({"key": r["key"], "action": r["action"], "score": int(r["score"]),
                           "hits": r["hits"]}, ensure_ascii=False)
    return run


# =============================================================================================
# (b) CEL: one program per let, per rule, and the decide policy
# =============================================================================================

def cel_units(expr: str) -> str:
    """Money string -> int 1/10000 units (exact for |x| < 4.5e11; see the docstring)."""
    return f"int(double({expr}) * 10000.0 + (double({expr}) < 0.0 ? -0.5 : 0.5))"


def u(v: Decimal) -> int:
    return int(v * 10000)


def cel_epoch(field: str) -> str:
    """Epoch seconds of a Warden timestamp field: an explicit Z/+hh:mm is honoured, a bare
    wall clock is Shanghai time (fixed +08:00)."""
    return (f'(({field}.matches("(Z|[+-][0-9]{{2}}:[0-9]{{2}})$") ? timestamp({field})'
            f' : timestamp({field} + "+08:00")) - timestamp("1970-01-01T00:00:00Z")).getSeconds()')


def cel_shanghai_day(local: str) -> str:
    """Day number (days since 1970-01-01) of Shanghai-local seconds `local` (floor division)."""
    return f"(({local}) - (({local}) % 86400 + 86400) % 86400) / 86400"


CEL_LETS = [  # evaluated in order; each result becomes a variable of the Context
    ("amount_u", cel_units("amount")),
    ("amount_cny_u", cel_units("amount_cny")),
    ("amount_cny_24h_u", cel_units("amount_cny_24h")),
    # instants as epoch seconds; Shanghai local seconds = epoch + 8 h (no DST since 1991)
    ("created_epoch", cel_epoch("created_at")),
    ("created_local", "created_epoch + 28800"),
    ("opened_local", cel_epoch("account_opened_at") + " + 28800"),
    # let local_hour = hour(created_at)
    ("local_hour", "(created_local % 86400 + 86400) % 86400 / 3600"),
    # let night = local_hour in 0..5
    ("night", "local_hour >= 0 && local_hour <= 5"),
    # let device_is_new = device_first_seen_at is null or created_at - device_first_seen_at < 1d
    ("device_is_new", "device_first_seen_at == null"
                      f" || created_epoch - {cel_epoch('device_first_seen_at')} < {NEW_DEVICE_WINDOW_S}"),
    # let account_age_days = days_between(account_opened_at, created_at)
    ("account_age_days", f"{cel_shanghai_day('created_local')} - {cel_shanghai_day('opened_local')}"),
    # let foreign_ip = ip_country != "CN"
    ("foreign_ip", 'ip_country != "CN"'),
    # let new_payee = payee_account is not null and payee_txn_count == 0
    ("new_payee", "payee_account != null && payee_txn_count == 0"),
    # let kyc_limit = kyc_single_txn_limit[kyc_level]   (units; null = no per-payment cap)
    ("kyc_limit_u", "kyc_level in {m} ? {m}[kyc_level] : null".format(
        m="{" + ", ".join(f"{k}: {u(v)}" for k, v in KYC_SINGLE_TXN_LIMIT.items()) + "}")),
    # let whole_yuan = int(amount)   (int division truncates toward zero, as int() does)
    ("whole_yuan", "amount_u / 10000"),
]


def cel_list(values: list[str]) -> str:
    return "[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in values) + "]"


CEL_RULES = {
    # ---- Block lists
    "BLOCKED_ACCOUNT": f"account_id in {cel_list(BLOCKED_ACCOUNTS)}",
    "BLOCKED_DEVICE": f"device_id in {cel_list(BLOCKED_DEVICES)}",
    "BLOCKED_PAYEE": f"payee_account != null && payee_account in {cel_list(BLOCKED_ACCOUNTS)}",
    # ---- Amount and time
    "NIGHT_LARGE_AMOUNT": f"night && amount_cny_u >= {u(P['night_large_amount'])}",
    "NIGHT_BANK_TRANSFER_NEW_PAYEE": f'channel == "bank_transfer" && night && new_payee'
                                     f" && amount_cny_u >= {u(P['night_transfer_amount'])}",
    "STRUCTURING_CNY": f'currency == "cny"'
                       f" && amount_u >= {u(P['cny_report_threshold'])} - {u(P['cny_structuring_band'])}"
                       f" && amount_u < {u(P['cny_report_threshold'])}",
    "STRUCTURING_USD_CROSS_BORDER": f'is_cross_border && currency == "usd"'
                                    f" && amount_u >= {u(P['usd_report_threshold'])} - {u(P['usd_structuring_band'])}"
                                    f" && amount_u < {u(P['usd_report_threshold'])}",
    "LARGE_VALUE_REPORTABLE": f"amount_cny_u >= {u(P['large_value_report_amount'])}",
    "ODD_CENTS_ON_ROUND_AMOUNT": f'currency == "cny" && amount_u >= {u(Decimal("100.00"))}'
                                 f' && amount_u <= {u(Decimal("5000.00"))}'
                                 " && whole_yuan % 100 == 0"
                                 f" && amount_u - whole_yuan * 10000 >= {u(Decimal('0.01'))}"
                                 f" && amount_u - whole_yuan * 10000 <= {u(Decimal('0.09'))}",
    # ---- Account, identity and device
    "NEW_DEVICE_LARGE_AMOUNT": f"device_is_new && amount_cny_u >= {u(P['new_device_large_amount'])}",
    "ATO_FAILED_LOGINS_NEW_DEVICE": f"failed_logins_24h >= 3 && device_is_new && amount_cny_u >= {u(Decimal('2000.00'))}",
    "MANY_FAILED_LOGINS": f"failed_logins_24h >= {P['failed_login_limit']}",
    "NEW_ACCOUNT_LARGE_AMOUNT": f"account_age_days < {P['new_account_days']}"
                                f" && amount_cny_u >= {u(P['new_account_large_amount'])}",
    "KYC_LIMIT_EXCEEDED": "kyc_limit_u != null && amount_cny_u > kyc_limit_u",
    "KYC_LEVEL_UNKNOWN": "!(kyc_level >= 0 && kyc_level <= 3)",
    "CROSS_BORDER_LOW_KYC": "is_cross_border && kyc_level < 2",
    "VIRTUAL_OPERATOR_PHONE": f"phone != null && phone.matches({json.dumps(RE_PHONE_RUST)})",
    "HIGH_VELOCITY_1H": f"txn_count_1h >= {P['velocity_1h_limit']}",
    # ---- Network and geography
    "IP_CARD_COUNTRY_MISMATCH": "card_country != null && card_country != ip_country",
    "ANONYMISING_IP": 'ip_risk in ["proxy", "tor", "hosting"]',
    "FOREIGN_IP_DOMESTIC_WALLET": 'foreign_ip && channel in ["alipay", "wechat"] && !is_cross_border',
    # ---- Card (luhn and normalize: Python functions in the Context, see the docstring)
    "CARD_NUMBER_LUHN_FAIL": "card_no != null && !luhn(normalize(card_no))",
    "CARD_TESTING_MICRO_AMOUNT": f'channel == "card" && amount_cny_u <= {u(P["card_test_max_amount"])}'
                                 f" && txn_count_1h >= {P['card_test_min_count']}",
    "SELF_TRANSFER_CARD_FUNDED": 'payee_account != null && payee_account == account_id'
                                 ' && channel in ["card", "unionpay"]',
    # ---- Merchant and memo
    "HIGH_RISK_MCC": f"mcc in {cel_list(HIGH_RISK_MCC)}",
    "GAMBLING_MEMO": f"memo != null && normalize(memo).matches({json.dumps(RE_GAMBLING_RUST, ensure_ascii=False)})",
    "FRAUD_SCHEME_MEMO": f"memo != null && normalize(memo).matches({json.dumps(RE_FRAUD_RUST, ensure_ascii=False)})",
    # ---- Shadow candidate
    "CANDIDATE_NEW_ACCOUNT_24H_TURNOVER": f"account_age_days < 30"
                                          f" && amount_cny_24h_u + amount_cny_u >= {u(Decimal('100000.00'))}",
}

# block when action(block) or score >= 80; review when score >= 40; allow
CEL_DECIDE = 'action_block || score >= 80 ? "block" : (score >= 40 ? "review" : "allow")'


def make_cel():
    import cel
    lets = [(name, cel.compile(src)) for name, src in CEL_LETS]
    rules = [(rid, cel.compile(CEL_RULES[rid]), score, action == "block", shadow)
             for rid, score, action, shadow in RULES]
    decide = cel.compile(CEL_DECIDE)
    ctx = cel.Context(functions={"normalize": py_normalize, "luhn": py_luhn})

    def run(line: str) -> str:
        rec = json.loads(line)
        for f in OPTIONAL_FIELDS:  # CEL: an absent variable is an error, not null
            if f not in rec:
                rec[f] = None
        ctx.update(rec)
        for name, prog in lets:
            ctx.add_variable(name, prog.execute(ctx))
        hits = []
        score = 0
        block = False
        for rid, prog, rscore, rblock, shadow in rules:
            if prog.execute(ctx):
                hits.append(rid)
                if not shadow:
                    score += rscore
                    block = block or rblock
        ctx.add_variable("score", score)
        ctx.add_variable("action_block", block)
        action = decide.execute(ctx)
        return json.dumps({"key": rec["txn_id"], "action": action, "score": score, "hits": hits},
                          ensure_ascii=False)
    return run


# =============================================================================================
# (c) DuckDB: one query over the JSONL file
# =============================================================================================

def sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def sql_in(values: list[str]) -> str:
    return "(" + ", ".join(sql_str(v) for v in values) + ")"


def sql_dec(v: Decimal) -> str:
    return f"CAST('{v}' AS DECIMAL(18,4))"


DUCK_COLUMNS = {
    "txn_id": "VARCHAR", "account_id": "VARCHAR", "card_no": "VARCHAR", "card_country": "VARCHAR",
    "device_id": "VARCHAR", "amount": "DECIMAL(18,4)", "currency": "VARCHAR",
    "amount_cny": "DECIMAL(18,4)", "channel": "VARCHAR", "mcc": "VARCHAR", "merchant_id": "VARCHAR",
    "created_at": "VARCHAR", "ip_country": "VARCHAR", "ip_risk": "VARCHAR",
    "account_opened_at": "VARCHAR", "device_first_seen_at": "VARCHAR", "kyc_level": "BIGINT",
    "memo": "VARCHAR", "payee_account": "VARCHAR", "payee_txn_count": "BIGINT", "phone": "VARCHAR",
    "failed_logins_24h": "BIGINT", "txn_count_1h": "BIGINT", "amount_cny_24h": "DECIMAL(18,4)",
    "is_cross_border": "BOOLEAN",
}


def duck_normalize(col: str) -> str:
    """normalize(col): NFKC (Python UDF, skipped where it is the identity) + White_Space removal."""
    return (f"CASE WHEN regexp_matches({col}, '{RE_NFKC_STABLE}') THEN {col}"
            f" ELSE regexp_replace(nfkc({col}), '{WHITE_SPACE_CLASS}', '', 'g') END")


def duck_luhn(col: str) -> str:
    digit = "CAST(ch AS INTEGER)"
    # CASE, not AND: DuckDB evaluates both sides of AND, and CAST would fail on a non-digit.
    return (f"(CASE WHEN regexp_full_match({col}, '[0-9]{{2,}}') THEN list_sum(list_transform("
            f"string_split(reverse({col}), ''), lambda ch, i: CASE WHEN i % 2 = 0 THEN "
            f"(CASE WHEN {digit} * 2 > 9 THEN {digit} * 2 - 9 ELSE {digit} * 2 END) ELSE {digit} END)) % 10 = 0"
            f" ELSE false END)")


DUCK_RULES = {
    # ---- Block lists
    "BLOCKED_ACCOUNT": f"account_id IN {sql_in(BLOCKED_ACCOUNTS)}",
    "BLOCKED_DEVICE": f"device_id IN {sql_in(BLOCKED_DEVICES)}",
    "BLOCKED_PAYEE": f"payee_account IS NOT NULL AND payee_account IN {sql_in(BLOCKED_ACCOUNTS)}",
    # ---- Amount and time
    "NIGHT_LARGE_AMOUNT": f"night AND amount_cny >= {sql_dec(P['night_large_amount'])}",
    "NIGHT_BANK_TRANSFER_NEW_PAYEE": f"channel = 'bank_transfer' AND night AND new_payee"
                                     f" AND amount_cny >= {sql_dec(P['night_transfer_amount'])}",
    "STRUCTURING_CNY": f"currency = 'cny'"
                       f" AND amount >= {sql_dec(P['cny_report_threshold'])} - {sql_dec(P['cny_structuring_band'])}"
                       f" AND amount < {sql_dec(P['cny_report_threshold'])}",
    "STRUCTURING_USD_CROSS_BORDER": f"is_cross_border AND currency = 'usd'"
                                    f" AND amount >= {sql_dec(P['usd_report_threshold'])} - {sql_dec(P['usd_structuring_band'])}"
                                    f" AND amount < {sql_dec(P['usd_report_threshold'])}",
    "LARGE_VALUE_REPORTABLE": f"amount_cny >= {sql_dec(P['large_value_report_amount'])}",
    "ODD_CENTS_ON_ROUND_AMOUNT": "currency = 'cny' AND amount >= 100.00 AND amount <= 5000.00"
                                 " AND whole_yuan % 100 = 0"
                                 " AND amount - whole_yuan BETWEEN 0.01 AND 0.09",
    # ---- Account, identity and device
    "NEW_DEVICE_LARGE_AMOUNT": f"device_is_new AND amount_cny >= {sql_dec(P['new_device_large_amount'])}",
    "ATO_FAILED_LOGINS_NEW_DEVICE": "failed_logins_24h >= 3 AND device_is_new AND amount_cny >= 2000.00",
    "MANY_FAILED_LOGINS": f"failed_logins_24h >= {P['failed_login_limit']}",
    "NEW_ACCOUNT_LARGE_AMOUNT": f"account_age_days < {P['new_account_days']}"
                                f" AND amount_cny >= {sql_dec(P['new_account_large_amount'])}",
    "KYC_LIMIT_EXCEEDED": "kyc_limit IS NOT NULL AND amount_cny > kyc_limit",
    "KYC_LEVEL_UNKNOWN": "kyc_level NOT BETWEEN 0 AND 3",
    "CROSS_BORDER_LOW_KYC": "is_cross_border AND kyc_level < 2",
    "VIRTUAL_OPERATOR_PHONE": f"phone IS NOT NULL AND regexp_matches(phone, {sql_str(RE_PHONE_RE2)})",
    "HIGH_VELOCITY_1H": f"txn_count_1h >= {P['velocity_1h_limit']}",
    # ---- Network and geography
    "IP_CARD_COUNTRY_MISMATCH": "card_country IS NOT NULL AND card_country <> ip_country",
    "ANONYMISING_IP": "ip_risk IN ('proxy', 'tor', 'hosting')",
    "FOREIGN_IP_DOMESTIC_WALLET": "foreign_ip AND channel IN ('alipay', 'wechat') AND NOT is_cross_border",
    # ---- Card
    "CARD_NUMBER_LUHN_FAIL": f"card_no IS NOT NULL AND NOT {duck_luhn(duck_normalize('card_no'))}",
    "CARD_TESTING_MICRO_AMOUNT": f"channel = 'card' AND amount_cny <= {sql_dec(P['card_test_max_amount'])}"
                                 f" AND txn_count_1h >= {P['card_test_min_count']}",
    "SELF_TRANSFER_CARD_FUNDED": "payee_account IS NOT NULL AND payee_account = account_id"
                                 " AND channel IN ('card', 'unionpay')",
    # ---- Merchant and memo
    "HIGH_RISK_MCC": f"mcc IN {sql_in(HIGH_RISK_MCC)}",
    "GAMBLING_MEMO": f"memo IS NOT NULL AND regexp_matches({duck_normalize('memo')}, {sql_str(RE_GAMBLING_RE2)})",
    "FRAUD_SCHEME_MEMO": f"memo IS NOT NULL AND regexp_matches({duck_normalize('memo')}, {sql_str(RE_FRAUD_RE2)})",
    # ---- Shadow candidate
    "CANDIDATE_NEW_ACCOUNT_24H_TURNOVER": "account_age_days < 30 AND amount_cny_24h + amount_cny >= 100000.00",
}


def duck_query(path: Path) -> str:
    cols = ", ".join(f"{k}: '{v}'" for k, v in DUCK_COLUMNS.items())
    kyc = " ".join(f"WHEN {k} THEN {sql_dec(v)}" for k, v in KYC_SINGLE_TXN_LIMIT.items())
    hit_cols = ",\n    ".join(f"COALESCE({DUCK_RULES[rid]}, false) AS h_{rid}" for rid, *_ in RULES)
    scored = [r for r in RULES if not r[3]]
    score = " + ".join(f"(CASE WHEN h_{rid} THEN {s} ELSE 0 END)" for rid, s, _, _ in scored)
    block = " OR ".join(f"h_{rid}" for rid, _, a, _ in scored if a == "block")
    hits = ", ".join(f"CASE WHEN h_{rid} THEN '{rid}' END" for rid, *_ in RULES)
    return f"""
WITH txn AS (
  -- timestamps: read as text, cast to TIMESTAMPTZ in SQL: a bare wall clock is then Shanghai
  -- time (session TimeZone), an explicit offset is honoured (read_ndjson's own TIMESTAMPTZ
  -- parsing would take a bare wall clock as UTC); fractions dropped as Warden does
  SELECT * REPLACE (date_trunc('second', CAST(created_at AS TIMESTAMPTZ)) AS created_at,
                    date_trunc('second', CAST(account_opened_at AS TIMESTAMPTZ)) AS account_opened_at,
                    date_trunc('second', CAST(device_first_seen_at AS TIMESTAMPTZ)) AS device_first_seen_at)
  FROM read_ndjson({sql_str(str(path))}, columns = {{{cols}}})
), lets AS (
  SELECT *,
    hour(created_at) BETWEEN 0 AND 5 AS night,  -- local_hour in 0..5 (session TimeZone {TZ})
    device_first_seen_at IS NULL
      OR created_at - device_first_seen_at < INTERVAL {NEW_DEVICE_WINDOW_S} SECOND AS device_is_new,
    CAST(created_at AS DATE) - CAST(account_opened_at AS DATE) AS account_age_days,
    ip_country <> 'CN' AS foreign_ip,
    payee_account IS NOT NULL AND payee_txn_count = 0 AS new_payee,
    CASE kyc_level {kyc} END AS kyc_limit,
    trunc(amount) AS whole_yuan
  FROM txn
), hits AS (
  SELECT txn_id,
    {hit_cols}
  FROM lets
), scored AS (
  SELECT *, {score} AS score, ({block}) AS action_block FROM hits
)
SELECT txn_id AS key,
  CASE WHEN action_block OR score >= 80 THEN 'block' WHEN score >= 40 THEN 'review' ELSE 'allow' END AS action,
  score,
  list_filter([{hits}], lambda r: r IS NOT NULL) AS hits
FROM scored"""


def duck_connect(threads: int):
    import duckdb
    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    con.execute(f"SET TimeZone = '{TZ}'")
    # NFKC: no DuckDB function; a Python scalar UDF (called only off the fast path).
    con.create_function("nfkc", lambda s: unicodedata.normalize("NFKC", s), ["VARCHAR"], "VARCHAR",
                        null_handling="default", side_effects=False)
    return con


def duck_run(con, src: Path, out: Path) -> None:
    con.execute(f"COPY ({duck_query(src)}) TO {sql_str(str(out))} (FORMAT json)")


# =============================================================================================
# Checking and timing
# =============================================================================================

def load_warden(path: Path, input_lines: list[str], cap: int | None):
    """Ground truth: (valid raw lines, decisions) in input order, errors skipped."""
    valid, truth, errors = [], [], 0
    with path.open(encoding="utf-8") as f:
        for raw in f:
            if not raw.strip():
                continue
            d = json.loads(raw)
            if "line" not in d:
                continue
            if "error" in d:
                errors += 1
                continue
            if d.get("errors"):
                sys.exit(f"bench-peers: Warden reported rule errors on line {d['line']}; peers do not model "
                         "on_error (see the docstring)")
            valid.append(input_lines[d["line"] - 1])
            truth.append({"key": d["key"], "action": d["action"], "score": d["score"],
                          "hits": sorted(h["rule"] for h in d["hits"])})
            if cap is not None and len(valid) >= cap:
                break
    return valid, truth, errors


def compare(name: str, got: list[dict], truth: list[dict], lines: list[str], ordered: bool = True) -> int:
    """Decision by decision in input order; `ordered=False` (DuckDB with 2 threads writes rows in
    no particular order) compares the two multisets of decisions, sorted by key."""
    bad = []
    if len(got) != len(truth):
        print(f"{name}: {len(got)} decisions, Warden {len(truth)}")
    got = [{"key": g["key"], "action": g["action"], "score": int(g["score"]), "hits": sorted(g["hits"])}
           for g in got]
    order = list(range(len(truth)))
    if not ordered:
        def sort_key(d):
            return (d["key"], d["action"], d["score"], d["hits"])
        got = sorted(got, key=sort_key)
        order = sorted(order, key=lambda i: sort_key(truth[i]))
    for g, i in zip(got, order):
        if g != truth[i]:
            bad.append((i, g, truth[i]))
    if bad:
        print(f"\n{name}: {len(bad)} of {len(truth)} decisions differ from Warden; first ones:")
        for i, g, t in bad[:5]:
            print(f"  record {i + 1}: {lines[i].strip()[:400]}")
            print(f"    {name:7}: {g}")
            print(f"    warden : {t}")
    return len(bad) + abs(len(got) - len(truth))


def pin(cpus: int) -> None:
    try:
        os.sched_setaffinity(0, set(ALL_CPUS[:cpus]))
    except (AttributeError, OSError):
        pass


ALL_CPUS = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else [0]


def time_python_loop(run, src: Path, sink: Path) -> float:
    t0 = time.perf_counter()
    with src.open(encoding="utf-8") as f, sink.open("w", encoding="utf-8") as out:
        for line in f:
            out.write(run(line))
            out.write("\n")
    return time.perf_counter() - t0


def median_rate(n: int, runs: list[float]) -> float:
    return n / statistics.median(runs)


def main() -> int:
    ensure_venv()
    check_pack_unchanged()
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--input", default="datasets/sample/transactions.jsonl", type=Path)
    ap.add_argument("--warden-decisions", type=Path,
                    help="output of `warden eval --rules rules/payments.rules --input SAME_FILE`")
    ap.add_argument("--records", type=int, default=None, help="use only the first N valid records")
    ap.add_argument("--json", type=Path, default=None, help="write the figures here")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--warden", type=Path, default=REPO / ".build" / "release" / "warden",
                    help="also time this warden binary on the same records (skipped if missing)")
    ap.add_argument("--out-dir", type=Path, default=REPO / "bench-out" / "peers")
    ap.add_argument("--only", default="zen,cel,duckdb", help="comma-separated peers to run")
    ap.add_argument("--print-model", action="store_true", help="print the ZEN JDM, the CEL and the SQL, and exit")
    args = ap.parse_args()

    if args.print_model:
        print(json.dumps(zen_model(), ensure_ascii=False, indent=2))
        for name, src in CEL_LETS:
            print(f"cel let {name} = {src}")
        for rid in RULE_META:
            print(f"cel rule {rid}: {CEL_RULES[rid]}")
        print(duck_query(Path("INPUT.jsonl")))
        return 0

    if args.warden_decisions is None:
        ap.error("--warden-decisions is required")
    peers = [p.strip() for p in args.only.split(",") if p.strip()]
    args.out_dir.mkdir(parents=True, exist_ok=True)
    input_lines = args.input.read_text(encoding="utf-8").split("\n")
    valid, truth, errors = load_warden(args.warden_decisions, input_lines, args.records)
    n = len(valid)
    src = args.out_dir / "input.jsonl"
    src.write_text("".join(l.rstrip("\r") + "\n" for l in valid), encoding="utf-8")
    print(f"input {args.input}: {n} records accepted by Warden"
          f"{f' (first {args.records})' if args.records else ''}, {errors} rejected lines left out -> {src}")

    import duckdb
    import zen  # noqa: F401  (import cost outside the timings)
    import cel  # noqa: F401
    from importlib.metadata import version
    versions = {p: version(p) for p in ("zen-engine", "common-expression-language", "duckdb")}

    # ---- 1. correctness, before any timing
    runners = {}
    failures = 0
    for p in peers:
        if p in ("zen", "cel"):
            runners[p] = make_zen() if p == "zen" else make_cel()
            got = [json.loads(runners[p](line)) for line in valid]
        elif p == "duckdb":
            out = args.out_dir / "duckdb-check.jsonl"
            duck_run(duck_connect(1), src, out)
            got = [json.loads(l) for l in out.read_text(encoding="utf-8").splitlines() if l.strip()]
            con2 = duck_connect(2)
            out2 = args.out_dir / "duckdb-check-2.jsonl"
            duck_run(con2, src, out2)
            got2 = [json.loads(l) for l in out2.read_text(encoding="utf-8").splitlines() if l.strip()]
            bad2 = compare("duckdb 2 threads", got2, truth, valid, ordered=False)
            failures += bad2
            if not bad2:
                print(f"check duckdb 2 threads: {n}/{n} decisions match Warden (as a multiset: rows come out"
                      " in no particular order)")
        else:
            sys.exit(f"unknown peer {p}")
        bad = compare(p, got, truth, valid)
        failures += bad
        if not bad:
            print(f"check {p}: {n}/{n} decisions match Warden (action, score, hit set incl. shadow)")
    if failures:
        print("\nbench-peers: FAILED — decisions differ from Warden; nothing timed.")
        return 1

    # ---- 2. timing: median of --runs, one core (DuckDB 2 threads: two)
    results = {}
    sink = args.out_dir / "decisions.jsonl"
    if args.warden.exists():
        runs = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            with sink.open("w") as out:
                subprocess.run([str(args.warden), "eval", "--rules", str(PACK), "--input", str(src)],
                               stdout=out, stderr=subprocess.DEVNULL, check=True,
                               preexec_fn=lambda: os.sched_setaffinity(0, {ALL_CPUS[0]}))
            runs.append(time.perf_counter() - t0)
        results["warden eval (1 core)"] = runs
    for p in peers:
        if p in ("zen", "cel"):
            pin(1)
            results[f"{p} (Python loop, 1 core)"] = [time_python_loop(runners[p], src, sink)
                                                     for _ in range(args.runs)]
        else:
            for threads in (1, 2):
                pin(threads)
                con = duck_connect(threads)
                runs = []
                for _ in range(args.runs):
                    t0 = time.perf_counter()
                    duck_run(con, src, sink)
                    runs.append(time.perf_counter() - t0)
                results[f"duckdb SQL ({threads} thread{'s' if threads > 1 else ''})"] = runs
                con.close()
    pin(len(ALL_CPUS))

    base = results.get("warden eval (1 core)")
    base_rate = median_rate(n, base) if base else None
    print(f"\n{n} records, median of {args.runs} runs, end to end (JSONL in, decisions out)")
    print(f"| path | records/s | median s | Warden ÷ path |")
    print(f"|---|---:|---:|---:|")
    table = []
    for name, runs in results.items():
        rate = median_rate(n, runs)
        ratio = base_rate / rate if base_rate else None
        table.append({"path": name, "records_per_s": round(rate), "median_s": statistics.median(runs),
                      "runs_s": runs, "warden_speedup": ratio})
        print(f"| {name} | {rate:,.0f} | {statistics.median(runs):.3f} | "
              f"{f'{ratio:.1f}x' if ratio else '-'} |")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "input": str(args.input), "records": n, "rejected_lines_left_out": errors, "runs": args.runs,
            "versions": versions, "python": sys.version.split()[0], "cpus": len(ALL_CPUS),
            "results": table}, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
