#!/usr/bin/python3
"""A hostile IKEv1 peer: sends one kind of bad input at a gateway and reports what came back.

    ikev1_hostile.py CASE --target IP [--source IP]... [--cky-i HEX --cky-r HEX]
                     [--count N] [--psk TEXT] [--replay FILE] [--device DEV]

The IKEv1 counterpart of ikev2_hostile.py, with plain and raw sockets only. Prints one line of
JSON: the case, how many datagrams were sent, and what the gateway answered ("MM2", "MM4",
"MM6" for Main Mode answers, "notify:NAME" for a clear notification, "encrypted" for anything
else encrypted). The calling test compares that with RFC 2408/2409 and with the gateway's
`show crypto isakmp stats`.

Cases:
  truncated       Main Mode 1 cut short (1..27 octets, then inside a payload)
  overlong        header Length larger or smaller than the datagram; 9000-octet datagrams
  bad-lengths     payload lengths pointing past the end, or shorter than a payload header
  broken-chain    Next Payload chains naming absent or unknown payloads
  garbage         random datagrams
  unknown-cookies encrypted Quick Mode and Informational messages for cookies no SA has
  bad-hash        encrypted Quick Mode and Informational messages with the live SA's cookies
                  and random contents: what a peer with the wrong keys sends
  response        answers nobody asked for: Main Mode 2/4 shapes for unknown cookies, clear
                  Main Mode messages on the live (established) SA
  replay          a captured Quick Mode 1 of the live SA sent again
  capture         (not an attack) keeps writing the first message of the last Quick Mode
                  --source sends the target, as seen on --device, to --replay FILE (and its
                  cookies to FILE.cookies), for --count seconds
  mm1-flood       Main Mode 1 with fresh cookies from every --source address, --count rounds
  wrong-psk       Main Modes 1-5 with a wrong pre-shared key, --count of them as fast as answered
"""
import argparse
import hashlib
import json
import os
import random
import select
import socket
import struct
import sys
import time

from udp_peer import MODP1024, Peer, prf

SA, P, T, KE, ID, HASH, NONCE, N, D, VID = 1, 2, 3, 4, 5, 8, 10, 11, 12, 13
MAIN, AGGRESSIVE, INFO, QUICK = 2, 4, 5, 32
NOTIFY_NAMES = {14: "NO-PROPOSAL-CHOSEN", 16: "PAYLOAD-MALFORMED", 18: "INVALID-ID-INFORMATION",
                24: "AUTHENTICATION-FAILED", 4: "INVALID-COOKIE", 36136: "R-U-THERE", 36137: "R-U-THERE-ACK"}



def header(cky_i, cky_r, first, exchange, flags, mid, length):
    return struct.pack("!QQBBBBII", cky_i, cky_r, first, 0x10, exchange, flags, mid, length)


def payload(next_type, body):
    return struct.pack("!BBH", next_type, 0, 4 + len(body)) + body


def chain(items):
    """[(type, body)] -> (first type, octets) with the Next Payload fields filled."""
    out = b""
    for i, (t, body) in enumerate(items):
        out += payload(items[i + 1][0] if i + 1 < len(items) else 0, body)
    return (items[0][0] if items else 0), out


def message(cky_i, cky_r, exchange, flags, mid, items):
    first, body = chain(items)
    return header(cky_i, cky_r, first, exchange, flags, mid, 28 + len(body)) + body


def sa_body():
    """SAi_b: AES-256, SHA, pre-shared key, group 2, 86400 s (the ASA1/ASA2 ikev1 policy)."""
    attrs = (struct.pack("!HH", 0x8001, 7) + struct.pack("!HH", 0x800E, 256) + struct.pack("!HH", 0x8002, 2)
             + struct.pack("!HH", 0x8003, 1) + struct.pack("!HH", 0x8004, 2) + struct.pack("!HH", 0x800B, 1)
             + struct.pack("!HHI", 12, 4, 86400))
    transform = struct.pack("!BBHBBH", 0, 0, 8 + len(attrs), 1, 1, 0) + attrs
    proposal = struct.pack("!BBHBBBB", 0, 0, 8 + len(transform), 1, 1, 0, 1) + transform
    return struct.pack("!II", 1, 1) + proposal


def mm1(cky_i):
    return message(cky_i, 0, MAIN, 0, 0, [(SA, sa_body())])


def parse(data):
    """(header fields, [(type, body)]) of a clear message; None if it does not parse."""
    if len(data) < 28:
        return None
    cky_i, cky_r, nxt, _, exch, flags, mid, length = struct.unpack("!QQBBBBII", data[:28])
    out, off = [], 28
    if flags & 1:
        return (cky_i, cky_r, exch, flags, mid), [("encrypted", data[28:])]
    while nxt and off + 4 <= len(data):
        n2, _, plen = struct.unpack("!BBH", data[off:off + 4])
        if plen < 4 or off + plen > len(data):
            return None
        out.append((nxt, data[off + 4:off + plen]))
        nxt, off = n2, off + plen
    return (cky_i, cky_r, exch, flags, mid), out


