#!/usr/bin/env python3
"""Generate datasets/sample/transactions.jsonl: sample input for rules/payments.rules.

Deterministic (fixed seed, Python 3 standard library only): running it twice gives the same
bytes. The records look like one week of a Chinese payment platform's traffic: mostly small
wallet payments during the day with a long tail of larger transfers, Chinese memos, and a
few percent of records shaped after a risk pattern the pack looks for (night transfers,
block-listed accounts, gambling memos, structuring, card testing, ...). A handful of lines
are deliberately defective (a missing required field, a non-numeric amount, malformed JSON,
an unknown enum member, an impossible timestamp) so `warden eval` shows per-line errors.

    python3 tools/sample-transactions.py                      # writes the committed sample
    python3 tools/sample-transactions.py --count 100000 --out datasets/generated/txn.jsonl

Money is written as JSON strings ("123.45"), timestamps as "YYYY-MM-DD HH:MM:SS" in
Asia/Shanghai (the pack's zone).
"""

import argparse
import collections
import datetime as dt
import json
import os
import random
import sys
from decimal import ROUND_HALF_EVEN, Decimal

SEED = 20240301
START = dt.datetime(2024, 3, 1, 0, 0, 0)  # Beijing time
DAYS = 7
CENT = Decimal("0.01")

# Booking rates to CNY (fixed: the sample is a snapshot).
FX = {"cny": Decimal("1"), "usd": Decimal("7.1980"), "hkd": Decimal("0.9203"),
      "eur": Decimal("7.8120"), "jpy": Decimal("0.0481")}

# Everyday merchant categories, weighted.
EVERYDAY_MCC = [("5812", 18), ("5814", 14), ("5411", 16), ("5499", 8), ("4121", 10), ("5311", 6),
                ("4900", 5), ("5541", 4), ("5732", 3), ("7011", 3), ("5999", 6), ("4814", 4),
                ("5912", 3), ("8220", 2), ("7832", 2)]
HIGH_RISK_MCC = ["7995", "7801", "5967", "5816", "6051", "4829", "6540", "5993"]

BENIGN_MEMOS = ["午饭", "晚饭", "奶茶", "咖啡", "外卖", "打车", "地铁充值", "超市购物", "买菜",
                "房租", "三月房租", "水电费", "燃气费", "物业费", "话费充值", "宽带续费",
                "还你的钱", "AA聚餐", "生日红包", "新年快乐", "给妈妈的生活费", "学费", "培训班报名",
                "电影票", "健身卡", "停车费", "快递费", "衣服", "网购退款差价", "装修定金",
                "车位租金", "孩子的书本费", "医药费", "体检", "机票", "酒店押金", "货款", "工资",
                "报销", "团购", "lunch", "taxi", "rent March", "thanks!", "谢谢老板", "🧧"]
GAMBLING_MEMOS = ["百家乐充值", "澳门博彩", "下注 第8期", "彩票代购", "casino deposit", "六合彩",
                  "时时彩 追号", "BET365 top up", "赌资 还款"]
FRAUD_MEMOS = ["刷单返利 第3单", "兼职押金", "收USDT 7.25", "代收代付 货款", "跑分 保证金",
               "垫付 任务单", "返利提现手续费", "泰达币 OTC"]

BLOCKED_ACCOUNTS = ["A900001", "A900002", "A900017", "A910055", "A920301", "A920388"]
BLOCKED_DEVICES = ["D-EMU-000001", "D-EMU-000003", "D-GC-7F3A91", "D-ATO-55AA01"]
FOREIGN = ["US", "HK", "GB", "SG", "JP", "MY", "TH", "AU", "DE", "KR"]
CURRENCY_OF = {"US": "usd", "HK": "hkd", "GB": "usd", "SG": "usd", "JP": "jpy", "MY": "usd",
               "TH": "usd", "AU": "usd", "DE": "eur", "KR": "usd"}


def money(d):
    return str(Decimal(d).quantize(CENT, rounding=ROUND_HALF_EVEN))


def ts(t):
    return t.strftime("%Y-%m-%d %H:%M:%S")


def luhn_complete(prefix, rng, length):
    body = prefix + "".join(str(rng.randrange(10)) for _ in range(length - len(prefix) - 1))
    for check in "0123456789":
        if luhn_ok(body + check):
            return body + check
    raise AssertionError


