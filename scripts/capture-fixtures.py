#!/usr/bin/env python3
"""Capture real kernel nf_tables netlink replies as JSON fixtures for the decoder unit tests.

Re-capture (as root, needs `ip` and `nft`; writes test/fixtures/<scenario>.json):

    sudo python3 scripts/capture-fixtures.py [OUTDIR]

The script creates a throw-away network namespace `nfprom-fx-<pid>`, re-executes itself inside it
(`ip netns exec NS python3 capture-fixtures.py --inner OUTDIR PARENT_NETNS`) and deletes it on exit,
also on an exception or SIGTERM. The caller's ruleset is never touched: the inner half refuses to
run in the caller's network namespace.

Per scenario it flushes the namespace's ruleset, loads one with `nft -f`, sends one request on a
raw NETLINK_NETFILTER socket (NETLINK_EXT_ACK and NETLINK_CAP_ACK set, 64 KiB reads) and records
every datagram verbatim as hex, until NLMSG_DONE or NLMSG_ERROR. A fixture holds: description,
kernel, nftVersion, request {type, flags, family, table, chain, seq, hex}, datagrams, nft (raw text
of `nft -j list chain ...` or `list ruleset`, null if missing: a string, because JSON numbers above
2^53 round and nft prints u64 counters signed), rules and ruleset. `rules` is the expected-value
oracle, parsed from `nft -a list ...` text, which prints exact unsigned values: one entry per rule
{family, table, chain, handle, bytes, packets, comment}, decimal strings; bytes/packets/comment
are null when the rule has no counter / no comment.
"""
import atexit, json, os, re, signal, socket, struct, subprocess, sys

NETLINK_NETFILTER, SOL_NETLINK, NETLINK_CAP_ACK, NETLINK_EXT_ACK = 12, 270, 10, 11
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 0x1, 0x4, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
GETCHAIN, NEWRULE, GETRULE, GETSETELEM = 0x0A04, 0x0A06, 0x0A07, 0x0A0D  # (NFNL_SUBSYS_NFTABLES=10 << 8) | NFT_MSG_*
NFTA_RULE_TABLE, NFTA_RULE_CHAIN, NFTA_CHAIN_TABLE, NFTA_CHAIN_NAME = 1, 2, 1, 3
NFTA_SET_ELEM_LIST_TABLE, NFTA_SET_ELEM_LIST_SET = 1, 2
FAMILIES = {"unspec": 0, "inet": 1, "ip": 2, "ip6": 10}

HEAD = "table {fam} firewall {{\n\tchain accounting {{\n"
SEED = [  # the Go seed's README example, with preset counters
    ('ip daddr 203.0.113.140 tcp dport 22 counter packets 12 bytes 3456 return',
     "nft(l2proto=ipv4;l3proto=tcp;service=SSH;dir=in)"),
    ('ip saddr 203.0.113.140 tcp sport 22 counter packets 10 bytes 2048 return',
     "nft(l2proto=ipv4;l3proto=tcp;service=SSH;dir=out)"),
    ('ip daddr 203.0.113.140 tcp dport 80 counter packets 0 bytes 0 return', None),
    ('ip daddr 203.0.113.140 tcp dport 443 counter packets 7 bytes 700', "just a note"),
    ('ip daddr 203.0.113.140 tcp dport 25 return', "nft(l2proto=ipv4;l3proto=tcp;service=SMTP;dir=in)"),
    ('ip6 daddr 2001:db8::1 udp dport 53 counter packets 3 bytes 300', "nft(service=DNS)"),
    ('ip daddr 203.0.113.141 tcp dport 8080 counter packets 1 bytes 60',
     "nft(service=Überwachung;owner=日本;emoji=📈)"),
]
BIG = [(f"counter packets {p} bytes {b}", f"nft(bytes={name})") for b, p, name in  # packets != bytes
       [(2**53 + 1, 2**53 + 3, "2^53+1"), (2**63 + 5, 2**63 + 1, "2^63+5"), (2**64 - 1, 2**64 - 2, "2^64-1"),
        (0, 0, "zero")]]
MULTI = [(f"ip daddr 198.51.{n // 256}.{n % 256} counter packets {n} bytes {n * 1000 + 7}", f"nft(i={n})")
         for n in range(300)]