def describe(data):
    p = parse(data)
    if not p:
        return ["unparsable"]
    (_, _, exch, flags, _), payloads = p
    if flags & 1:
        return ["MM6" if exch == MAIN else "encrypted"]
    types = [t for t, _ in payloads]
    notes = [f"notify:{NOTIFY_NAMES.get(struct.unpack('!H', b[6:8])[0], struct.unpack('!H', b[6:8])[0])}"
             for t, b in payloads if t == N and len(b) >= 8]
    if exch == MAIN and SA in types:
        notes.append("MM2")
    elif exch == MAIN and KE in types:
        notes.append("MM4")
    return notes



def result(case, sent, answers, **extra):
    notes = []
    for a in answers:
        notes += describe(a) if isinstance(a, bytes) else [a]
    print(json.dumps(dict(case=case, sent=sent, answers=sorted(set(notes)), count=len(answers), **extra)))


def send_each(a, case, datagrams, gap):
    p = Peer(a.source[0], a.target)
    answers = []
    for d in datagrams:
        answers += p.ask(d, gap)
    answers += p.collect(1.0)
    result(case, p.sent, answers)


# ---- malformed Main Mode 1 -------------------------------------------------------------------

def malformed(a, case):
    good = mm1(random.getrandbits(64))
    first, body = chain([(SA, sa_body())])
    bad = []
    if case == "truncated":
        bad = [good[:n] for n in (1, 4, 8, 16, 27)]
        # an honest header Length, payloads cut short
        bad += [good[:24] + struct.pack("!I", n) + good[28:n] for n in (29, 32, 40, len(good) - 1)]
    elif case == "overlong":
        bad = [good[:24] + struct.pack("!I", len(good) + k) + good[28:] for k in (1, 100, 60000)]
        bad += [good[:24] + struct.pack("!I", 20) + good[28:]]
        bad += [good[:24] + struct.pack("!I", 9000 + len(good)) + good[28:] + os.urandom(9000)]
    elif case == "bad-lengths":
        for at, value in ((2, 3), (2, 0), (2, 0xFFFF), (8 + 2, 0x0FFF), (8 + 8 + 2, 0x00FF)):
            b = bytearray(body)
            struct.pack_into("!H", b, at, value)  # the SA's, the proposal's, the transform's length
            bad.append(header(random.getrandbits(64), 0, first, MAIN, 0, 0, 28 + len(b)) + bytes(b))
    elif case == "broken-chain":
        for nxt in (SA, KE, 0x7F, 0xFF):
            b = bytearray(body)
            b[0] = nxt  # the last payload points at one more
            bad.append(header(random.getrandbits(64), 0, first, MAIN, 0, 0, 28 + len(b)) + bytes(b))
        for wrong_first in (NONCE, HASH, 200):  # the header names a payload that is not there
            bad.append(header(random.getrandbits(64), 0, wrong_first, MAIN, 0, 0, 28 + len(body)) + body)
    elif case == "garbage":
        rnd = random.Random(7)
        bad = [bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(0, 1400))) for _ in range(300)]
        bad += [header(rnd.getrandbits(64), 0, rnd.choice([SA, KE, 0, 200]), MAIN, 0, 0, 28 + n) + os.urandom(n)
                for n in (0, 4, 100, 1000)]
    send_each(a, case, bad, 0.02)


# ---- encrypted messages nobody can read --------------------------------------------------------

def encrypted_junk(cky_i, cky_r, exchange, mid, blocks):
    body = os.urandom(16 * blocks)
    return header(cky_i, cky_r, HASH, exchange, 1, mid, 28 + len(body)) + body


def unknown_cookies(a):
    ds = [encrypted_junk(random.getrandbits(64), random.getrandbits(64), random.choice([QUICK, INFO]),
                         random.getrandbits(32) | 1, 1 + i % 6) for i in range(a.count)]
    send_each(a, "unknown-cookies", ds, 0.01)


def live(a):
    return int(a.cky_i, 16), int(a.cky_r, 16)


def bad_hash(a):
    ci, cr = live(a)
    ds = [encrypted_junk(ci, cr, QUICK if i % 2 else INFO, random.getrandbits(32) | 1, 1 + i % 8)
          for i in range(a.count)]
    send_each(a, "bad-hash", ds, 0.01)