def luhn_ok(s):
    total = 0
    for i, c in enumerate(reversed(s)):
        d = int(c)
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def weighted(rng, pairs):
    return rng.choices([p for p, _ in pairs], weights=[w for _, w in pairs])[0]


class Population:
    """Accounts with stable attributes, so the same account looks the same across records."""

    def __init__(self, rng, n=600):
        self.accounts = []
        for i in range(n):
            new = rng.random() < 0.04
            if new:
                opened = START - dt.timedelta(days=rng.randrange(0, 12), seconds=rng.randrange(86400))
            else:
                opened = START - dt.timedelta(days=rng.randrange(60, 2900), seconds=rng.randrange(86400))
            kyc = weighted(rng, [(3, 62), (2, 28), (1, 8), (0, 2)])
            r = rng.random()
            if r < 0.05:
                phone = None
            elif r < 0.065:
                phone = rng.choice(["170", "171", "165", "167", "162"]) + "%08d" % rng.randrange(10**8)
            else:
                phone = rng.choice(["138", "139", "136", "150", "152", "158", "186", "187", "188", "135",
                                    "177", "199", "133", "181"]) + "%08d" % rng.randrange(10**8)
            devices = []
            for _ in range(rng.choice([1, 1, 1, 2, 2, 3])):
                seen = max(opened, START - dt.timedelta(days=rng.randrange(2, 900), seconds=rng.randrange(86400)))
                devices.append(("D-%06d" % rng.randrange(10**6), seen))
            self.accounts.append({"id": "A%06d" % (100000 + i), "opened": opened, "kyc": kyc,
                                  "phone": phone, "devices": devices,
                                  "card": luhn_complete("62" + rng.choice(["2202", "2848", "1700", "2588"]),
                                                        rng, 19),
                                  "payees": ["A%06d" % (100000 + rng.randrange(n)) for _ in range(rng.randrange(1, 5))]})
        self.merchants = ["M%06d" % rng.randrange(10**6) for _ in range(180)]


def everyday_time(rng):
    day = rng.randrange(DAYS)
    # Hour weights: quiet at night, peaks at lunch and evening.
    hour = weighted(rng, [(0, 2), (1, 1), (2, 1), (3, 1), (4, 1), (5, 1), (6, 2), (7, 5), (8, 7), (9, 7),
                          (10, 7), (11, 9), (12, 11), (13, 9), (14, 7), (15, 7), (16, 7), (17, 8),
                          (18, 10), (19, 11), (20, 11), (21, 10), (22, 7), (23, 4)])
    return START + dt.timedelta(days=day, hours=hour, seconds=rng.randrange(3600))


def everyday_amount(rng, kyc):
    # Log-normal: median about 60 CNY, long tail into the tens of thousands.
    a = Decimal(str(round(rng.lognormvariate(4.1, 1.45), 2)))
    if rng.random() < 0.35:
        a = a.quantize(Decimal("1"))  # whole yuan
    a = max(a, Decimal("0.50"))
    cap = {0: Decimal("200"), 1: Decimal("1000"), 2: Decimal("48000"), 3: Decimal("48000")}[kyc]
    return min(a, cap)