def ruleset(rules, fam="inet", extra=""):
    body = "".join(f"\t\t{r}" + (f' comment "{c}"' if c else "") + "\n" for r, c in rules)
    return HEAD.format(fam=fam) + body + "\t}\n" + extra + "}\n"


# Match expressions the derived labels interpret (payload/meta + bitwise + cmp/range/lookup, ct state).
# The comment names the rule for the tests; anonymous sets are __set0 (addresses) and __set1 (ports).
MATCHES = [(r + " counter", f"nft(case={name})") for name, r in [
    ("v4prefix", "ip saddr 10.0.0.0/8"),
    ("v4host_dport", "ip daddr 203.0.113.140 tcp dport 22"),
    ("dport_range", "tcp dport 1000-2000"),
    ("v6prefix", "ip6 daddr 2001:db8::/32"),
    ("v6host_sport", "ip6 saddr 2001:db8::1 udp sport 53"),
    ("l4proto", "meta l4proto tcp"),
    ("iifname", 'iifname "eth0"'),
    ("oifname_wildcard", 'oifname "veth*"'),
    ("v4set", "ip saddr { 1.2.3.4, 5.6.7.0/24 }"),
    ("portset", "tcp dport { 22, 80, 443 }"),
    ("both_sides", "ip saddr 198.51.100.7 ip daddr 192.0.2.0/24"),
    ("negated", "ip saddr != 10.0.0.0/8"),
    ("ct_state", "ct state established,related"),
    ("ip_protocol", "ip protocol udp"),
    ("v6_nonprefix_mask", "ip6 daddr & ::ffff == ::1"),
]]
UNSPEC = ruleset(SEED[:1], "ip") + ruleset(SEED[5:6], "ip6")
HOOKED = ("\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n"
          "\t\tjump accounting\n\t}\n")
# name: (description, ruleset, request kind, family, table, chain)
SCENARIOS = {
    "basic": ("7 rules: nft(...) comments with counters, a counter without comment, a plain comment, "
              "nft(...) without counter, IPv6, UTF-8 comment", ruleset(SEED), "rule", "inet",
              "firewall", "accounting"),
    "bigcounters": ("byte counters 2^53+1, 2^63+5, 2^64-1, 0 with packets 2^53+3, 2^63+1, 2^64-2, 0; "
                    "nft -j prints the values above 2^63 as negative numbers",
                    ruleset(BIG), "rule", "inet", "firewall", "accounting"),
    "multipart": ("300 rules with counters and nft(i=<n>) comments; the dump spans several datagrams",
                  ruleset(MULTI), "rule", "inet", "firewall", "accounting"),
    "empty": ("the chain exists and has no rules", ruleset([]), "rule", "inet", "firewall", "accounting"),
    "missing-chain": ("GETCHAIN for a chain that does not exist in an existing table: NLMSG_ERROR ENOENT "
                      "with extended ack", ruleset(SEED[:1]), "chain", "inet", "firewall", "nosuchchain"),
    "missing-table": ("GETRULE dump for a table that does not exist: no rules, just NLMSG_DONE",
                      ruleset(SEED[:1]), "rule", "inet", "nosuchtable", "accounting"),
    "chain-found": ("GETCHAIN for an existing regular chain (jumped to from a base chain): NEWCHAIN + ACK; "
                    "`rules` is the chain's content, which GETCHAIN does not return",
                    ruleset(SEED[:2], extra=HOOKED), "chain", "inet", "firewall", "accounting"),
    "unspec": ("table firewall in families ip and ip6 (ip created first), one rule each; GETRULE dump with "
               "family 0 (NFPROTO_UNSPEC) AND table/chain attributes: the kernel returns only the rules of the "
               "first matching table (ip), not the ip6 one, although `rules` lists both; nft = "
               "`nft -j list ruleset`", UNSPEC, "rule", "unspec", "firewall", "accounting"),
    "unspec-all": ("same tables plus inet firewall; GETRULE dump with family 0 and no table/chain attributes: "
                   "every rule of every family, table and chain; nft = `nft -j list ruleset`",
                   UNSPEC + ruleset(SEED[2:3]), "rule", "unspec", None, None),
    "matches": ("one rule per match the derived labels interpret (prefixes, hosts, ports, ranges, anonymous "
                "sets, meta l4proto, iifname/oifname incl. wildcard, negation, ct state, a non-prefix mask); "
                "each rule names its case in nft(case=...)", ruleset(MATCHES), "rule", "inet", "firewall",
                "accounting"),
    "setelem-addresses": ("GETSETELEM dump of the anonymous interval set of `ip saddr { 1.2.3.4, 5.6.7.0/24 }` "
                          "(__set0 of the matches ruleset); `rules` lists the chain", ruleset(MATCHES),
                          "setelem", "inet", "firewall", "__set0"),
    "setelem-ports": ("GETSETELEM dump of the anonymous set of `tcp dport { 22, 80, 443 }` (__set1 of the "
                      "matches ruleset); `rules` lists the chain", ruleset(MATCHES), "setelem", "inet",
                      "firewall", "__set1"),
}


