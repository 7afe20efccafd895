#!/usr/bin/python3
"""A hostile IKEv2 peer: sends one kind of bad input at a gateway and reports what came back.

    ikev2_hostile.py CASE --target IP [--source IP]... [--spi-i HEX --spi-r HEX --mid N]
                     [--esp-spi HEX] [--count N] [--psk TEXT] [--replay FILE]

Runs in a network namespace next to the gateway, with plain and raw sockets only. Prints one
line of JSON: the case, how many datagrams were sent, and what the gateway answered — "init"
for an IKE_SA_INIT response, "notify:NAME" for each Notify of an unencrypted answer, "auth:NAME"
for a decrypted IKE_AUTH answer. The calling test compares that with the RFC and with the
gateway's counters.

Cases (RFC 7296 unless said otherwise):
  truncated       IKE_SA_INIT requests cut short (1..27 octets, then inside a payload)
  overlong        header Length larger or smaller than the datagram; 9000-octet datagrams
  bad-lengths     payload lengths pointing past the end or shorter than the payload header
  broken-chain    Next Payload chains naming absent or unknown payloads
  critical        an unknown payload type with the critical bit set (2.5: answer
                  UNSUPPORTED_CRITICAL_PAYLOAD)
  garbage         random datagrams
  unknown-spi     INFORMATIONAL requests for SPIs no SA has (2.21.4: no answer required)
  bad-mid         requests on the live SA with Message IDs outside the window (2.3: drop)
  response        responses on the live SA to requests never sent (2.21: never answered)
  reflected       datagrams with the live SPIs claiming the gateway's own role (its own
                  packets bounced back)
  bad-icv         encrypted requests on the live SA with the expected Message ID and a forged
                  ICV (2.21.1: drop silently)
  fragments       SKF fragments on the live SA (RFC 7383): a flood of 1..N/N with forged ICVs,
                  overlapping and duplicate numbers, totals of 0 and 65535
  replay          a captured request of the live SA sent again (2.1: answered from the cache)
  capture         (not an attack) keeps writing the last IKE request --source sends to the
                  target, as seen on --device, to --replay FILE, for --count seconds
  esp-bad-icv     ESP packets for the live inbound SPI with a forged ICV (RFC 4303 3.4.4)
  init-flood      IKE_SA_INIT requests from every --source address (2.6: COOKIE under load)
  wrong-psk       complete IKE_SA_INIT + IKE_AUTH exchanges with a wrong pre-shared key
                  (2.21.2: AUTHENTICATION_FAILED), --count of them as fast as answered
"""
import argparse
import hashlib
import hmac
import json
import os
import random
import select
import socket
import struct
import sys
import time

from udp_peer import MODP1024, Peer, prf

SA, KE, IDI, AUTH, NONCE, NOTIFY, TSI, TSR, SK, SKF = 33, 34, 35, 39, 40, 41, 44, 45, 46, 53
IKE_SA_INIT, IKE_AUTH, INFORMATIONAL = 34, 35, 37
FLAG_I, FLAG_R = 0x08, 0x20
NOTIFY_NAMES = {1: "UNSUPPORTED_CRITICAL_PAYLOAD", 4: "INVALID_IKE_SPI", 5: "INVALID_MAJOR_VERSION",
                7: "INVALID_SYNTAX", 9: "INVALID_MESSAGE_ID", 14: "NO_PROPOSAL_CHOSEN",
                17: "INVALID_KE_PAYLOAD", 24: "AUTHENTICATION_FAILED", 16390: "COOKIE",
                16388: "NAT_DETECTION_SOURCE_IP", 16389: "NAT_DETECTION_DESTINATION_IP",
                16430: "IKEV2_FRAGMENTATION_SUPPORTED", 16431: "SIGNATURE_HASH_ALGORITHMS"}



def header(spi_i, spi_r, first, exchange, flags, mid, length):
    return struct.pack("!QQBBBBII", spi_i, spi_r, first, 0x20, exchange, flags, mid, length)


def payload(next_type, body, critical=False, length=None):
    n = 4 + len(body) if length is None else length
    return struct.pack("!BBH", next_type, 0x80 if critical else 0, n) + body


