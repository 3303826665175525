#!/usr/bin/env python3
"""Capture kernel replies for the optional sources (named counters, quotas, chains, named sets with counters,
tables)
as JSON fixtures in test/fixtures/sources/, reusing the helpers of capture-fixtures.py (framing, capture, nft).

    sudo python3 scripts/capture-source-fixtures.py [OUTDIR]

Like capture-fixtures.py it works in a throw-away network namespace `nfprom-fx5-<pid>` and never touches the
caller's ruleset. A fixture holds: description, kernel, nftVersion, request {type, flags, family, table, set,
seq, hex}, datagrams (hex), nft (raw `nft -j list counters|quotas|set|chains|ruleset` text: a string, because JSON
numbers above 2^53 round) and ruleset.
"""
import importlib.util, json, os, struct, sys

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("capture_fixtures", os.path.join(HERE, "capture-fixtures.py"))
cf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cf)

GETTABLE, GETCHAIN, GETRULE, GETSET, GETSETELEM, GETOBJ = 0x0A01, 0x0A04, 0x0A07, 0x0A0A, 0x0A0D, 0x0A13  # (NFNL_SUBSYS_NFTABLES=10 << 8) | NFT_MSG_*

OBJECTS = """table inet firewall {
\tcounter ssh_in { packets 12 bytes 3456 comment "nft(service=ssh;dir=in)" }
\tcounter huge { packets 18446744073709551614 bytes 18446744073709551615 }
\tcounter plain { }
\tquota web_until { until 1000000 bytes used 12345 bytes comment "nft(plan=basic)" }
\tquota web_over { over 1000 bytes used 999 bytes }
\tlimit lim { rate 10/second }
\tchain accounting {
\t\ttcp dport 22 counter name "ssh_in" comment "nft(service=ssh)"
\t}
}
table ip other {
\tcounter c2 { packets 1 bytes 60 }
}
"""

SETS = """table inet firewall {
\tset clients { type ipv4_addr; flags dynamic; counter; }
\tset nets { type ipv4_addr; flags interval; counter; elements = { 10.0.0.0/8 counter packets 3 bytes 300, 192.0.2.1 counter packets 1 bytes 60, 198.51.100.10-198.51.100.20 counter packets 2 bytes 120 comment "nft(site=lab)" } }
\tset v6 { type ipv6_addr; counter; elements = { 2001:db8::1 counter packets 4 bytes 400 comment "nft(host=a)" } }
\tset ports { type inet_service; counter; elements = { 22 counter packets 5 bytes 500, 443 counter packets 6 bytes 600 } }
\tset pairs { type ipv4_addr . inet_service; counter; elements = { 192.0.2.7 . 53 counter packets 7 bytes 700 } }
\tset plain { type ipv4_addr; elements = { 192.0.2.9 } }
\tchain accounting {
\t\tip saddr 192.0.2.0/24 update @clients { ip saddr }
\t}
}
"""
# Rules that count in named counters (objref, objref map) beside a rule counter, two counters, none.
RULES_OBJREF = """table inet firewall {
\tcounter ssh_in { packets 12 bytes 3456 }
\tcounter web { }
\tchain accounting {
\t\ttcp dport 22 counter name "ssh_in" comment "nft(service=ssh)"
\t\tip saddr 192.0.2.1 counter name ip saddr map { 192.0.2.1 : "web" } comment "nft(service=web)"
\t\ttcp dport 80 counter packets 3 bytes 180 comment "nft(service=http)"
\t\ttcp dport 443 counter packets 5 bytes 500 counter packets 7 bytes 700 comment "nft(service=https)"
\t\tudp dport 53 accept comment "nft(service=dns)"
\t}
}
"""
# Key shapes beyond plain values: a verdict map, concatenated intervals (pipapo: inclusive KEY_END), an IPv6
# prefix, ether_addr.
SHAPES = """table inet firewall {
\tmap vm { type ipv4_addr : verdict; counter; elements = { 192.0.2.1 counter packets 2 bytes 200 : accept } }
\tset cc { type ipv4_addr . inet_service; flags interval; counter; elements = { 10.0.0.0/24 . 1000-2000 counter packets 1 bytes 10, 192.0.2.5 . 22 counter packets 3 bytes 30 } }
\tset v6n { type ipv6_addr; flags interval; counter; elements = { 2001:db8::/32 counter packets 4 bytes 40 } }
\tset eth { type ether_addr; counter; elements = { 02:00:00:00:00:01 counter packets 5 bytes 50 } }
}
"""
# Keys beyond addresses and ports: a mark (the kernel keeps it in host byte order), a mark . inet_service
# concatenation, ether types and protocols (nft prints some by name).
KEYS = """table inet firewall {
\tset mk { type mark; counter; elements = { 0x0000002a counter packets 6 bytes 60 } }
\tset mkp { type mark . inet_service; counter; elements = { 0x00000007 . 22 counter packets 7 bytes 70 } }
\tset et { type ether_type; counter; elements = { ip6 counter packets 8 bytes 80, 0x1234 counter packets 9 bytes 90 } }
\tset pr { type inet_proto; counter; elements = { tcp counter packets 1 bytes 10, 253 counter packets 2 bytes 20 } }
}
"""
# clients gets its elements (with counters) from `nft add element`, as `update @clients` would add them.
SETS_EXTRA = "add element inet firewall clients { 203.0.113.1 counter packets 9 bytes 900, 203.0.113.2 counter packets 1 bytes 99 }\n"