def nla(atype, payload):
    data = struct.pack("=HH", 4 + len(payload), atype) + payload
    return data + b"\0" * (-len(data) % 4)


def request(kind, family, table, chain, seq):
    if kind == "rule":
        mtype, flags = GETRULE, NLM_F_REQUEST | NLM_F_DUMP
        attrs = b"" if table is None else (nla(NFTA_RULE_TABLE, table.encode() + b"\0") +
                                           nla(NFTA_RULE_CHAIN, chain.encode() + b"\0"))
    elif kind == "setelem":  # chain names the set
        mtype, flags = GETSETELEM, NLM_F_REQUEST | NLM_F_DUMP
        attrs = (nla(NFTA_SET_ELEM_LIST_TABLE, table.encode() + b"\0") +
                 nla(NFTA_SET_ELEM_LIST_SET, chain.encode() + b"\0"))
    else:
        mtype, flags = GETCHAIN, NLM_F_REQUEST | NLM_F_ACK
        attrs = nla(NFTA_CHAIN_TABLE, table.encode() + b"\0") + nla(NFTA_CHAIN_NAME, chain.encode() + b"\0")
    body = struct.pack("=BBH", family, 0, 0) + attrs  # nfgenmsg: family, version, res_id (0 in any order)
    return mtype, flags, struct.pack("=IHHII", 16 + len(body), mtype, flags, seq, 0) + body


def messages(dgram):
    off = 0
    while off + 16 <= len(dgram):
        length, mtype, flags, seq, pid = struct.unpack_from("=IHHII", dgram, off)
        if length < 16:
            raise ValueError(f"bad nlmsg_len {length}")
        yield mtype, flags, dgram[off + 16:off + length]
        off += (length + 3) & ~3


def capture(req):
    """Send one request, return every datagram until NLMSG_DONE or NLMSG_ERROR."""
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    try:
        s.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        s.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
        s.bind((0, 0))
        s.settimeout(5)
        s.send(req)
        out = []
        while True:
            d = s.recv(65536)
            out.append(d)
            if any(t in (NLMSG_DONE, NLMSG_ERROR) for t, _, _ in messages(d)):
                return out
    finally:
        s.close()


def nft(*args, stdin=None, check=True):
    p = subprocess.run(["nft", *args], input=stdin, capture_output=True, text=True)
    if check and p.returncode:
        raise RuntimeError(f"nft {' '.join(args)} failed: {p.stderr}")
    return p


TABLE_RE = re.compile(r"^table (\S+) (\S+) \{(?: # handle \d+)?$")  # -a list chain omits the handle
CHAIN_RE = re.compile(r"^chain (\S+) \{ # handle \d+$")
BLOCK_RE = re.compile(r"\{(?: # handle \d+)?$")  # set, map, flowtable, ... blocks
RULE_RE = re.compile(r"^(?P<body>.*?)(?: comment \"(?P<comment>[^\"]*)\")? # handle (?P<handle>\d+)$")
COUNTER_RE = re.compile(r"(?:^| )counter packets (\d+) bytes (\d+)(?: |$)")