def chain(items):
    """[(type, body, critical)] -> (first type, octets) with the Next Payload fields filled."""
    out = b""
    for i, (t, body, crit) in enumerate(items):
        nxt = items[i + 1][0] if i + 1 < len(items) else 0
        out += payload(nxt, body, crit)
    return (items[0][0] if items else 0), out


def message(spi_i, spi_r, exchange, flags, mid, items):
    first, body = chain(items)
    return header(spi_i, spi_r, first, exchange, flags, mid, 28 + len(body)) + body


def transform(last, ttype, tid, attrs=b""):
    body = struct.pack("!BBH", ttype, 0, tid) + attrs
    return struct.pack("!BBH", 0 if last else 3, 0, 8 + len(attrs)) + body


def ike_proposal():
    ts = [transform(False, 1, 12, struct.pack("!HH", 0x800E, 256)),  # ENCR_AES_CBC 256
          transform(False, 2, 2),   # PRF_HMAC_SHA1
          transform(False, 3, 2),   # AUTH_HMAC_SHA1_96
          transform(True, 4, 2)]    # MODP 1024
    body = b"".join(ts)
    return struct.pack("!BBHBBBB", 0, 0, 8 + len(body), 1, 1, 0, len(ts)) + body


def init_items(ke_public, nonce, extra=()):
    return [(SA, ike_proposal(), False), (KE, struct.pack("!HH", 2, 0) + ke_public, False),
            (NONCE, nonce, False)] + list(extra)


def sa_init(spi_i, ke_public=None, nonce=None, extra=(), cookie=None):
    ke_public = ke_public or os.urandom(128)
    nonce = nonce or os.urandom(32)
    items = init_items(ke_public, nonce, extra)
    if cookie is not None:
        items = [(NOTIFY, struct.pack("!BBH", 0, 0, 16390) + cookie, False)] + items
    return message(spi_i, 0, IKE_SA_INIT, FLAG_I, 0, items)


def parse(data):
    """(header fields, [(type, critical, body)]) of a clear message; None if it does not parse."""
    if len(data) < 28:
        return None
    spi_i, spi_r, nxt, _, exch, flags, mid, length = struct.unpack("!QQBBBBII", data[:28])
    out, off = [], 28
    while nxt and off + 4 <= len(data):
        n2, crit, plen = struct.unpack("!BBH", data[off:off + 4])
        if plen < 4 or off + plen > len(data):
            return None
        out.append((nxt, bool(crit & 0x80), data[off + 4:off + plen]))
        if nxt in (SK, SKF):
            break
        nxt, off = n2, off + plen
    return (spi_i, spi_r, exch, flags, mid), out


def describe(data):
    p = parse(data)
    if not p:
        return ["unparsable"]
    (_, _, exch, _, _), payloads = p
    notes = [f"notify:{NOTIFY_NAMES.get(struct.unpack('!H', b[2:4])[0], struct.unpack('!H', b[2:4])[0])}"
             for t, _, b in payloads if t == NOTIFY]
    if exch == IKE_SA_INIT and any(t == KE for t, _, _ in payloads):
        notes.append("init")
    if any(t in (SK, SKF) for t, _, _ in payloads):
        notes.append("encrypted")
    return notes



def result(case, sent, answers, **extra):
    notes = []
    for a in answers:
        notes += describe(a) if isinstance(a, bytes) else [a]
    print(json.dumps(dict(case=case, sent=sent, answers=sorted(set(notes)), count=len(answers), **extra)))


# ---- malformed IKE_SA_INIT requests ----------------------------------------------------------

