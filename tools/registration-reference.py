#!/usr/bin/env python3
"""Independent reference implementation of the merchant business-registration check.

This is a plain-Python (standard library only) re-implementation of the check that
`rules/registration.rules` expresses in Warden. `tools/bench` runs both on the same
`merchants.csv` / `registry.csv` and compares their verdicts row for row, so this script
follows the written specification literally and shares no code with Warden.

    tools/registration-reference.py --merchants M.csv --registry R.csv --out DIR [--as-of 2022-12-31]

Outputs in DIR:
  registration_verdicts.csv  merchant_id,uscc,action,reasons   one row per accepted merchant,
                             sorted by merchant_id (bytewise), reasons joined with `|`
  merchant_rejects.csv       line_no,merchant_id,reason         one row per rejected merchant row
and a one-line JSON summary on stdout (elapsed time goes to stderr).

How it works, in two passes with memory bounded by the number of merchants:
  1. read merchants.csv, reject malformed rows, keep the accepted merchants;
  2. stream registry.csv, look only at rows whose uscc is a wanted (valid, accepted) USCC,
     set aside malformed ones, and keep for each USCC the row with the greatest updated_at
     (on a tie, the later row in the file);
then derive each merchant's reasons and action.
"""

import argparse
import csv
import datetime
import json
import os
import sys
import time
import unicodedata

MERCHANT_HEADER = ["merchant_id", "name", "uscc", "legal_rep", "license_expiry",
                   "contact_phone", "contact_email", "onboarded_at", "status"]
REGISTRY_HEADER = ["uscc", "name", "legal_rep", "reg_status", "abnormal_list", "dishonest",
                   "updated_at"]
M_ID, M_NAME, M_USCC, M_REP, M_EXPIRY, M_PHONE, M_EMAIL, M_ONBOARDED, M_STATUS = range(9)
R_USCC, R_NAME, R_REP, R_STATUS, R_ABNORMAL, R_DISHONEST, R_UPDATED = range(7)

MERCHANT_STATUSES = {"active", "suspended", "closed"}
FLAGS = {"0", "1"}

REJECT_REASONS = ["BAD_COLUMN_COUNT", "BAD_FIELD", "BAD_DATE", "DUPLICATE_MERCHANT_ID"]
REASONS = ["USCC_INVALID", "NOT_IN_REGISTRY", "MOVED_OUT", "BUSINESS_SUSPENDED",
           "IN_LIQUIDATION", "REVOKED", "DEREGISTERED", "REG_CANCELLED", "UNKNOWN_REG_STATUS",
           "ABNORMAL_LIST", "DISHONEST", "NAME_MISMATCH", "LEGAL_REP_MISMATCH",
           "LICENSE_EXPIRED"]
ACTIONS = ["ok", "notify", "deregister"]
DEREGISTER_REASONS = {"DEREGISTERED", "REVOKED", "REG_CANCELLED"}

# --- Normalisation -------------------------------------------------------------------------

# Unicode White_Space (explicit: str.isspace() would also take U+001C–U+001F).
WHITESPACE = ([chr(c) for c in range(0x09, 0x0E)] + ["\u0020", "\u0085", "\u00A0", "\u1680"]
              + [chr(c) for c in range(0x2000, 0x200B)]
              + ["\u2028", "\u2029", "\u202F", "\u205F", "\u3000"])
DELETE_WHITESPACE = {ord(c): None for c in WHITESPACE}


def normalise(s):
    """N(s): NFKC, then every White_Space character deleted. No case folding."""
    return unicodedata.normalize("NFKC", s).translate(DELETE_WHITESPACE)


# Registry status → reason (None = active). Keys are compared after N, so the table is built
# with N applied to them (NFKC turns the full-width comma of 吊销，未注销 into an ASCII one).
STATUS_REASON = {normalise(k): v for k, v in [
    ("存续", None), ("在业", None), ("在营", None), ("开业", None), ("迁入", None),
    ("迁出", "MOVED_OUT"),
    ("停业", "BUSINESS_SUSPENDED"), ("歇业", "BUSINESS_SUSPENDED"),
    ("清算", "IN_LIQUIDATION"),
    ("吊销", "REVOKED"), ("吊销，未注销", "REVOKED"),
    ("注销", "DEREGISTERED"), ("吊销，已注销", "DEREGISTERED"),
    ("撤销", "REG_CANCELLED"),
]}
NO_EXPIRY = normalise("长期")

# --- Field checks --------------------------------------------------------------------------