# Tables in three states: one with a comment holding two chains, a named set, a rule's anonymous set and a
# counter object (the use count: 5); a dormant one with a chain; an empty one.
TABLES = """table inet fw {
\tcomment "nft(zone=edge)"
\tset blocked { type ipv4_addr; }
\tcounter dropped { }
\tchain input {
\t\ttype filter hook input priority 0; policy accept;
\t\tip saddr { 192.0.2.1, 192.0.2.2 } counter
\t}
\tchain other {
\t}
}
table ip off {
\tflags dormant
\tchain forward {
\t\ttype filter hook forward priority 0; policy drop;
\t}
}
table ip6 empty {
}
"""

# name: (description, ruleset, message type, family, table, set, nft oracle command)
SCENARIOS = {
    "objects": ("GETOBJ dump (family 0, no filter): named counters incl. u64 max-1/max, a comment with nft(...), "
                "quotas until/over, a limit object, a counter in table ip other",
                OBJECTS, GETOBJ, 0, None, None, ["list", "ruleset"]),
    "chains": ("GETCHAIN dump (family 0, no filter): every chain of every family", OBJECTS + SETS.replace(
        "table inet firewall", "table bridge firewall2").replace("\t\tip saddr 192.0.2.0/24 update @clients { ip saddr }\n", ""), GETCHAIN, 0, None, None, ["list", "chains"]),
    "sets": ("GETSET dump (family 0): named sets with counter (dynamic, interval, ipv6, inet_service, "
             "concatenation) and one without", SETS, GETSET, 0, None, None, ["list", "sets"]),
}
SCENARIOS["tables"] = ("GETTABLE dump (family 0): a table with a comment, chains, sets and an object; a dormant "
                       "table; an empty one", TABLES, GETTABLE, 0, None, None, ["list", "ruleset"])
# (request attributes 1 and 2 are the table and the chain for GETRULE as for GETSETELEM)
SCENARIOS["rules-objref"] = ("GETRULE dump of chain accounting: rules counting in a named counter (objref, objref "
                             "map), a rule counter, two counters in one rule, no counter",
                             RULES_OBJREF, GETRULE, 1, "firewall", "accounting",
                             ["list", "chain", "inet", "firewall", "accounting"])
for _name in ("clients", "nets", "v6", "ports", "pairs"):
    SCENARIOS[f"setelem-counters-{_name}"] = (
        f"GETSETELEM dump of set {_name} (declared with counter; elements with counters and comments)",
        SETS, GETSETELEM, 1, "firewall", _name, ["list", "set", "inet", "firewall", _name])
SCENARIOS["sets-shapes"] = ("GETSET dump (family 0): a verdict map, a concatenated interval set, an IPv6 interval set "
                            "and an ether_addr set, all with counters", SHAPES, GETSET, 0, None, None, ["list", "sets"])
for _name in ("vm", "cc", "v6n", "eth"):
    SCENARIOS[f"setelem-shapes-{_name}"] = (
        f"GETSETELEM dump of {_name} (see sets-shapes)", SHAPES, GETSETELEM, 1, "firewall", _name,
        ["list", "set" if _name != "vm" else "map", "inet", "firewall", _name])

SCENARIOS["sets-keys"] = ("GETSET dump (family 0): a mark set, a mark . inet_service concatenation, an ether_type "
                          "set and an inet_proto set, all with counters", KEYS, GETSET, 0, None, None, ["list", "sets"])
for _name in ("mk", "mkp", "et", "pr"):
    SCENARIOS[f"setelem-keys-{_name}"] = (
        f"GETSETELEM dump of {_name} (see sets-keys)", KEYS, GETSETELEM, 1, "firewall", _name,
        ["list", "set", "inet", "firewall", _name])


def request(mtype, family, table, set_, seq):
    flags = cf.NLM_F_REQUEST | cf.NLM_F_DUMP
    attrs = b"" if table is None else (cf.nla(1, table.encode() + b"\0") + cf.nla(2, set_.encode() + b"\0"))
    body = struct.pack("=BBH", family, 0, 0) + attrs
    return flags, struct.pack("=IHHII", 16 + len(body), mtype, flags, seq, 0) + body


def inner(outdir, parent_ns):
    if os.readlink("/proc/self/ns/net") == parent_ns:
        sys.exit("refusing to run --inner in the caller's network namespace")
    kernel, nft_version = os.uname().release, cf.nft("--version").stdout.strip()
    for seq, (name, (desc, rs, mtype, fam, table, set_, oracle)) in enumerate(SCENARIOS.items(), start=1):
        cf.nft("flush", "ruleset")
        cf.nft("-f", "-", stdin=rs + (SETS_EXTRA if rs is SETS else ""))
        flags, req = request(mtype, fam, table, set_, seq)
        dgrams = cf.capture(req)
        fixture = {"description": desc, "kernel": kernel, "nftVersion": nft_version,
                   "request": {"type": mtype, "flags": flags, "family": fam, "table": table, "set": set_,
                               "seq": seq, "hex": req.hex()},
                   "datagrams": [d.hex() for d in dgrams], "nft": cf.nft("-j", *oracle).stdout, "ruleset": rs}
        with open(os.path.join(outdir, f"{name}.json"), "w", encoding="utf-8") as f:
            json.dump(fixture, f, indent=2, ensure_ascii=False)
            f.write("\n")
        msgs = [t for d in dgrams for t, _, _ in cf.messages(d)]
        print(f"{name:26} datagrams={len(dgrams):2} messages={len(msgs):3}")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--inner":
        inner(sys.argv[2], sys.argv[3])
    else:
        cf.outer(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "test", "fixtures", "sources"), __file__, "nfprom-fx5")