def malformed(a, case):
    p = Peer(a.source[0], a.target)
    good = sa_init(random.getrandbits(64))
    bad = []
    if case == "truncated":
        bad = [good[:n] for n in (1, 4, 8, 16, 27)] + [good[:n] for n in (28, 31, 40, 100, len(good) - 1)]
        # keep the header's Length honest for the cut ones, so only the payloads are short
        bad += [good[:16] + good[16:24] + struct.pack("!I", n) + good[28:n] for n in (40, 100, len(good) - 1)]
    elif case == "overlong":
        bad = [good[:24] + struct.pack("!I", len(good) + k) + good[28:] for k in (1, 100, 60000)]
        bad += [good[:24] + struct.pack("!I", 28) + good[28:]]
        bad += [good + os.urandom(9000)]
        bad += [good[:24] + struct.pack("!I", 9000 + len(good)) + good[28:] + os.urandom(9000)]
    elif case == "bad-lengths":
        first, body = chain(init_items(os.urandom(128), os.urandom(32)))
        for at, value in ((2, 3), (2, 0), (2, 0xFFFF), (2, 5)):
            b = bytearray(body)
            struct.pack_into("!H", b, at, value)
            bad.append(header(random.getrandbits(64), 0, first, IKE_SA_INIT, FLAG_I, 0, 28 + len(b)) + bytes(b))
        # the proposal's and a transform's lengths past their payload
        b = bytearray(body)
        struct.pack_into("!H", b, 4 + 2, 0x0FFF)
        bad.append(header(random.getrandbits(64), 0, first, IKE_SA_INIT, FLAG_I, 0, 28 + len(b)) + bytes(b))
        b = bytearray(body)
        struct.pack_into("!H", b, 4 + 8 + 2, 0x00FF)
        bad.append(header(random.getrandbits(64), 0, first, IKE_SA_INIT, FLAG_I, 0, 28 + len(b)) + bytes(b))
    elif case == "broken-chain":
        first, body = chain(init_items(os.urandom(128), os.urandom(32)))
        for nxt in (NONCE, SA, 0x7F, 0xFF):
            b = bytearray(body)
            b[0] = nxt  # SA's Next Payload: not what follows
            bad.append(header(random.getrandbits(64), 0, first, IKE_SA_INIT, FLAG_I, 0, 28 + len(b)) + bytes(b))
        # the header names a payload that is not there
        bad.append(header(random.getrandbits(64), 0, NOTIFY, IKE_SA_INIT, FLAG_I, 0, 28 + len(body)) + body)
        bad.append(header(random.getrandbits(64), 0, SK, IKE_SA_INIT, FLAG_I, 0, 28 + len(body)) + body)
        # the last payload points at one more
        b = bytearray(body)
        nonce_at = len(b) - 36
        b[nonce_at] = NOTIFY
        bad.append(header(random.getrandbits(64), 0, first, IKE_SA_INIT, FLAG_I, 0, 28 + len(b)) + bytes(b))
    elif case == "garbage":
        rnd = random.Random(9)
        bad = [bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(0, 1400))) for _ in range(300)]
        # garbage behind a plausible header
        bad += [header(rnd.getrandbits(64), 0, rnd.choice([SA, KE, NONCE, 0, 200]), IKE_SA_INIT, FLAG_I, 0, 28 + n)
                + os.urandom(n) for n in (0, 4, 100, 1000)]
    answers = []
    for d in bad:
        answers += p.ask(d, 0.05)
    answers += p.collect(1.0)
    result(case, p.sent, answers)


def critical(a):
    p = Peer(a.source[0], a.target)
    answers = p.ask(sa_init(random.getrandbits(64), extra=[(200, b"\x00" * 8, True)]), 2.0)
    # the same unknown type without the critical bit is skipped (2.5): a normal answer
    answers2 = p.ask(sa_init(random.getrandbits(64), extra=[(200, b"\x00" * 8, False)]), 2.0)
    result("critical", p.sent, answers, noncritical=sorted(set(n for x in answers2 for n in describe(x))))


# ---- the live SA ---------------------------------------------------------------------------

def live(a):
    return int(a.spi_i, 16), int(a.spi_r, 16)


def sk_junk(spi_i, spi_r, exchange, flags, mid, size=80):
    body = os.urandom(16 + size + 12)  # IV | "ciphertext" | ICV, none of it genuine
    return header(spi_i, spi_r, SK, exchange, flags, mid, 28 + 4 + len(body)) + payload(0, body)


def send_each(a, case, datagrams, gap):
    """Sends the datagrams one by one, `gap` seconds apart, and reports every answer."""
    p = Peer(a.source[0], a.target)
    answers = []
    for d in datagrams:
        answers += p.ask(d, gap)
    answers += p.collect(1.0)
    result(case, p.sent, answers)


def unknown_spi(a):
    send_each(a, "unknown-spi", [sk_junk(random.getrandbits(64), random.getrandbits(64), INFORMATIONAL, FLAG_I,
                                         random.randrange(0, 5)) for _ in range(a.count)], 0.01)