def oracle(text, family, table, chain):
    """Parse `nft -a list ...` text into the rules of family/table/chain (None = any)."""
    rules, stack = [], []  # stack of open blocks: ("table", family, name), ("chain", name), ("block",)
    for line in (raw.strip() for raw in text.splitlines()):
        if m := TABLE_RE.match(line):
            stack = [("table", m[1], m[2])]
        elif m := CHAIN_RE.match(line):
            stack.append(("chain", m[1]))
        elif BLOCK_RE.search(line):
            stack.append(("block",))
        elif line == "}":
            stack.pop()
        elif len(stack) == 2 and stack[1][0] == "chain" and (m := RULE_RE.match(line)):
            where = (stack[0][1], stack[0][2], stack[1][1])
            if any(want not in (None, have) for want, have in zip((family, table, chain), where)):
                continue
            c = COUNTER_RE.search(m["body"])  # comment removed first: it may contain "counter ..."
            rules.append({"family": where[0], "table": where[1], "chain": where[2], "handle": m["handle"],
                          "bytes": c[2] if c else None, "packets": c[1] if c else None, "comment": m["comment"]})
    return rules


def inner(outdir, parent_ns):
    if os.readlink("/proc/self/ns/net") == parent_ns:
        sys.exit("refusing to run --inner in the caller's network namespace")
    kernel, nft_version = os.uname().release, nft("--version").stdout.strip()
    os.makedirs(outdir, exist_ok=True)
    for seq, (name, (desc, rs, kind, fam, table, chain)) in enumerate(SCENARIOS.items(), start=1):
        nft("flush", "ruleset")
        nft("-f", "-", stdin=rs)
        mtype, flags, req = request(kind, FAMILIES[fam], table, chain, seq)
        dgrams = capture(req)
        listed = "accounting" if kind == "setelem" else chain  # the chain whose rules are the oracle
        if fam == "unspec":
            nft_json, listing, want = nft("-j", "list", "ruleset").stdout, nft("-a", "list", "ruleset"), None
        else:
            p = nft("-j", "list", "chain", fam, table, listed, check=False)
            nft_json = p.stdout if p.returncode == 0 else None
            listing, want = nft("-a", "list", "chain", fam, table, listed, check=False), fam
        rules = oracle(listing.stdout, want, table, listed) if listing.returncode == 0 else []
        fixture = {"description": desc, "kernel": kernel, "nftVersion": nft_version,
                   "request": {"type": mtype, "flags": flags, "family": FAMILIES[fam], "table": table,
                               "chain": chain, "seq": seq, "hex": req.hex()},
                   "datagrams": [d.hex() for d in dgrams], "nft": nft_json, "rules": rules, "ruleset": rs}
        with open(os.path.join(outdir, f"{name}.json"), "w", encoding="utf-8") as f:
            json.dump(fixture, f, indent=2, ensure_ascii=False)
            f.write("\n")
        msgs = [(t, fl) for d in dgrams for t, fl, _ in messages(d)]
        nrules = sum(t == NEWRULE for t, _ in msgs)
        flag = "" if kind != "rule" or nrules == len(rules) else "  (differs)"
        print(f"{name:14} datagrams={len(dgrams):2} bytes={sum(map(len, dgrams)):6} messages={len(msgs):3} "
              f"NEWRULE={nrules:3} oracle rules={len(rules):3}{flag}")


def outer(outdir, script=__file__, prefix="nfprom-fx"):
    """Run `script --inner OUTDIR` in a new network namespace `<prefix>-<pid>`, deleted afterwards."""
    if os.geteuid() != 0:
        sys.exit("must run as root (creates a network namespace)")
    ns = f"{prefix}-{os.getpid()}"
    deleted = []

    def cleanup():
        if not deleted:
            deleted.append(True)
            subprocess.run(["ip", "netns", "delete", ns], stderr=subprocess.DEVNULL)

    atexit.register(cleanup)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        subprocess.run(["ip", "netns", "exec", ns, sys.executable, os.path.abspath(script),
                        "--inner", os.path.abspath(outdir), os.readlink("/proc/self/ns/net")], check=True)
    finally:
        cleanup()


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    if len(sys.argv) == 4 and sys.argv[1] == "--inner":
        inner(sys.argv[2], sys.argv[3])
    else:
        outer(sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "test", "fixtures"))