def base_record(rng, pop, n):
    acct = rng.choice(pop.accounts)
    t = everyday_time(rng)
    # Keep ordinary records ordinary: not on structuring lines, not at night with big sums.
    amount = everyday_amount(rng, acct["kyc"])
    if t.hour < 6:
        amount = min(amount, Decimal("3000"))
    channel = weighted(rng, [("alipay", 42), ("wechat", 36), ("unionpay", 8), ("bank_transfer", 9), ("card", 5)])
    device_id, first_seen = rng.choice(acct["devices"])
    rec = collections.OrderedDict()
    rec["txn_id"] = "T%08d" % (20240000 + n)
    rec["account_id"] = acct["id"]
    rec["card_no"] = None
    rec["card_country"] = None
    rec["device_id"] = device_id
    rec["amount"] = money(amount)
    rec["currency"] = "cny"
    rec["amount_cny"] = money(amount)
    rec["channel"] = channel
    rec["mcc"] = weighted(rng, EVERYDAY_MCC)
    rec["merchant_id"] = rng.choice(pop.merchants)
    rec["created_at"] = ts(t)
    rec["ip_country"] = "CN"
    rec["ip_risk"] = "clean"
    rec["account_opened_at"] = ts(acct["opened"])
    rec["device_first_seen_at"] = ts(first_seen)
    rec["kyc_level"] = acct["kyc"]
    rec["memo"] = rng.choice(BENIGN_MEMOS) if rng.random() < 0.55 else None
    rec["payee_account"] = None
    rec["payee_txn_count"] = 0
    rec["phone"] = acct["phone"]
    rec["failed_logins_24h"] = weighted(rng, [(0, 90), (1, 7), (2, 3)])
    rec["txn_count_1h"] = weighted(rng, [(0, 55), (1, 25), (2, 12), (3, 5), (5, 2), (8, 1)])
    rec["amount_cny_24h"] = money(Decimal(str(round(rng.lognormvariate(5, 1.2), 2))))
    rec["is_cross_border"] = False
    if channel in ("card", "unionpay"):
        rec["card_no"] = acct["card"]
        rec["card_country"] = "CN"
    if channel == "bank_transfer" or (channel in ("alipay", "wechat") and rng.random() < 0.25):
        payee = rng.choice(acct["payees"])
        if payee == acct["id"]:
            payee = "A%06d" % (int(payee[1:]) + 1)
        rec["payee_account"] = payee
        rec["payee_txn_count"] = weighted(rng, [(0, 15), (1, 20), (2, 15), (5, 25), (12, 25)])
        if rec["payee_txn_count"] == 0 and t.hour < 6:
            rec["payee_txn_count"] = 2
        rec["mcc"] = "6012"  # person-to-person transfer on the platform, not a wire business (4829)
    # Cross-border purchases by verified accounts: foreign merchant, foreign currency.
    if acct["kyc"] >= 2 and channel in ("alipay", "wechat", "card") and rng.random() < 0.03:
        country = rng.choice(FOREIGN)
        cur = CURRENCY_OF[country]
        local = (amount / FX[cur]).quantize(CENT) if cur != "jpy" else (amount / FX[cur]).quantize(Decimal("1"))
        rec["amount"] = money(max(local, Decimal("1")))
        rec["currency"] = cur
        rec["amount_cny"] = money(Decimal(rec["amount"]) * FX[cur])
        rec["is_cross_border"] = True
        if rng.random() < 0.5:
            rec["ip_country"] = country  # paying while travelling
            if rec["card_country"] is not None:
                rec["card_country"] = country if rng.random() < 0.5 else "CN"
                if rec["card_country"] == "CN":
                    rec["ip_country"] = "CN"
    return acct, rec


def night(rng):
    day = rng.randrange(DAYS)
    return START + dt.timedelta(days=day, hours=rng.randrange(0, 6), seconds=rng.randrange(3600))


def set_amount(rec, a):
    rec["amount"] = money(a)
    rec["currency"] = "cny"
    rec["amount_cny"] = money(a)
    rec["is_cross_border"] = False
    rec["ip_country"] = "CN"


