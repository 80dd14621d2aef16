#!/usr/bin/env python3
"""Generate datasets/sample/account_events.jsonl: sample input for rules/accounts.rules.

Deterministic (fixed seed, Python 3 standard library only): running it twice gives the same
bytes. The records look like four days (2024-03-04 to 2024-03-07, Beijing time) of the account
events a Chinese wallet sees for a few hundred accounts: mostly ordinary logins from the
account's own phone in its home city, a few forgotten passwords, new phones, trips to another
province, VPN users, new accounts verifying their identity and binding a first card, and now
and then a card bound, unbound or a phone or password changed. Embedded among them are attack
patterns the pack looks for, so that every rule hits at least once when the file is evaluated
in line order with windows:

    account takeover (stuffed password → new phone → new password → card bound), a slower
    takeover from another province, a device farm logging into eight accounts, an emulator on
    the device block list, card cycling, identity shopping with three people's ID numbers, an
    ID number with a bad check digit, block-listed accounts, and a credential-stuffing burst;
    and two customers whose own phone change followed by a password reset or a card binding
    looks like the takeover chain (the false positives the pack accepts).

Lines are in time order (windows run in line order and tolerate only minutes of disorder).
The enriched fields (account_opened_at, device_first_seen_at, phone_changed_at,
password_changed_at, known_regions) are computed from the generated history itself, in time order, as the account
service would. Two lines are deliberately defective (a missing device id, an unknown kind) so
`warden eval` shows per-line errors.

    python3 tools/sample-account-events.py            # writes the committed sample
    python3 tools/sample-account-events.py --out /tmp/account_events.jsonl --accounts 3000

Timestamps are "YYYY-MM-DD HH:MM:SS" in Asia/Shanghai (the pack's zone). Check the result with

    warden eval --rules rules/accounts.rules --input datasets/sample/account_events.jsonl
"""

import argparse
import collections
import datetime as dt
import json
import os
import random
import sys

SEED = 20240304
START = dt.datetime(2024, 3, 4, 0, 0, 0)  # Beijing time
DAYS = 4

# (province, city, resident-ID area code) — where accounts live and log in from.
CITIES = [("广东", "深圳", "440305"), ("广东", "广州", "440106"), ("广东", "东莞", "441900"),
          ("上海", "上海", "310115"), ("北京", "北京", "110105"), ("浙江", "杭州", "330106"),
          ("浙江", "宁波", "330203"), ("江苏", "南京", "320102"), ("江苏", "苏州", "320505"),
          ("四川", "成都", "510107"), ("湖北", "武汉", "420106"), ("陕西", "西安", "610113"),
          ("福建", "厦门", "350203"), ("山东", "济南", "370102"), ("河南", "郑州", "410105"),
          ("湖南", "长沙", "430104"), ("重庆", "重庆", "500103"), ("天津", "天津", "120101"),
          ("辽宁", "沈阳", "210102"), ("安徽", "合肥", "340104")]
CITY_WEIGHTS = [14, 10, 5, 12, 10, 8, 3, 5, 5, 6, 5, 4, 3, 3, 4, 3, 3, 2, 2, 3]
TRAVEL = [("云南", "昆明"), ("海南", "三亚"), ("四川", "成都"), ("陕西", "西安"), ("北京", "北京"),
          ("上海", "上海"), ("福建", "厦门"), ("广西", "桂林")]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华建国玉兰志强文婷浩然子涵欣怡宇轩梓萱"

BLOCKED_ACCOUNTS = ["A910055", "A920301"]  # from rules/lists/blocked_accounts.txt
EMULATOR = "D-EMU-000002"                   # from rules/lists/blocked_devices.txt

ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK = "10X98765432"

# Hour-of-day weights for people's own activity: quiet at night, peaks morning and evening.
HOURS = [(0, 2), (1, 1), (2, 1), (3, 1), (4, 1), (5, 1), (6, 2), (7, 6), (8, 9), (9, 8), (10, 6),
         (11, 6), (12, 9), (13, 7), (14, 5), (15, 5), (16, 5), (17, 6), (18, 8), (19, 9), (20, 10),
         (21, 10), (22, 8), (23, 4)]


def ts(t):
    return t.strftime("%Y-%m-%d %H:%M:%S")