def bad_mid(a):
    spi_i, spi_r = live(a)
    mids = (a.mid + 1, a.mid + 2, a.mid + 1000, 0x7FFFFFFF, 0xFFFFFFFF)
    send_each(a, "bad-mid", [sk_junk(spi_i, spi_r, INFORMATIONAL, FLAG_I, mid) for mid in mids], 0.05)


def response(a):
    spi_i, spi_r = live(a)
    ds = [sk_junk(spi_i, spi_r, exch, FLAG_I | FLAG_R, mid) for mid in (0, 1, 2, 3, 77)
          for exch in (IKE_AUTH, INFORMATIONAL, 36)]
    # IKE_SA_INIT responses nobody asked for, on the live SPIs and on unknown ones
    ds.append(message(spi_i, spi_r, IKE_SA_INIT, FLAG_R, 0, init_items(os.urandom(128), os.urandom(32))))
    ds.append(message(random.getrandbits(64), random.getrandbits(64), IKE_SA_INIT, FLAG_R, 0,
                      init_items(os.urandom(128), os.urandom(32))))
    send_each(a, "response", ds, 0.02)


def reflected(a):
    spi_i, spi_r = live(a)
    # The target is the responder of the live SA: its own messages carry no Initiator flag.
    send_each(a, "reflected", [sk_junk(spi_i, spi_r, INFORMATIONAL, flags, mid)
                               for mid in (0, 1, 2, a.mid) for flags in (0, FLAG_R)], 0.02)


def bad_icv(a):
    spi_i, spi_r = live(a)
    # The expected Message ID and the next one: the real peer's DPD may move it on meanwhile.
    send_each(a, "bad-icv", [sk_junk(spi_i, spi_r, INFORMATIONAL, FLAG_I, a.mid + i % 2, 16 * (1 + i % 8))
                             for i in range(a.count)], 0.005)


def fragments(a):
    spi_i, spi_r = live(a)
    p = Peer(a.source[0], a.target)

    def skf(num, total, first=0, size=64):
        body = struct.pack("!HH", num, total) + os.urandom(16 + size + 12)
        return header(spi_i, spi_r, SKF, INFORMATIONAL, FLAG_I, a.mid, 28 + 4 + len(body)) + payload(first, body)

    answers = []
    sent = []
    for total in (2, 32, 1000):
        for num in range(1, min(total, 64) + 1):
            sent.append(skf(num, total, SK if num == 1 else 0))
    sent += [skf(1, 4, SK)] * 20 + [skf(3, 4)] * 20               # duplicates
    sent += [skf(n, 4, 0, 500) for n in (2, 2, 3, 3)]             # overlapping re-sends, bigger
    sent += [skf(0, 4), skf(5, 4), skf(1, 0), skf(65535, 65535)]  # out of range
    for _ in range(a.count // max(1, len(sent)) + 1):
        for d in sent:
            p.send(d)
        answers += p.collect(0.05)
    answers += p.collect(1.0)
    result("fragments", p.sent, answers)


def replay(a):
    with open(a.replay, "rb") as f:
        data = f.read()
    p = Peer(a.source[0], a.target)
    answers = []
    for _ in range(3):
        answers += p.ask(data, 0.3)
    result("replay", p.sent, answers)


def capture(a):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0800))
    s.bind((a.device, 0))
    end = time.time() + a.count
    src, dst = socket.inet_aton(a.source[0]), socket.inet_aton(a.target)
    while time.time() < end:
        if not select.select([s], [], [], 0.5)[0]:
            continue
        pkt = s.recv(65535)
        ihl = (pkt[0] & 15) * 4
        if pkt[9] != 17 or pkt[12:16] != src or pkt[16:20] != dst or len(pkt) < ihl + 8 + 28:
            continue
        if struct.unpack("!H", pkt[ihl + 2:ihl + 4])[0] != 500:
            continue
        ike = pkt[ihl + 8:]
        if ike[19] & FLAG_R:
            continue
        with open(a.replay + ".tmp", "wb") as f:
            f.write(ike)
        os.replace(a.replay + ".tmp", a.replay)