def ascii_digits(s):
    return s.isascii() and s.isdigit()


def is_date(s):
    """Exactly `YYYY-MM-DD` (ASCII digits) naming a real date, year 0001–9999."""
    if len(s) != 10 or s[4] != "-" or s[7] != "-":
        return False
    y, m, d = s[0:4], s[5:7], s[8:10]
    if not (ascii_digits(y) and ascii_digits(m) and ascii_digits(d)):
        return False
    try:
        datetime.date(int(y), int(m), int(d))
    except ValueError:
        return False
    return True


def is_timestamp(s):
    """Exactly `YYYY-MM-DD HH:MM:SS` with a real date and a time 00–23:00–59:00–59."""
    if len(s) != 19 or s[10] != " " or s[13] != ":" or s[16] != ":":
        return False
    if not is_date(s[:10]):
        return False
    hh, mm, ss = s[11:13], s[14:16], s[17:19]
    if not (ascii_digits(hh) and ascii_digits(mm) and ascii_digits(ss)):
        return False
    return int(hh) <= 23 and int(mm) <= 59 and int(ss) <= 59


USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_VALUE = {c: i for i, c in enumerate(USCC_ALPHABET)}
USCC_WEIGHTS = [pow(3, i, 31) for i in range(17)]   # 3^(i−1) mod 31 for i = 1…17


def is_valid_uscc(s):
    """GB 32100-2015 on the field exactly as written (no trimming, no case change)."""
    if len(s) != 18 or not ascii_digits(s[2:8]):
        return False
    if any(c not in USCC_VALUE for c in s[0:2] + s[8:18]):
        return False
    total = sum(USCC_VALUE[c] * w for c, w in zip(s, USCC_WEIGHTS))
    return s[17] == USCC_ALPHABET[(31 - total % 31) % 31]


# --- Merchants -----------------------------------------------------------------------------


def reject_reason(row, accepted):
    """The first failing reject reason for a merchant row, or None if it is accepted."""
    if len(row) != len(MERCHANT_HEADER):
        return "BAD_COLUMN_COUNT"
    if row[M_ID] == "":
        return "BAD_FIELD"
    if row[M_STATUS] not in MERCHANT_STATUSES:
        return "BAD_FIELD"
    if not is_timestamp(row[M_ONBOARDED]):
        return "BAD_DATE"
    expiry = row[M_EXPIRY]
    if normalise(expiry) != NO_EXPIRY and not is_date(expiry):
        return "BAD_DATE"
    if row[M_ID] in accepted:
        return "DUPLICATE_MERCHANT_ID"
    return None


def csv_rows(path, header, what):
    """Yields (physical line number of the row's first line, fields) after checking the header.

    A blank line comes back as one empty field (it then fails any column-count check).
    """
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        first = next(reader, None)
        if first != header:
            sys.exit(f"{path}: the {what} header must be exactly {','.join(header)}; got {first}")
        line_no = reader.line_num + 1
        for row in reader:
            yield line_no, row or [""]
            line_no = reader.line_num + 1


def read_merchants(path):
    """Returns (accepted: merchant_id → row, rejects: [(line_no, merchant_id, reason)], rows read)."""
    accepted, rejects, read = {}, [], 0
    for line_no, row in csv_rows(path, MERCHANT_HEADER, "merchants"):
        read += 1
        reason = reject_reason(row, accepted)
        if reason is None:
            accepted[row[M_ID]] = row
        else:
            rejects.append((line_no, row[0], reason))
    return accepted, rejects, read


# --- Registry ------------------------------------------------------------------------------


def registry_row_is_good(row):
    return (len(row) == len(REGISTRY_HEADER)
            and row[R_ABNORMAL] in FLAGS and row[R_DISHONEST] in FLAGS
            and is_timestamp(row[R_UPDATED]))


def latest_registry_records(path, wanted):
    """Streams the registry; returns (uscc → latest good row, counts).

    Only rows whose first field is a wanted USCC are examined further, so malformed rows
    about other companies are read but not counted as set aside. Timestamps are validated
    fixed-width ASCII, so comparing them as strings is comparing them in time; `>=` lets a
    later row win a tie.
    """
    latest, read, used, set_aside = {}, 0, 0, 0
    for _, row in csv_rows(path, REGISTRY_HEADER, "registry"):
        read += 1
        if row[0] not in wanted:
            continue
        if not registry_row_is_good(row):
            set_aside += 1
            continue
        used += 1
        uscc = row[R_USCC]
        best = latest.get(uscc)
        if best is None or row[R_UPDATED] >= best[R_UPDATED]:
            latest[uscc] = row
    return latest, {"registry_rows_read": read, "registry_rows_used": used,
                    "registry_rows_set_aside": set_aside}