def weighted(rng, pairs):
    return rng.choices([p for p, _ in pairs], weights=[w for _, w in pairs])[0]


def resident_id(rng, area, valid=True):
    """A GB 11643 resident identity number (check digit right unless `valid` is false)."""
    born = dt.date(1962, 1, 1) + dt.timedelta(days=rng.randrange(15000))
    body = area + born.strftime("%Y%m%d") + "%03d" % rng.randrange(1000)
    check = ID_CHECK[sum(int(c) * w for c, w in zip(body, ID_WEIGHTS)) % 11]
    if not valid:
        check = ID_CHECK[(ID_CHECK.index(check) + 1 + rng.randrange(10)) % 11]
    return body + check


def name(rng):
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2, 2])))


def mobile(rng, virtual=False):
    prefixes = ["170", "171", "165", "167", "162"] if virtual else [
        "138", "139", "136", "135", "150", "152", "158", "186", "187", "188", "177", "199", "133", "181"]
    return rng.choice(prefixes) + "%08d" % rng.randrange(10**8)


class Gen:
    def __init__(self, rng):
        self.rng = rng
        self.events = []  # (time, seq, record without the enriched fields)
        self.seq = 0
        self.devices = set()
        self.shaped = collections.Counter()

    def device(self):
        while True:
            d = "D-%08X" % self.rng.randrange(16**8)
            if d not in self.devices:
                self.devices.add(d)
                return d

    def token(self):
        return "tok_%012x" % self.rng.randrange(16**12)

    def certify(self):
        return "CF%016X" % self.rng.randrange(16**16)

    def add(self, t, kind, acct, device, region, city, risk="clean", **extra):
        self.seq += 1
        rec = {"kind": kind, "account_id": acct, "device_id": device, "occurred_at": t,
               "ip_region": region, "ip_city": city, "ip_risk": risk}
        rec.update(extra)
        self.events.append((t, self.seq, rec))

    def login(self, t, a, device, region=None, city=None, risk="clean", failed=False):
        self.add(t, "login", a["id"], device, region or a["province"], city or a["city"], risk,
                 login_failed=1 if failed else 0)

    def day_time(self, day):
        hour = weighted(self.rng, HOURS)
        return START + dt.timedelta(days=day, hours=hour, seconds=self.rng.randrange(3600))


def make_account(g, acct_id, opened=None, history=True):
    """An account; with `history`, one opened years ago with a phone, cards and past logins.
    Without, a new account: `opened` is set by whoever creates its first events."""
    rng = g.rng
    province, city, area = rng.choices(CITIES, weights=CITY_WEIGHTS)[0]
    if history and opened is None:
        opened = START - dt.timedelta(days=rng.randrange(60, 2900), seconds=rng.randrange(86400))
    a = {"id": acct_id, "province": province, "city": city, "area": area, "opened": opened,
         "device": g.device(), "tablet": None, "cards": [], "known": [], "pre_seen": {},
         "phone_changed": None, "password_changed": None}
    if history:
        a["known"] = [province]
        if rng.random() < 0.25:
            other = rng.choices(CITIES, weights=CITY_WEIGHTS)[0][0]
            if other != province:
                a["known"].append(other)
        def since(days):
            return max(opened, START - dt.timedelta(days=rng.randrange(days), seconds=rng.randrange(86400)))
        a["pre_seen"][a["device"]] = since(900)
        if rng.random() < 0.15:
            second = g.device()
            a["tablet"] = second
            a["pre_seen"][second] = since(600)
        a["cards"] = [g.token() for _ in range(rng.choice([1, 1, 2, 2, 3]))]
        if rng.random() < 0.3:
            a["phone_changed"] = since(2000)
        if rng.random() < 0.6:
            a["password_changed"] = since(900)
    return a


def session(g, a, t, device, region=None, city=None, risk="clean"):
    """A person logging in: sometimes after one or two mistyped passwords on the same phone."""
    rng = g.rng
    if rng.random() < 0.05:
        for _ in range(rng.choice([1, 1, 2])):
            g.login(t, a, device, region, city, risk, failed=True)
            t += dt.timedelta(seconds=rng.randrange(8, 60))
    g.login(t, a, device, region, city, risk)
    return t