def esp_bad_icv(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 50)
    s.bind((a.source[0], 0))
    spi = int(a.esp_spi, 16)
    for seq in range(1, a.count + 1):
        s.sendto(struct.pack("!II", spi, 1_000_000 + seq) + os.urandom(16 + 64 + 12), (a.target, 0))
    # and for an SPI nobody has
    for seq in range(1, 51):
        s.sendto(struct.pack("!II", random.getrandbits(32) | 0x1000, seq) + os.urandom(96), (a.target, 0))
    print(json.dumps(dict(case="esp-bad-icv", sent=a.count + 50, answers=[], count=0)))


def init_flood(a):
    peers = [Peer(src, a.target) for src in a.source]
    answers = []
    cookies = 0

    def drain(seconds):
        nonlocal cookies
        end = time.time() + seconds
        while True:
            ready = select.select([x.s for x in peers], [], [], max(0.0, end - time.time()))[0]
            for sock in ready:
                d = sock.recv(65535)
                cookies += "notify:COOKIE" in describe(d)
                answers.append(d)
            if not ready and time.time() >= end:
                return

    # Paced at about 250 requests a second: fast enough to pass the cookie threshold well within
    # the 30 s half-open lifetime, slow enough that the gateway's DH workers take them rather
    # than shedding them as busy.
    for rnd in range(a.count):
        for p in peers:
            p.send(sa_init(random.getrandbits(64)))
        drain(0.25)
    drain(1.5)  # what is still coming (half-open SAs live only 30 s)
    # A peer that returns the cookie is served (RFC 7296 2.6).
    p = peers[0]
    spi = random.getrandbits(64)
    ke_public, nonce = os.urandom(128), os.urandom(32)
    first = sa_init(spi, ke_public, nonce)
    served, first_answer = [], []
    for d in p.ask(first, 5.0, lambda d: d[:8] == struct.pack("!Q", spi)):
        parsed = parse(d)
        if parsed and parsed[0][0] == spi:
            first_answer = describe(d)
            for t, _, body in parsed[1]:
                if t == NOTIFY and struct.unpack("!H", body[2:4])[0] == 16390:
                    again = sa_init(spi, ke_public, nonce, cookie=body[4:])
                    served = [n for x in p.ask(again, 5.0, lambda d: d[:8] == struct.pack("!Q", spi))
                              for n in describe(x)]
    result("init-flood", sum(x.sent for x in peers), answers, cookies=cookies, first_answer=first_answer,
           with_cookie=sorted(set(served)))


# ---- a complete exchange with the wrong key ------------------------------------------------



def prf_plus(key, seed, n):
    out, t, i = b"", b"", 1
    while len(out) < n:
        t = prf(key, t + seed + bytes([i]))
        out += t
        i += 1
    return out[:n]