# --- Verdicts ------------------------------------------------------------------------------


def reasons_for(merchant, record, uscc_valid, as_of):
    """The merchant's reasons, in the specification's order."""
    reasons = []
    if not uscc_valid:
        reasons.append("USCC_INVALID")
    elif record is None:
        reasons.append("NOT_IN_REGISTRY")
    else:
        status = normalise(record[R_STATUS])
        status_reason = STATUS_REASON.get(status, "UNKNOWN_REG_STATUS")
        if status_reason is not None:
            reasons.append(status_reason)
        if record[R_ABNORMAL] == "1":
            reasons.append("ABNORMAL_LIST")
        if record[R_DISHONEST] == "1":
            reasons.append("DISHONEST")
        if normalise(merchant[M_NAME]) != normalise(record[R_NAME]):
            reasons.append("NAME_MISMATCH")
        if normalise(merchant[M_REP]) != normalise(record[R_REP]):
            reasons.append("LEGAL_REP_MISMATCH")
    expiry = merchant[M_EXPIRY]
    # An accepted expiry is 长期 (after N) or a valid YYYY-MM-DD; same-width ISO dates
    # compare as strings in time order.
    if normalise(expiry) != NO_EXPIRY and expiry < as_of:
        reasons.append("LICENSE_EXPIRED")
    return reasons


def action_for(reasons):
    if any(r in DEREGISTER_REASONS for r in reasons):
        return "deregister"
    return "notify" if reasons else "ok"


# --- Output --------------------------------------------------------------------------------


def csv_field(s):
    """Quotes a field only when it holds a comma, a double quote, CR or LF."""
    if any(c in s for c in ',"\r\n'):
        return '"' + s.replace('"', '""') + '"'
    return s


def write_csv(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(",".join(header) + "\n")
        for row in rows:
            f.write(",".join(csv_field(str(v)) for v in row) + "\n")


def parse_as_of(s):
    if not is_date(s):
        raise argparse.ArgumentTypeError(f"--as-of must be a real date YYYY-MM-DD, got {s!r}")
    return s


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--merchants", required=True, help="merchants.csv")
    parser.add_argument("--registry", required=True, help="registry.csv")
    parser.add_argument("--out", required=True, help="output directory (created if missing)")
    parser.add_argument("--as-of", default="2022-12-31", type=parse_as_of,
                        help="licences expiring strictly before this date are expired")
    args = parser.parse_args()
    started = time.monotonic()

    merchants, rejects, merchants_read = read_merchants(args.merchants)
    valid_uscc = {m[M_USCC]: is_valid_uscc(m[M_USCC]) for m in merchants.values()}
    wanted = {u for u, ok in valid_uscc.items() if ok}
    latest, registry_counts = latest_registry_records(args.registry, wanted)

    verdicts = []
    action_counts = dict.fromkeys(ACTIONS, 0)
    reason_counts = dict.fromkeys(REASONS, 0)
    for merchant_id in sorted(merchants):   # code-point order = UTF-8 byte order
        m = merchants[merchant_id]
        reasons = reasons_for(m, latest.get(m[M_USCC]), valid_uscc[m[M_USCC]], args.as_of)
        action = action_for(reasons)
        action_counts[action] += 1
        for r in reasons:
            reason_counts[r] += 1
        verdicts.append((merchant_id, m[M_USCC], action, "|".join(reasons)))

    os.makedirs(args.out, exist_ok=True)
    write_csv(os.path.join(args.out, "registration_verdicts.csv"),
              ["merchant_id", "uscc", "action", "reasons"], verdicts)
    write_csv(os.path.join(args.out, "merchant_rejects.csv"),
              ["line_no", "merchant_id", "reason"], rejects)

    rejected = dict.fromkeys(REJECT_REASONS, 0)
    for _, _, reason in rejects:
        rejected[reason] += 1
    summary = {"as_of": args.as_of, "merchants_read": merchants_read,
               "accepted": len(merchants), "rejected": rejected,
               "actions": action_counts, "reasons": reason_counts, **registry_counts}
    print(json.dumps(summary, ensure_ascii=False))
    print(f"elapsed {time.monotonic() - started:.2f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