def everyday(g, accounts):
    """Ordinary activity of established accounts."""
    rng = g.rng
    # A few families share a tablet between two or three accounts.
    for i in range(0, 36, 3):
        tablet = g.device()
        for a in accounts[i:i + rng.choice([2, 3])]:
            a["tablet"] = tablet
            a["pre_seen"][tablet] = max(a["opened"], START - dt.timedelta(days=rng.randrange(30, 400)))
    travellers = set(a["id"] for a in rng.sample(accounts, 10))
    vpn_users = set(a["id"] for a in rng.sample(accounts, 6))
    new_phone = {a["id"]: rng.randrange(DAYS) for a in rng.sample(accounts, 8)}
    for a in accounts:
        trip = None
        if a["id"] in travellers:
            dest = rng.choice([d for d in TRAVEL if d[0] not in a["known"]])
            trip = (rng.randrange(1, DAYS), dest)
        for day in range(DAYS):
            if a["id"] in new_phone and new_phone[a["id"]] == day:
                a["device"] = g.device()  # bought a new phone: every login from now on is on it
                g.shaped["everyday: new phone"] += 1
            for _ in range(weighted(rng, [(0, 18), (1, 45), (2, 27), (3, 10)])):
                t = g.day_time(day)
                device = a["tablet"] if a["tablet"] and rng.random() < 0.15 else a["device"]
                region, city, risk = a["province"], a["city"], "clean"
                if rng.random() < 0.04:  # another city of the home province
                    city = rng.choice([c for p, c, _ in CITIES if p == region] + [city])
                if trip and day >= trip[0]:
                    region, city = trip[1]
                    device = a["device"]
                if a["id"] in vpn_users and rng.random() < 0.5:
                    risk = "proxy"
                session(g, a, t, device, region, city, risk)
        # Now and then over the four days: account housekeeping from the own phone.
        r = rng.random()
        t = g.day_time(rng.randrange(DAYS))
        if r < 0.06:
            g.add(t, "bind_card", a["id"], a["device"], a["province"], a["city"],
                  card_token=g.token(), card_last4="%04d" % rng.randrange(10000))
            g.shaped["everyday: bind card"] += 1
        elif r < 0.10 and a["cards"]:
            g.add(t, "unbind_card", a["id"], a["device"], a["province"], a["city"],
                  card_token=a["cards"][0], card_last4="%04d" % rng.randrange(10000))
            g.shaped["everyday: unbind card"] += 1
        elif r < 0.14:
            g.add(t, "password_change", a["id"], a["device"], a["province"], a["city"])
            g.shaped["everyday: password change"] += 1
        elif r < 0.16:
            g.add(t, "phone_change", a["id"], a["device"], a["province"], a["city"], new_phone=mobile(rng))
            g.shaped["everyday: phone change"] += 1
        elif r < 0.18:  # re-verification when the ID card was renewed
            g.add(t, "kyc_verify", a["id"], a["device"], a["province"], a["city"], kyc_result="pass",
                  certify_id=g.certify(), real_name=name(rng), id_number=resident_id(rng, a["area"]))
            g.shaped["everyday: re-verification"] += 1


def new_accounts(g, n):
    """Accounts opened during the four days: first login, real-name verification, first cards."""
    rng = g.rng
    out = []
    for i in range(n):
        a = make_account(g, "A4%05d" % (i + 1), history=False)
        t = START + dt.timedelta(days=rng.randrange(DAYS), hours=rng.choice(range(8, 23)),
                                 seconds=rng.randrange(3600))
        a["opened"] = t - dt.timedelta(seconds=rng.randrange(60, 300))  # signed up, then logged in
        g.login(t, a, a["device"])
        t += dt.timedelta(seconds=rng.randrange(60, 600))
        person, number = name(rng), resident_id(rng, a["area"])
        if rng.random() < 0.2:  # bad light or a blink: one retry
            g.add(t, "kyc_verify", a["id"], a["device"], a["province"], a["city"],
                  kyc_result=rng.choice(["liveness_failed", "face_mismatch"]), certify_id=g.certify(),
                  real_name=person, id_number=number)
            t += dt.timedelta(seconds=rng.randrange(30, 300))
            g.shaped["new account: verification retried"] += 1
        g.add(t, "kyc_verify", a["id"], a["device"], a["province"], a["city"], kyc_result="pass",
              certify_id=g.certify(), real_name=person, id_number=number)
        for _ in range(weighted(rng, [(0, 15), (1, 65), (2, 20)])):
            t += dt.timedelta(seconds=rng.randrange(60, 1800))
            g.add(t, "bind_card", a["id"], a["device"], a["province"], a["city"],
                  card_token=g.token(), card_last4="%04d" % rng.randrange(10000))
        # Back the next days.
        for day in range((t - START).days + 1, DAYS):
            if rng.random() < 0.7:
                session(g, a, g.day_time(day), a["device"])
        out.append(a)
    g.shaped["new account"] += n
    return out


