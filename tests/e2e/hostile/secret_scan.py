#!/usr/bin/python3
"""Looks for secrets in what ikegate printed: logs, debug output, show output.

    secret_scan.py [--secret TEXT]... [--hex-only TEXT]... [--charon-log FILE]... FILE...

Every --secret (a pre-shared key or password) is searched as text (any case), as hex (upper or
lower case, with or without a blank or colon between octets) and in base64; a --hex-only one
(a key too common a word to look for as text, such as "cisco") only as hex. With --charon-log,
the keys a strongSwan peer logged at level 4 ("Sk_d secret => 20 bytes @ ...", CHILD SA
"encryption/integrity ... key") are searched too, as hex in every spelling: ikegate derives the
same keys, and none may ever appear in its output. Prints each finding as FILE:LINE: what, and
exits 1 if there is one, 0 otherwise.
"""
import argparse
import base64
import re
import sys


def spellings(secret: bytes):
    """The forms a secret could be printed in, as (label, regex) pairs."""
    h = secret.hex()
    forms = [
        ("text", re.escape(secret.decode("latin-1"))),
        ("hex", re.escape(h)),
        ("hex with separators", "[ :]?".join(re.escape(h[i:i + 2]) for i in range(0, len(h), 2))),
        ("base64", re.escape(base64.b64encode(secret).decode().rstrip("="))),
    ]
    return [(label, re.compile(rx, re.IGNORECASE)) for label, rx in forms]


DUMP = re.compile(r"\]\s+(?:<[^>]*>\s+)?\s*\d+: ((?:[0-9A-F]{2} )*[0-9A-F]{2})")
KEY_LABEL = re.compile(r"(Sk_\w+ secret|shared Diffie Hellman secret|encryption \w+ key|"
                       r"integrity \w+ key|SKEYSEED|KEYMAT) => (\d+) bytes")


def charon_keys(path):
    """(label, bytes) of every key value charon dumped in its log."""
    keys, label, want, buf = [], None, 0, b""
    with open(path, errors="replace") as f:
        for line in f:
            if label:
                m = DUMP.search(line)
                if m:
                    buf += bytes.fromhex(m.group(1).replace(" ", ""))
                    if len(buf) >= want:
                        keys.append((label, buf[:want]))
                        label = None
                    continue
                label = None
            m = KEY_LABEL.search(line)
            if m:
                label, want, buf = m.group(1), int(m.group(2)), b""
    return keys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--secret", action="append", default=[])
    ap.add_argument("--hex-only", action="append", default=[])
    ap.add_argument("--charon-log", action="append", default=[])
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()

    needles = []
    for s in a.secret:
        needles += [(f"pre-shared key/password ({label})", rx) for label, rx in spellings(s.encode())]
    for s in a.hex_only:
        needles += [(f"pre-shared key/password ({label})", rx) for label, rx in spellings(s.encode())
                    if label.startswith("hex")]
    derived = 0
    for log in a.charon_log:
        for label, value in charon_keys(log):
            if len(value) < 8:
                continue
            derived += 1
            needles += [(f"derived key {label} ({form})", rx)
                        for form, rx in spellings(value) if form.startswith("hex") or form == "base64"]
    found = 0
    for path in a.files:
        with open(path, errors="replace") as f:
            for n, line in enumerate(f, 1):
                for what, rx in needles:
                    if rx.search(line):
                        print(f"{path}:{n}: {what}")
                        found += 1
    print(f"secret_scan: {len(a.files)} files, {len(a.secret) + len(a.hex_only)} secrets, {derived} derived keys, "
          f"{found} findings")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