def scenario(rng, name, acct, rec, pop):
    """Reshape a record after one risk pattern."""
    big = lambda lo, hi: Decimal(rng.randrange(lo, hi)) + Decimal(rng.randrange(100)) / 100
    if name == "night_large":
        rec["created_at"] = ts(night(rng))
        set_amount(rec, big(50000, 180000))
    elif name == "new_device_large":
        rec["device_id"] = "D-%06d" % rng.randrange(10**6)
        rec["device_first_seen_at"] = None if rng.random() < 0.5 else ts(
            dt.datetime.strptime(rec["created_at"], "%Y-%m-%d %H:%M:%S") - dt.timedelta(minutes=rng.randrange(3, 600)))
        set_amount(rec, big(10000, 45000))
    elif name == "ip_card_mismatch":
        rec["channel"] = "card"
        rec["card_no"] = luhn_complete("4" + "%05d" % rng.randrange(10**5), rng, 16)
        rec["card_country"] = rng.choice(["US", "GB", "DE", "AU"])
        rec["ip_country"] = "CN"
    elif name == "high_risk_mcc":
        rec["mcc"] = rng.choice(HIGH_RISK_MCC)
    elif name == "blocked_account":
        rec["account_id"] = rng.choice(BLOCKED_ACCOUNTS)
    elif name == "blocked_device":
        rec["device_id"] = rng.choice(BLOCKED_DEVICES)
    elif name == "blocked_payee":
        rec["channel"] = "bank_transfer"
        rec["card_no"] = rec["card_country"] = None
        rec["payee_account"] = rng.choice(BLOCKED_ACCOUNTS)
        rec["payee_txn_count"] = rng.choice([0, 1, 3])
    elif name == "gambling_memo":
        rec["memo"] = rng.choice(GAMBLING_MEMOS)
    elif name == "fraud_memo":
        rec["memo"] = rng.choice(FRAUD_MEMOS)
    elif name == "kyc_breach":
        rec["kyc_level"] = rng.choice([0, 1])
        set_amount(rec, big(1001, 8000))
    elif name == "new_account_large":
        opened = dt.datetime.strptime(rec["created_at"], "%Y-%m-%d %H:%M:%S") - dt.timedelta(
            days=rng.randrange(0, 6), hours=rng.randrange(0, 20))
        rec["account_opened_at"] = ts(opened)
        rec["device_first_seen_at"] = ts(opened)
        set_amount(rec, big(20000, 46000))
        rec["kyc_level"] = 3
    elif name == "structuring_cny":
        set_amount(rec, big(49000, 50000))
        rec["kyc_level"] = 3
    elif name == "structuring_usd":
        rec["currency"] = "usd"
        rec["amount"] = money(big(9500, 10000))
        rec["amount_cny"] = money(Decimal(rec["amount"]) * FX["usd"])
        rec["is_cross_border"] = True
        rec["kyc_level"] = 3
        rec["channel"] = "bank_transfer"
    elif name == "cross_border_low_kyc":
        rec["is_cross_border"] = True
        rec["kyc_level"] = 1
        rec["currency"] = "hkd"
        rec["amount"] = money(Decimal(rng.randrange(50, 900)))
        rec["amount_cny"] = money(Decimal(rec["amount"]) * FX["hkd"])
    elif name == "failed_logins":
        rec["failed_logins_24h"] = rng.randrange(5, 30)
    elif name == "ato":
        rec["failed_logins_24h"] = rng.randrange(3, 9)
        rec["device_id"] = "D-%06d" % rng.randrange(10**6)
        rec["device_first_seen_at"] = None
        set_amount(rec, big(2000, 9000))
    elif name == "luhn_fail":
        rec["channel"] = "card"
        good = luhn_complete("62" + "2202", rng, 19)
        rec["card_no"] = good[:-1] + str((int(good[-1]) + rng.randrange(1, 10)) % 10)
        rec["card_country"] = "CN"
    elif name == "self_transfer_card":
        rec["channel"] = rng.choice(["card", "unionpay"])
        rec["card_no"] = acct["card"]
        rec["card_country"] = "CN"
        rec["payee_account"] = rec["account_id"]
        rec["payee_txn_count"] = rng.randrange(1, 20)
        set_amount(rec, big(3000, 30000))
        rec["created_at"] = ts(START + dt.timedelta(days=rng.randrange(DAYS), hours=rng.randrange(8, 22),
                                                    seconds=rng.randrange(3600)))
    elif name == "odd_cents":
        set_amount(rec, Decimal(rng.randrange(1, 51) * 100) + Decimal(rng.randrange(1, 10)) / 100)
        rec["kyc_level"] = 3
    elif name == "night_new_payee":
        rec["channel"] = "bank_transfer"
        rec["card_no"] = rec["card_country"] = None
        rec["created_at"] = ts(night(rng))
        rec["payee_account"] = "A%06d" % rng.randrange(300000, 400000)
        rec["payee_txn_count"] = 0
        rec["mcc"] = "6012"
        set_amount(rec, big(5000, 45000))
        rec["kyc_level"] = 3
    elif name == "virtual_phone":
        rec["phone"] = "+86" + rng.choice(["170", "171", "165"]) + "%08d" % rng.randrange(10**8)
    elif name == "anonymising_ip":
        rec["ip_risk"] = rng.choice(["proxy", "tor", "hosting"])
    elif name == "velocity":
        rec["txn_count_1h"] = rng.randrange(20, 60)
    elif name == "card_testing":
        rec["channel"] = "card"
        rec["card_no"] = luhn_complete("4" + "%05d" % rng.randrange(10**5), rng, 16)
        rec["card_country"] = "CN"
        set_amount(rec, Decimal(rng.randrange(1, 200)) / 100)
        rec["txn_count_1h"] = rng.randrange(5, 40)
        rec["mcc"] = "5816"
    elif name == "foreign_ip_wallet":
        rec["channel"] = rng.choice(["alipay", "wechat"])
        rec["card_no"] = rec["card_country"] = None
        rec["ip_country"] = rng.choice(["MY", "KH", "MM", "PH", "TH"])
        rec["is_cross_border"] = False
        rec["currency"] = "cny"
        rec["amount_cny"] = rec["amount"]
    elif name == "kyc_unknown":
        rec["kyc_level"] = rng.choice([4, 9, -1])  # an upstream mapping bug
    elif name == "large_value":
        set_amount(rec, big(500000, 900000))
        rec["kyc_level"] = 3
        rec["channel"] = "bank_transfer"
        rec["created_at"] = ts(START + dt.timedelta(days=rng.randrange(DAYS), hours=rng.randrange(9, 17)))
    elif name == "shadow_turnover":
        opened = dt.datetime.strptime(rec["created_at"], "%Y-%m-%d %H:%M:%S") - dt.timedelta(days=rng.randrange(8, 29))
        rec["account_opened_at"] = ts(opened)
        rec["device_first_seen_at"] = ts(opened + dt.timedelta(hours=1))
        rec["amount_cny_24h"] = money(big(96000, 150000))
        set_amount(rec, big(4000, 19000))
        rec["kyc_level"] = 3
    else:
        raise ValueError(name)