def attacks(g, accounts, established):
    """The attack patterns; `established` accounts (with history) are the victims."""
    rng = g.rng
    victims = rng.sample(established[40:], 6)

    # 1. Account takeover, the whole chain, at night through a proxy from another province:
    #    six stuffed passwords, success, new (virtual-operator) phone, new password, card bound.
    a = victims[0]
    dev = g.device()
    region, city = ("海南", "海口") if a["province"] != "海南" else ("广西", "南宁")
    t = dt.datetime(2024, 3, 5, 2, 10, 5)
    for _ in range(6):
        g.login(t, a, dev, region, city, "proxy", failed=True)
        t += dt.timedelta(seconds=rng.randrange(50, 90))
    g.login(t, a, dev, region, city, "proxy")
    t += dt.timedelta(minutes=5, seconds=rng.randrange(60))
    g.add(t, "phone_change", a["id"], dev, region, city, "proxy", new_phone=mobile(rng, virtual=True))
    t += dt.timedelta(minutes=5, seconds=rng.randrange(60))
    g.add(t, "password_change", a["id"], dev, region, city, "proxy")
    t += dt.timedelta(minutes=6, seconds=rng.randrange(60))
    g.add(t, "bind_card", a["id"], dev, region, city, "proxy", card_token=g.token(), card_last4="7781")
    g.shaped["attack: takeover chain"] += 1

    # 2. A slower takeover: three failures, success from a new device in another province, a
    #    card bound ten minutes later.
    a = victims[1]
    dev = g.device()
    region, city = ("江西", "南昌")
    t = dt.datetime(2024, 3, 6, 11, 40, 12)
    for _ in range(3):
        g.login(t, a, dev, region, city, failed=True)
        t += dt.timedelta(seconds=rng.randrange(20, 90))
    g.login(t, a, dev, region, city)
    t += dt.timedelta(minutes=10, seconds=rng.randrange(60))
    g.add(t, "bind_card", a["id"], dev, region, city, card_token=g.token(), card_last4="0426")
    g.shaped["attack: slow takeover"] += 1

    # 3. A device farm (群控): one phone logs into eight bought accounts in an evening and binds
    #    cards on three of them. The accounts also show up on their own phones on other days.
    farm = g.device()
    t = dt.datetime(2024, 3, 6, 20, 3, 41)
    for i in range(8):
        # Aged accounts (养号): opened one to six months ago, bought for the farm.
        fa = make_account(g, "A501%03d" % (i + 1),
                          opened=START - dt.timedelta(days=rng.randrange(30, 180), seconds=rng.randrange(86400)))
        fa["province"], fa["city"] = "广东", "东莞"
        fa["known"] = ["广东"]
        accounts.append(fa)
        session(g, fa, g.day_time(rng.randrange(2)), fa["device"])
        g.login(t, fa, farm, "广东", "东莞")
        if i in (2, 5, 7):
            g.add(t + dt.timedelta(seconds=rng.randrange(40, 120)), "bind_card", fa["id"], farm, "广东", "东莞",
                  card_token=g.token(), card_last4="%04d" % rng.randrange(10000))
        t += dt.timedelta(minutes=rng.randrange(6, 12), seconds=rng.randrange(60))
    g.shaped["attack: device farm"] += 1

    # 4. An emulator from the device block list trying three accounts.
    t = dt.datetime(2024, 3, 5, 23, 12, 9)
    for a in victims[2:5]:
        g.login(t, a, EMULATOR, "广东", "深圳", "hosting", failed=rng.random() < 0.5)
        t += dt.timedelta(seconds=rng.randrange(40, 200))
    g.shaped["attack: blocked emulator"] += 1

    # 5. Card cycling: bind, unbind, bind another, ... on the account's own phone.
    a = victims[5]
    t = dt.datetime(2024, 3, 5, 14, 2, 33)
    for i in range(4):
        tok = g.token()
        g.add(t, "bind_card", a["id"], a["device"], a["province"], a["city"], card_token=tok,
              card_last4="%04d" % rng.randrange(10000))
        t += dt.timedelta(minutes=rng.randrange(3, 9))
        if i < 3:
            g.add(t, "unbind_card", a["id"], a["device"], a["province"], a["city"], card_token=tok,
                  card_last4="%04d" % rng.randrange(10000))
            t += dt.timedelta(minutes=rng.randrange(5, 20))
    g.shaped["attack: card cycling"] += 1

    # 6. Identity shopping (租借实名): a new account tries three people's ID numbers.
    a = make_account(g, "A502001", history=False)
    accounts.append(a)
    t = dt.datetime(2024, 3, 6, 10, 5, 17)
    a["opened"] = t - dt.timedelta(minutes=3)
    g.login(t, a, a["device"])
    for result in ["name_id_mismatch", "face_mismatch", "pass"]:
        t += dt.timedelta(minutes=rng.randrange(2, 8), seconds=rng.randrange(60))
        area = rng.choice(CITIES)[2]
        g.add(t, "kyc_verify", a["id"], a["device"], a["province"], a["city"], kyc_result=result,
              certify_id=g.certify(), real_name=name(rng), id_number=resident_id(rng, area))
    g.shaped["attack: identity shopping"] += 1

    # 7. A scripted client submitting a made-up ID number (bad check digit) straight to the API.
    a = make_account(g, "A502002", history=False)
    accounts.append(a)
    t = dt.datetime(2024, 3, 7, 16, 44, 2)
    a["opened"] = t - dt.timedelta(minutes=2)
    g.login(t, a, a["device"], risk="hosting")
    g.add(t + dt.timedelta(seconds=37), "kyc_verify", a["id"], a["device"], a["province"], a["city"], "hosting",
          kyc_result="name_id_mismatch", certify_id=g.certify(), real_name=name(rng),
          id_number=resident_id(rng, a["area"], valid=False))
    g.shaped["attack: invalid ID number"] += 1

    # 8. Block-listed accounts: a police-frozen account tries to change its phone, a confirmed
    #    mule account logs in.
    for acct_id, day in zip(BLOCKED_ACCOUNTS, [1, 3]):
        a = make_account(g, acct_id)
        accounts.append(a)
        t = g.day_time(day)
        g.login(t, a, a["device"])
        if acct_id == "A910055":
            g.add(t + dt.timedelta(minutes=2), "phone_change", a["id"], a["device"], a["province"], a["city"],
                  new_phone=mobile(rng))
    g.shaped["attack: blocked accounts"] += 1

    # 9. Credential stuffing burst: a script tries 32 passwords on one account in 40 minutes from
    #    a cloud server, a fresh device fingerprint each time (so no device window catches it).
    a = rng.choice(established[:40])
    t = dt.datetime(2024, 3, 7, 3, 1, 15)
    for _ in range(32):
        g.login(t, a, g.device(), "北京", "北京", "hosting", failed=True)
        t += dt.timedelta(seconds=rng.randrange(55, 95))
    g.shaped["attack: stuffing burst"] += 1

    # 10. Not attacks, but what the takeover rules also see: a customer who changed phone
    #     number and then reset the password on it, and one who bound a card the morning after
    #     changing phone number.
    a, b = rng.sample([e for e in established[40:] if e not in victims], 2)
    t = dt.datetime(2024, 3, 4, 19, 20, 44)
    g.add(t, "phone_change", a["id"], a["device"], a["province"], a["city"], new_phone=mobile(rng))
    g.add(t + dt.timedelta(minutes=14), "password_change", a["id"], a["device"], a["province"], a["city"])
    t = dt.datetime(2024, 3, 6, 21, 5, 10)
    g.add(t, "phone_change", b["id"], b["device"], b["province"], b["city"], new_phone=mobile(rng))
    g.add(t + dt.timedelta(hours=11, minutes=23), "bind_card", b["id"], b["device"], b["province"], b["city"],
          card_token=g.token(), card_last4="%04d" % rng.randrange(10000))
    g.shaped["legit: phone change then password / card"] += 1


