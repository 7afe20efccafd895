"""What the hostile-peer tools share: a UDP socket towards the gateway's port 500, the
1024-bit MODP group their complete exchanges use (RFC 2409 6.2, IKEv2 group 2) and HMAC-SHA1."""
import hashlib
import hmac
import select
import socket
import time

MODP1024 = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A0879"
    "8E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B"
    "0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF", 16)


def prf(key, data):
    return hmac.new(key, data, hashlib.sha1).digest()


class Peer:
    """A UDP socket bound to one source address; collects whatever the target answers."""

    def __init__(self, source, target, port=0):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.s.bind((source, port))
        self.target = (target, 500)
        self.sent = 0

    def send(self, data):
        self.s.sendto(data, self.target)
        self.sent += 1

    def collect(self, seconds, until=None):
        """What arrives within `seconds`; returns early once `until(datagram)` holds."""
        got, end = [], time.time() + seconds
        while True:
            left = end - time.time()
            if left <= 0 or not select.select([self.s], [], [], left)[0]:
                return got
            got.append(self.s.recv(65535))
            if until and until(got[-1]):
                return got

    def ask(self, data, seconds=2.0, until=None):
        self.send(data)
        return self.collect(seconds, until)