SCENARIOS = ["night_large", "new_device_large", "ip_card_mismatch", "high_risk_mcc", "blocked_account",
             "blocked_device", "blocked_payee", "gambling_memo", "fraud_memo", "kyc_breach",
             "new_account_large", "structuring_cny", "structuring_usd", "cross_border_low_kyc",
             "failed_logins", "ato", "luhn_fail", "self_transfer_card", "odd_cents", "night_new_payee",
             "virtual_phone", "anonymising_ip", "velocity", "card_testing", "foreign_ip_wallet",
             "large_value", "shadow_turnover", "kyc_unknown"]


def defect(rng, kind, rec):
    """A line as a broken upstream system would write it."""
    if kind == "missing_field":
        del rec["device_id"]
    elif kind == "non_numeric_amount":
        rec["amount"] = "12O.00"  # letter O typed for zero
    elif kind == "unknown_channel":
        rec["channel"] = "paypal"
    elif kind == "bad_timestamp":
        rec["created_at"] = "2024-02-30 25:10:00"
    elif kind == "null_required":
        rec["account_id"] = None
    line = json.dumps(rec, ensure_ascii=False, separators=(", ", ": "))
    if kind == "malformed_json":
        line = line[: len(line) // 2]  # the writer died mid-line
    elif kind == "trailing_garbage":
        line = line + ' {"txn_id"'
    return line


DEFECTS = ["missing_field", "non_numeric_amount", "malformed_json", "unknown_channel", "bad_timestamp",
           "null_required", "trailing_garbage"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--risky", type=float, default=0.075, help="share of records shaped after a risk pattern")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir,
                                                  "datasets", "sample", "transactions.jsonl"))
    args = ap.parse_args()

    rng = random.Random(args.seed)
    pop = Population(rng)
    # Defective lines at fixed, spread-out positions (scaled with the count).
    defect_at = {}
    for i, kind in enumerate(DEFECTS):
        defect_at[(i + 1) * args.count // (len(DEFECTS) + 1) + 3] = kind

    # Patterns are dealt in a shuffled round so that every one appears in the sample.
    deck = list(SCENARIOS)
    rng.shuffle(deck)
    dealt = 0
    shaped = collections.Counter()
    out_path = os.path.normpath(args.out)
    os.makedirs(os.path.dirname(out_path), exist_ok=True)
    with open(out_path, "w", encoding="utf-8", newline="\n") as f:
        for n in range(1, args.count + 1):
            acct, rec = base_record(rng, pop, n)
            if rng.random() < args.risky:
                name = deck[dealt % len(deck)]
                dealt += 1
                scenario(rng, name, acct, rec, pop)
                shaped[name] += 1
            if n in defect_at:
                f.write(defect(rng, defect_at[n], rec) + "\n")
                shaped["defect:" + defect_at[n]] += 1
            else:
                f.write(json.dumps(rec, ensure_ascii=False, separators=(", ", ": ")) + "\n")
    total_shaped = sum(v for k, v in shaped.items() if not k.startswith("defect:"))
    print("wrote %d lines to %s (%d shaped after a risk pattern, %d defective)"
          % (args.count, out_path, total_shaped, sum(v for k, v in shaped.items() if k.startswith("defect:"))),
          file=sys.stderr)
    for k in sorted(shaped):
        print("  %-24s %d" % (k, shaped[k]), file=sys.stderr)


if __name__ == "__main__":
    main()