def enrich(g, accounts):
    """Adds the account-profile fields in time order: the state before each event."""
    profile = {a["id"]: a for a in accounts}
    first_seen = {}
    for a in accounts:
        for dev, seen in a["pre_seen"].items():
            first_seen[(a["id"], dev)] = seen
    known = {a["id"]: list(a["known"]) for a in accounts}
    phone = {a["id"]: a["phone_changed"] for a in accounts}
    password = {a["id"]: a["password_changed"] for a in accounts}
    out = []
    for n, (t, _, rec) in enumerate(sorted(g.events, key=lambda e: (e[0], e[1])), start=1):
        acct = rec["account_id"]
        assert acct in profile, acct
        key = (acct, rec["device_id"])
        seen = first_seen.get(key)
        row = {"event_id": "E%07d" % (2400000 + n), "kind": rec["kind"], "account_id": acct,
               "device_id": rec["device_id"], "occurred_at": ts(t), "ip_region": rec["ip_region"],
               "ip_city": rec["ip_city"], "ip_risk": rec["ip_risk"],
               "account_opened_at": ts(profile[acct]["opened"]),
               "device_first_seen_at": ts(seen) if seen else None,
               "phone_changed_at": ts(phone[acct]) if phone[acct] else None,
               "password_changed_at": ts(password[acct]) if password[acct] else None,
               "known_regions": list(known[acct])}
        for k, v in rec.items():
            if k not in row and k != "occurred_at":
                row[k] = v
        out.append(row)
        # The profile after the event.
        if seen is None:
            first_seen[key] = t
        if rec["kind"] == "login" and rec["login_failed"] == 0 and rec["ip_region"] not in known[acct]:
            known[acct].append(rec["ip_region"])
        if rec["kind"] == "phone_change":
            phone[acct] = t
        if rec["kind"] == "password_change":
            password[acct] = t
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--accounts", type=int, default=300, help="established accounts")
    ap.add_argument("--new-accounts", type=int, default=40, help="accounts opened during the four days")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir,
                                                  "datasets", "sample", "account_events.jsonl"))
    args = ap.parse_args()
    if not 60 <= args.accounts <= 99999 or not 0 <= args.new_accounts <= 99999:
        ap.error("--accounts must be 60-99999 and --new-accounts 0-99999")

    rng = random.Random(args.seed)
    g = Gen(rng)
    # Account ids: A3xxxxx established, A4xxxxx opened during the four days, A5xxxxx attack
    # accounts, and the block-listed A9xxxxx.
    established = [make_account(g, "A3%05d" % (i + 1)) for i in range(args.accounts)]
    everyday(g, established)
    accounts = established + new_accounts(g, args.new_accounts)
    attacks(g, accounts, established)
    rows = enrich(g, accounts)

    lines = [json.dumps(r, ensure_ascii=False, separators=(", ", ": ")) for r in rows]
    # Two defective lines at fixed positions: a missing required field and an unknown kind.
    broken = dict(rows[len(rows) // 3])
    broken["event_id"] = "E2409998"
    del broken["device_id"]
    lines.insert(len(rows) // 3 + 1, json.dumps(broken, ensure_ascii=False, separators=(", ", ": ")))
    broken = dict(rows[2 * len(rows) // 3])
    broken["event_id"] = "E2409999"
    broken["kind"] = "logout"
    lines.insert(2 * len(rows) // 3 + 2, json.dumps(broken, ensure_ascii=False, separators=(", ", ": ")))

    out_path = os.path.normpath(args.out)
    os.makedirs(os.path.dirname(out_path), exist_ok=True)
    with open(out_path, "w", encoding="utf-8", newline="\n") as f:
        for line in lines:
            f.write(line + "\n")
    kinds = collections.Counter(r["kind"] for r in rows)
    print("wrote %d lines to %s (%d accounts; 2 defective)" % (len(lines), out_path,
                                                               len(set(r["account_id"] for r in rows))),
          file=sys.stderr)
    print("  kinds: " + ", ".join("%s %d" % kv for kv in sorted(kinds.items())), file=sys.stderr)
    for k in sorted(g.shaped):
        print("  %-42s %d" % (k, g.shaped[k]), file=sys.stderr)


if __name__ == "__main__":
    main()
