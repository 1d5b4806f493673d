#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Raw requests to the kipsec genl family, for tests that must bypass the
tool's own checks (missing attributes, bulk installs).

  kgenl.py req CMD ATTR=VALUE...   one request; prints "ok" or
                                   "error ERRNO: EXTACK" (stderr); exit 0 / 1
  kgenl.py batch < FILE             one request per line (CMD ATTR=VALUE...),
                                   one result line each ("ok" / "error ...")
  kgenl.py bulk-sa N               N ESP SAs (spi 0x10000+i) in one socket
  kgenl.py bulk-sp N               N out policies (distinct /32 destinations)

ATTR is a uAPI name without KIPSEC_A_ (SA_SPI=0x1001); values: integers
(sized by the attribute), IPv4/IPv6 addresses, 0x-hex binary, strings.
Nests: SA_SEL=family:2,src:10.0.0.0,src_plen:8 (SEL attributes);
SP_TMPLS=proto:50,mode:1+proto:51 (templates separated by +).
Numbers come from uapi/linux/kipsec.h itself.
"""
import os, socket, struct, sys, ipaddress

NETLINK_GENERIC = 16
GENL_ID_CTRL = 16
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NLMSG_ERROR = 2


def uapi_enum(name, prefix):
    """Numbers of enum `name` in uapi/linux/kipsec.h, without `prefix`."""
    hdr = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../uapi/linux/kipsec.h")
    text = open(hdr).read()
    body = text[text.index("enum %s {" % name):]
    body = body[:body.index("};")]
    out, n = {}, 0
    for line in body.splitlines()[1:]:
        tok = line.strip().split(",")[0].split("=")[0].strip()
        if tok.startswith(prefix):
            out[tok[len(prefix):]] = n
            n += 1
    return out


CMDN = uapi_enum("kipsec_cmd", "KIPSEC_CMD_")
AN = uapi_enum("kipsec_attr", "KIPSEC_A_")
SN = uapi_enum("kipsec_sel_attr", "KIPSEC_SEL_")
TN = uapi_enum("kipsec_tmpl_attr", "KIPSEC_TMPL_")
TYPES = {"SA_PROTO": "u8", "SA_SPI": "u32", "SA_FAMILY": "u16", "SA_SRC": "addr",
         "SA_DST": "addr", "SA_MODE": "u8", "SA_REQID": "u32", "SA_FLAGS": "u32",
         "SA_REPLAY_WINDOW": "u32", "SA_AEAD_ALG": "str", "SA_AEAD_KEY": "bin",
         "SA_AEAD_ICV": "u32", "SA_ENC_ALG": "str", "SA_ENC_KEY": "bin",
         "SA_AUTH_ALG": "str", "SA_AUTH_KEY": "bin", "SA_AUTH_TRUNC": "u32",
         "SA_SEL": "sel", "SP_ID": "u32", "SP_DIR": "u8", "SP_ACTION": "u8",
         "SP_PRIORITY": "u32", "SP_SEL": "sel", "SP_TMPLS": "tmpls", "SA_CURLFT": "bin",
         "ENCAP_PORT": "u16", "ENCAP_FD": "u32", "ENCAP_FAMILY": "u16"}
ATTRS = {k: (AN[k], t) for k, t in TYPES.items()}
STYPES = {"FAMILY": "u16", "SRC": "addr", "SRC_PLEN": "u8", "DST": "addr", "DST_PLEN": "u8",
          "PROTO": "u8", "SPORT": "u16", "DPORT": "u16", "ICMP_TYPE": "u8", "ICMP_CODE": "u8"}
SEL = {k.lower(): (SN[k], t) for k, t in STYPES.items()}
TTYPES = {"PROTO": "u8", "MODE": "u8", "FAMILY": "u16", "SRC": "addr", "DST": "addr",
          "LEVEL": "u8", "REQID": "u32", "SPI": "u32"}
TMPL = {k.lower(): (TN[k], t) for k, t in TTYPES.items()}
A_TMPL = AN["TMPL"]


NLA_F_NESTED = 0x8000


def attr(t, payload):
    ln = 4 + len(payload)
    return struct.pack("HH", ln, t) + payload + b"\0" * ((4 - ln % 4) % 4)


def value(kind, v):
    if kind == "u8":
        return struct.pack("B", int(v, 0))
    if kind == "u16":
        return struct.pack("H", int(v, 0))
    if kind == "u32":
        return struct.pack("I", int(v, 0))
    if kind == "addr":
        return ipaddress.ip_address(v).packed
    if kind == "bin":
        return bytes.fromhex(v[2:]) if v.startswith("0x") else v.encode()
    if kind == "str":
        return v.encode() + b"\0"
    if kind == "sel":
        return nest(SEL, v)
    if kind == "tmpls":
        return b"".join(attr(A_TMPL | NLA_F_NESTED, nest(TMPL, t)) for t in v.split("+"))
    raise ValueError(kind)


def nest(table, spec):
    out = b""
    for kv in spec.split(","):
        if not kv:
            continue
        k, v = kv.split(":", 1)
        n, kind = table[k]
        out += attr(n, value(kind, v))
    return out


def nested(kind):
    return kind in ("sel", "tmpls")


class Genl:
    def __init__(self):
        self.s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
        self.s.setsockopt(270, 11, 1)  # NETLINK_EXT_ACK
        self.s.bind((0, 0))
        self.seq = 1
        self.family = self.resolve()

    def send(self, typ, cmd, payload, version=1):
        self.seq += 1
        msg = struct.pack("BBH", cmd, version, 0) + payload
        hdr = struct.pack("IHHII", 16 + len(msg), typ, NLM_F_REQUEST | NLM_F_ACK, self.seq, 0)
        self.s.send(hdr + msg)

    def recv_ack(self):
        """Returns (errno, extack message, [reply payloads])."""
        replies = []
        while True:
            data = self.s.recv(65536)
            off = 0
            while off < len(data):
                ln, typ, flags, seq, pid = struct.unpack_from("IHHII", data, off)
                if typ == NLMSG_ERROR:
                    err = -struct.unpack_from("i", data, off + 16)[0]
                    msg = ""
                    # extack TLVs follow the (capped or full) original message
                    inner_len = struct.unpack_from("I", data, off + 20)[0]
                    toff = off + 20 + (16 if flags & 0x100 else inner_len)
                    while toff + 4 <= off + ln:
                        alen, atyp = struct.unpack_from("HH", data, toff)
                        if alen < 4:
                            break
                        if atyp == 1:
                            msg = data[toff + 4:toff + alen].split(b"\0")[0].decode()
                        toff += (alen + 3) & ~3
                    return err, msg, replies
                replies.append(data[off + 20:off + ln])
                off += (ln + 3) & ~3

    def resolve(self):
        self.send(GENL_ID_CTRL, 3, attr(2, b"kipsec\0"))
        err, msg, replies = self.recv_ack()
        if err or not replies:
            sys.exit("kgenl: family kipsec not found")
        p = replies[0]
        off = 0
        while off < len(p):
            ln, t = struct.unpack_from("HH", p, off)
            if t == 1:
                return struct.unpack_from("H", p, off + 4)[0]
            off += (ln + 3) & ~3
        sys.exit("kgenl: no family id")

    def request(self, cmd, payload):
        self.send(self.family, CMDN[cmd], payload)
        return self.recv_ack()


def one(g, args):
    payload = b""
    for kv in args[1:]:
        k, v = kv.split("=", 1)
        n, kind = ATTRS[k]
        payload += attr(n | (NLA_F_NESTED if nested(kind) else 0), value(kind, v))
    err, msg, _ = g.request(args[0], payload)
    return "error %d: %s" % (err, msg) if err else "ok"


def main():
    g = Genl()
    if sys.argv[1] == "req":
        r = one(g, sys.argv[2:])
        print(r, file=sys.stderr if r != "ok" else sys.stdout)
        sys.exit(r != "ok")
    if sys.argv[1] == "batch":
        # One request per line (shell words); one result line each.
        import shlex
        for line in sys.stdin:
            if line.strip():
                print(one(g, shlex.split(line)))
        return
    n = int(sys.argv[2])
    key = bytes(range(20))
    for i in range(n):
        if sys.argv[1] == "bulk-sa":
            p = (attr(AN["SA_PROTO"], b"\x32") +
                 attr(AN["SA_SPI"], struct.pack("I", 0x10000 + i)) +
                 attr(AN["SA_FAMILY"], struct.pack("H", 2)) +
                 attr(AN["SA_SRC"], bytes([10, 0, 0, 1])) +
                 attr(AN["SA_DST"], bytes([10, 0, 0, 2])) +
                 attr(AN["SA_ENC_ALG"], b"ecb(cipher_null)\0") + attr(AN["SA_ENC_KEY"], b"") +
                 attr(AN["SA_AUTH_ALG"], b"hmac(sha256)\0") + attr(AN["SA_AUTH_KEY"], key))
            err, msg, _ = g.request("SA_ADD", p)
        else:
            d = bytes([10, 128 + (i >> 16), (i >> 8) & 255, i & 255])
            sel = (attr(SN["FAMILY"], struct.pack("H", 2)) + attr(SN["DST"], d) +
                   attr(SN["DST_PLEN"], b"\x20"))
            p = (attr(AN["SP_DIR"], b"\x01") + attr(AN["SP_ACTION"], b"\x01") +
                 attr(AN["SP_SEL"] | NLA_F_NESTED, sel))
            err, msg, _ = g.request("SP_ADD", p)
        if err:
            sys.exit("kgenl: %s %d failed: %d %s" % (sys.argv[1], i, err, msg))
    print("ok %d" % n)


if __name__ == "__main__":
    main()