def response(a):
    ci, cr = live(a)
    ke = struct.pack("!B", 0) * 128
    ds = []
    for _ in range(10):  # Main Mode 2 and 4 shapes for negotiations that do not exist
        ds.append(message(random.getrandbits(64), random.getrandbits(64), MAIN, 0, 0, [(SA, sa_body())]))
        ds.append(message(random.getrandbits(64), random.getrandbits(64), MAIN, 0, 0,
                          [(KE, ke), (NONCE, os.urandom(16))]))
    # clear Main Mode messages on the established SA (its Main Mode is long over)
    ds.append(message(ci, cr, MAIN, 0, 0, [(SA, sa_body())]))
    ds.append(message(ci, cr, MAIN, 0, 0, [(KE, ke), (NONCE, os.urandom(16))]))
    # a clear notification on the established SA: believed only in answer to our Main Mode 1
    ds.append(message(ci, cr, INFO, 0, random.getrandbits(32),
                      [(N, struct.pack("!IBBH", 1, 1, 16, 14) + struct.pack("!QQ", ci, cr))]))
    send_each(a, "response", ds, 0.02)


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
    with open(a.replay + ".ready", "w"):  # the caller waits for this before it starts the tunnel
        pass
    end = time.time() + a.count
    src, dst = socket.inet_aton(a.source[0]), socket.inet_aton(a.target)
    seen = set()
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
        if ike[18] != QUICK or ike[20:24] in seen:
            continue
        seen.add(ike[20:24])  # the first message of each Quick Mode: QM1 when --source started it
        with open(a.replay + ".tmp", "wb") as f:
            f.write(ike)
        os.replace(a.replay + ".tmp", a.replay)
        with open(a.replay + ".cookies", "w") as f:
            f.write("%016X %016X\n" % struct.unpack("!QQ", ike[:16]))


def mm1_flood(a):
    peers = [Peer(src, a.target) for src in a.source]
    answers = []

    def drain(seconds):
        end = time.time() + seconds
        while True:
            ready = select.select([x.s for x in peers], [], [], max(0.0, end - time.time()))[0]
            for sock in ready:
                answers.append(sock.recv(65535))
            if not ready and time.time() >= end:
                return

    for _ in range(a.count):
        for p in peers:
            p.send(mm1(random.getrandbits(64)))
        drain(0.1)
    drain(1.5)
    mm2 = sum(1 for d in answers if "MM2" in describe(d))
    result("mm1-flood", sum(x.sent for x in peers), answers, mm2=mm2)


# ---- Main Mode with the wrong key ----------------------------------------------------------



def wrong_psk(a):
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    def aes_cbc(key, iv, data):
        e = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
        return e.update(data) + e.finalize()

    p = Peer(a.source[0], a.target)
    results = []
    for _ in range(a.count):
        ci = random.getrandbits(64)
        mine = lambda d: d[:8] == struct.pack("!Q", ci)
        got = [d for d in p.ask(mm1(ci), 2.0, mine) if mine(d)]
        if not got or "MM2" not in describe(got[-1]):
            results.append("no-MM2")
            continue
        cr = struct.unpack("!Q", got[-1][8:16])[0]
        x = random.getrandbits(1024) | 1
        gxi = pow(2, x, MODP1024).to_bytes(128, "big")
        ni = os.urandom(16)
        got = [d for d in p.ask(message(ci, cr, MAIN, 0, 0, [(KE, gxi), (NONCE, ni)]), 3.0, mine) if mine(d)]
        parsed = parse(got[-1]) if got else None
        if not parsed or "MM4" not in describe(got[-1]):
            results.append("no-MM4")
            continue
        gxr = next(b for t, b in parsed[1] if t == KE)
        nr = next(b for t, b in parsed[1] if t == NONCE)
        gxy = pow(int.from_bytes(gxr, "big"), x, MODP1024).to_bytes(128, "big")
        cookies = struct.pack("!QQ", ci, cr)
        skeyid = prf(a.psk.encode(), ni + nr)  # RFC 2409 5.4, with the wrong key
        skeyid_d = prf(skeyid, gxy + cookies + b"\0")
        skeyid_a = prf(skeyid, skeyid_d + gxy + cookies + b"\1")
        skeyid_e = prf(skeyid, skeyid_a + gxy + cookies + b"\2")
        k1 = prf(skeyid_e, b"\0")
        key = (k1 + prf(skeyid_e, k1))[:32]  # RFC 2409 appendix B
        iv = hashlib.sha1(gxi + gxr).digest()[:16]
        idii = struct.pack("!BBH", 1, 17, 0) + socket.inet_aton(a.source[0])
        hash_i = prf(skeyid, gxi + gxr + cookies + sa_body() + idii)
        first, plain = chain([(ID, idii), (HASH, hash_i)])
        plain += bytes(15 - len(plain) % 16) + bytes([15 - len(plain) % 16])
        ct = aes_cbc(key, iv, plain)
        mm5 = header(ci, cr, first, MAIN, 1, 0, 28 + len(ct)) + ct
        answer = [n for d in p.ask(mm5, 2.0, mine) if mine(d) for n in describe(d)]
        results.append(",".join(answer) or "no-answer")
    result("wrong-psk", p.sent, results)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case")
    ap.add_argument("--target", required=True)
    ap.add_argument("--source", action="append", required=True)
    ap.add_argument("--cky-i", default="0")
    ap.add_argument("--cky-r", default="0")
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--psk", default="")
    ap.add_argument("--replay")
    ap.add_argument("--device")
    a = ap.parse_args()
    if a.case in ("truncated", "overlong", "bad-lengths", "broken-chain", "garbage"):
        malformed(a, a.case)
    else:
        {"unknown-cookies": unknown_cookies, "bad-hash": bad_hash, "response": response, "replay": replay,
         "capture": capture, "mm1-flood": mm1_flood, "wrong-psk": wrong_psk}[a.case](a)


if __name__ == "__main__":
    sys.exit(main())