def wrong_psk(a):
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    def aes(key, iv, data, enc):
        c = Cipher(algorithms.AES(key), modes.CBC(iv))
        x = c.encryptor() if enc else c.decryptor()
        return x.update(data) + x.finalize()

    results = []
    p = Peer(a.source[0], a.target)
    for attempt in range(a.count):
        spi_i = random.getrandbits(64)
        x = random.getrandbits(1024) | 1
        gx = pow(2, x, MODP1024).to_bytes(128, "big")
        ni = os.urandom(32)
        m1 = sa_init(spi_i, gx, ni)
        got = None
        for d in p.ask(m1, 2.0, lambda d: d[:8] == struct.pack("!Q", spi_i)):
            parsed = parse(d)
            if parsed and parsed[0][0] == spi_i and parsed[0][2] == IKE_SA_INIT:
                got = (d, parsed)
        if not got:
            results.append("no-init-response")
            continue
        m2, ((_, spi_r, _, _, _), pls) = got
        gy = nr = None
        for t, _, body in pls:
            if t == KE:
                gy = body[4:]
            elif t == NONCE:
                nr = body
        if gy is None or nr is None:
            results.append("init-response-without-ke" + "".join(describe(m2)))
            continue
        gxy = pow(int.from_bytes(gy, "big"), x, MODP1024).to_bytes(128, "big")
        skeyseed = prf(ni + nr, gxy)
        keys = prf_plus(skeyseed, ni + nr + struct.pack("!QQ", spi_i, spi_r), 20 + 20 * 2 + 32 * 2 + 20 * 2)
        sk_d, sk_ai, sk_ar, sk_ei, sk_er, sk_pi, sk_pr = (
            keys[0:20], keys[20:40], keys[40:60], keys[60:92], keys[92:124], keys[124:144], keys[144:164])
        idi = struct.pack("!BBBB", 1, 0, 0, 0) + socket.inet_aton(a.source[0])
        octets = m1 + nr + prf(sk_pi, idi)
        auth = prf(prf(a.psk.encode(), b"Key Pad for IKEv2"), octets)
        esp_ts = (transform(False, 1, 12, struct.pack("!HH", 0x800E, 256)) + transform(False, 3, 2)
                  + transform(True, 5, 0))
        esp_prop = struct.pack("!BBHBBBB", 0, 0, 8 + 4 + len(esp_ts), 1, 3, 4, 3) + os.urandom(4) + esp_ts

        def ts(a1, a2):
            return (struct.pack("!BBBB", 1, 0, 0, 0) + struct.pack("!BBHHH", 7, 0, 16, 0, 65535)
                    + socket.inet_aton(a1) + socket.inet_aton(a2))

        first, inner = chain([(IDI, idi, False), (AUTH, struct.pack("!BBBB", 2, 0, 0, 0) + auth, False),
                              (SA, esp_prop, False), (TSI, ts("192.168.1.1", "192.168.1.1"), False),
                              (TSR, ts("192.168.2.99", "192.168.2.99"), False)])
        pad = 15 - (len(inner) % 16)
        plain = inner + bytes(pad) + bytes([pad])
        iv = os.urandom(16)
        ct = aes(sk_ei, iv, plain, True)
        body = iv + ct
        length = 28 + 4 + len(body) + 12
        msg = header(spi_i, spi_r, SK, IKE_AUTH, FLAG_I, 1, length) + payload(first, body, length=4 + len(body) + 12)
        msg += hmac.new(sk_ai, msg, hashlib.sha1).digest()[:12]
        verdict = "no-auth-response"
        for d in p.ask(msg, 2.0, lambda d: d[:8] == struct.pack("!Q", spi_i) and d[18] == IKE_AUTH):
            parsed = parse(d)
            if not parsed or parsed[0][0] != spi_i or parsed[0][2] != IKE_AUTH:
                continue
            sk = [b for t, _, b in parsed[1] if t == SK]
            if not sk:
                verdict = "auth-response-not-encrypted"
                continue
            if hmac.new(sk_ar, d[:-12], hashlib.sha1).digest()[:12] != d[-12:]:
                verdict = "auth-response-bad-icv"
                continue
            body = sk[0][:-12]
            plain = aes(sk_er, body[:16], body[16:], False)
            plain = plain[:len(plain) - plain[-1] - 1]
            inner_first = d[28]
            names, off, nxt = [], 0, inner_first
            while nxt and off + 4 <= len(plain):
                n2, _, plen = struct.unpack("!BBH", plain[off:off + 4])
                if nxt == NOTIFY:
                    code = struct.unpack("!H", plain[off + 6:off + 8])[0]
                    names.append("auth:" + NOTIFY_NAMES.get(code, str(code)))
                elif nxt == AUTH:
                    names.append("auth:AUTH")
                nxt, off = n2, off + max(plen, 4)
            verdict = ",".join(names) or "auth:empty"
        results.append(verdict)
    result("wrong-psk", p.sent, results)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case")
    ap.add_argument("--target", required=True)
    ap.add_argument("--source", action="append", required=True)
    ap.add_argument("--spi-i", default="0")
    ap.add_argument("--spi-r", default="0")
    ap.add_argument("--mid", type=int, default=0)
    ap.add_argument("--esp-spi", default="0")
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--psk", default="")
    ap.add_argument("--replay")
    ap.add_argument("--device")
    a = ap.parse_args()
    c = a.case
    if c in ("truncated", "overlong", "bad-lengths", "broken-chain", "garbage"):
        malformed(a, c)
    else:
        {"critical": critical, "unknown-spi": unknown_spi, "bad-mid": bad_mid, "response": response,
         "reflected": reflected, "bad-icv": bad_icv, "fragments": fragments, "replay": replay, "capture": capture,
         "esp-bad-icv": esp_bad_icv, "init-flood": init_flood, "wrong-psk": wrong_psk}[c](a)


if __name__ == "__main__":
    sys.exit(main())
