#!/usr/bin/env python3
"""Capture the kernel's answers for the readers' failure paths as JSON fixtures in test/fixtures/kernel/:
ruleset generations before and after a commit, the commit barrier's reply, a rule dump torn by a commit
(NLM_F_DUMP_INTR), a dump refused without CAP_NET_ADMIN (EPERM), lookups of what does not exist (ENOENT), and a
family-0 read: the chain looked up in every family in one datagram, and its rule dumps in the two families that have it.

    npx tsc -p tsconfig.json && sudo python3 scripts/capture-kernel-fixtures.py [OUTDIR]

Like capture-fixtures.py it works in a throw-away network namespace `nfprom-fxk-<pid>` and never touches the
caller's ruleset. The requests are nfprom's own (built by dist/src/nftables/requests.js), so the fake kernel
of the unit tests (test/unit/helpers/fake-kernel.ts) recognises them byte for byte. A fixture holds:
description, kernel, nftVersion, request {type, flags, family, table, chain, seq, hex}, datagrams (hex),
rules ([]: no oracle here) and ruleset.
"""
import importlib.util, json, os, socket, struct, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
_spec = importlib.util.spec_from_file_location("capture_fixtures", os.path.join(HERE, "capture-fixtures.py"))
cf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cf)

NLM_F_DUMP_INTR = 0x10
# Enough rules with comments that the dump takes several datagrams: a commit between two of them tears it.
MANY = "table inet firewall {\n\tchain accounting {\n" + "".join(
    f'\t\ttcp dport {1000 + i} counter packets {i} bytes {100 * i} comment "nft(service=s{i:03};padding=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)"\n'
    for i in range(150)) + "\t}\n}\n"
GONE = ("table inet firewall {\n\tset gone { type ipv4_addr; counter; }\n\tset kept { type ipv4_addr; counter; "
        "elements = { 192.0.2.1 counter packets 2 bytes 120 } }\n}\n")
# Adjacent intervals (one ends where the next begins) and a range beside them, in a named set with counters
# and in the anonymous set of a rule: how the kernel stores the boundaries decides how they pair.
ADJACENT = """table inet firewall {
\tset adj { type ipv4_addr; flags interval; counter; elements = { 10.0.0.0/8 counter packets 1 bytes 10, 11.0.0.0/8 counter packets 2 bytes 20, 12.0.0.1-12.0.0.9 counter packets 3 bytes 30 } }
\tchain accounting {
\t\tip saddr { 10.0.0.0/8, 11.0.0.0/8, 12.0.0.1-12.0.0.9 } counter comment "nft(case=adjacent)"
\t}
}
"""
SMALL = "table inet firewall {\n\tchain accounting {\n\t\ttcp dport 22 counter comment \"nft(service=ssh)\"\n\t}\n}\n"
# The same chain in two families: a family-0 read looks it up in every family, in one datagram.
TWO_FAMILIES = SMALL + ("table ip firewall {\n\tchain accounting {\n\t\tudp dport 53 counter packets 2 bytes 150 "
                        "comment \"nft(service=dns)\"\n\t}\n}\n")
# nftables/chain-dump.ts LOOKUP_ORDER: inet, ip, ip6, netdev, bridge, arp.
LOOKUP_FAMILIES = [1, 2, 10, 5, 7, 3]


def nfprom_request(expr, seq):
    """The request nfprom sends, built by its own code (dist/src/nftables/requests.js)."""
    js = (f"import * as r from '{ROOT}/dist/src/nftables/requests.js';"
          f"process.stdout.write(({expr}).toString('hex'));")
    out = subprocess.run(["node", "--input-type=module", "-e", js.replace("SEQ", str(seq))],
                         capture_output=True, text=True, check=True).stdout
    return bytes.fromhex(out)


def open_socket():
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, cf.NETLINK_NETFILTER)
    s.setsockopt(cf.SOL_NETLINK, cf.NETLINK_EXT_ACK, 1)
    s.setsockopt(cf.SOL_NETLINK, cf.NETLINK_CAP_ACK, 1)
    s.bind((0, 0))
    s.settimeout(5)
    return s


def receive_all(s, between=None):
    """Every datagram until NLMSG_DONE or NLMSG_ERROR; `between` runs once, after the first datagram."""
    out = []
    while True:
        d = s.recv(65536)
        out.append(d)
        if any(t in (cf.NLMSG_DONE, cf.NLMSG_ERROR) for t, _, _ in cf.messages(d)):
            return out
        if between and len(out) == 1:
            between()


def capture(req, between=None):
    s = open_socket()
    try:
        s.send(req)
        return receive_all(s, between)
    finally:
        s.close()


def capture_lookups(req, count):
    """The answers to `count` lookups sent in one datagram: every datagram until each has its ACK or error."""
    s = open_socket()
    try:
        s.send(req)
        out, answered = [], 0
        while answered < count:
            d = s.recv(65536)
            out.append(d)
            answered += sum(t == cf.NLMSG_ERROR for t, _, _ in cf.messages(d))
        return out
    finally:
        s.close()


def capture_barrier(req):
    """The barrier's reply: an ACK of BATCH_END when the kernel sends one, else nothing."""
    s = open_socket()
    try:
        s.send(req)
        s.settimeout(0.5)
        try:
            return [s.recv(65536)]
        except socket.timeout:
            return []
    finally:
        s.close()


def capture_unprivileged(req):
    """The request sent by a process without CAP_NET_ADMIN (uid/gid 65534), as the web user would."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            os.write(w, json.dumps([d.hex() for d in capture(req)]).encode())
        finally:
            os._exit(0)
    os.close(w)
    data = b""
    while chunk := os.read(r, 65536):
        data += chunk
    os.waitpid(pid, 0)
    return [bytes.fromhex(h) for h in json.loads(data)]


def generation_of(dgrams):
    for d in dgrams:
        for t, _, payload in cf.messages(d):
            if t == 0x0A0F:  # NFT_MSG_NEWGEN
                return struct.unpack_from(">I", payload, 8)[0]  # nfgenmsg, then NFTA_GEN_ID (len 8, type 1)
    return None


def inner(outdir, parent_ns):
    if os.readlink("/proc/self/ns/net") == parent_ns:
        sys.exit("refusing to run --inner in the caller's network namespace")
    kernel, nft_version = os.uname().release, cf.nft("--version").stdout.strip()
    os.makedirs(outdir, exist_ok=True)

    def save(name, desc, ruleset, req, dgrams, table=None, chain=None):
        mtype, flags = struct.unpack_from("=HH", req, 4)
        family = req[16] if len(req) > 16 else 0
        seq = struct.unpack_from("=I", req, 8)[0]
        fixture = {"description": desc, "kernel": kernel, "nftVersion": nft_version,
                   "request": {"type": mtype, "flags": flags, "family": family, "table": table, "chain": chain,
                               "seq": seq, "hex": req.hex()},
                   "datagrams": [d.hex() for d in dgrams], "rules": [], "ruleset": ruleset}
        with open(os.path.join(outdir, f"{name}.json"), "w", encoding="utf-8") as f:
            json.dump(fixture, f, indent=2, ensure_ascii=False)
            f.write("\n")
        flagged = sum(bool(fl & NLM_F_DUMP_INTR) for d in dgrams for _, fl, _ in cf.messages(d))
        print(f"{name:22} datagrams={len(dgrams):2} bytes={sum(map(len, dgrams)):6} dump_intr={flagged}")

    cf.nft("flush", "ruleset")
    cf.nft("-f", "-", stdin=SMALL)
    gen = nfprom_request("r.getGenerationRequest(SEQ)", 1)
    first = capture(gen)
    save("generation-1", "GETGEN: NEWGEN (NFTA_GEN_ID) and the ACK, ruleset SMALL loaded", SMALL, gen, first)
    barrier = nfprom_request("r.commitBarrierRequest(SEQ)", 2)
    save("barrier", "the commit barrier (empty BATCH_BEGIN, BATCH_END with NLM_F_ACK): what the kernel answers",
         SMALL, barrier, capture_barrier(barrier))
    cf.nft("add", "rule", "inet", "firewall", "accounting", "udp", "dport", "53", "counter")
    second = capture(gen)
    save("generation-2", "GETGEN after one more commit (`nft add rule`): the generation moved on", SMALL, gen, second)
    assert generation_of(second) != generation_of(first), "the generation did not move"

    rules = nfprom_request("r.getRulesRequest(SEQ, 1, 'firewall', 'accounting')", 3)
    save("rules-eperm", "GETRULE dump sent without CAP_NET_ADMIN (uid 65534): NLMSG_ERROR EPERM", SMALL, rules,
         capture_unprivileged(rules), "firewall", "accounting")
    chain = nfprom_request("r.getChainRequest(SEQ, 1, 'nosuchtable', 'accounting')", 4)
    save("chain-missing-table", "GETCHAIN of a chain in a table that does not exist: NLMSG_ERROR ENOENT", SMALL,
         chain, capture(chain), "nosuchtable", "accounting")

    cf.nft("flush", "ruleset")
    cf.nft("-f", "-", stdin=GONE)
    sets = nfprom_request("r.getSetsRequest(SEQ)", 5)
    save("sets-gone", "GETSET dump (family 0): sets kept and gone, before gone is deleted", GONE, sets,
         capture(sets))
    kept = nfprom_request("r.getSetElemsRequest(SEQ, 1, 'firewall', 'kept')", 6)
    save("setelem-kept", "GETSETELEM of set kept (see sets-gone)", GONE, kept, capture(kept), "firewall", "kept")
    cf.nft("delete", "set", "inet", "firewall", "gone")
    setelem = nfprom_request("r.getSetElemsRequest(SEQ, 1, 'firewall', 'gone')", 7)
    save("setelem-gone", "GETSETELEM of set gone, deleted since the listing (sets-gone): NLMSG_ERROR ENOENT", GONE,
         setelem, capture(setelem), "firewall", "gone")

    cf.nft("flush", "ruleset")
    cf.nft("-f", "-", stdin=ADJACENT)
    save("sets-adjacent", "GETSET dump (family 0): an interval set of adjacent intervals and a range", ADJACENT,
         sets, capture(sets))
    adj = nfprom_request("r.getSetElemsRequest(SEQ, 1, 'firewall', 'adj')", 8)
    save("setelem-adjacent", "GETSETELEM of set adj (see sets-adjacent)", ADJACENT, adj, capture(adj), "firewall",
         "adj")
    save("rules-adjacent", "GETRULE dump of a rule matching an anonymous set of adjacent intervals", ADJACENT,
         rules, capture(rules), "firewall", "accounting")
    anon = nfprom_request("r.getSetElemsRequest(SEQ, 1, 'firewall', '__set0')", 9)
    save("setelem-adjacent-anonymous", "GETSETELEM of the rule's anonymous set __set0 (see rules-adjacent)",
         ADJACENT, anon, capture(anon), "firewall", "__set0")

    cf.nft("flush", "ruleset")
    cf.nft("-f", "-", stdin=MANY)
    intact = capture(rules)
    save("rules-many", "GETRULE dump of 150 rules with comments, several datagrams", MANY, rules, intact,
         "firewall", "accounting")
    torn = capture(rules, between=lambda: cf.nft("add", "table", "inet", "other"))
    save("rules-dump-intr", "GETRULE dump of the same 150 rules with a commit (`nft add table inet other`) "
         "after its first datagram: the rest is flagged NLM_F_DUMP_INTR", MANY, rules, torn, "firewall",
         "accounting")

    cf.nft("flush", "ruleset")
    cf.nft("-f", "-", stdin=TWO_FAMILIES)
    lookups = nfprom_request(f"Buffer.concat({LOOKUP_FAMILIES}.map((f, i) => "
                             "r.getChainRequest(SEQ + i, f, 'firewall', 'accounting')))", 10)
    save("chain-lookup-batched", "GETCHAIN of firewall/accounting in every family, six lookups in one datagram "
         "(inet, ip, ip6, netdev, bridge, arp): found in inet and ip, ENOENT elsewhere", TWO_FAMILIES, lookups,
         capture_lookups(lookups, len(LOOKUP_FAMILIES)), "firewall", "accounting")
    save("rules-two-families-inet", "GETRULE dump of inet firewall/accounting (see chain-lookup-batched)",
         TWO_FAMILIES, rules, capture(rules), "firewall", "accounting")
    rules_ip = nfprom_request("r.getRulesRequest(SEQ, 2, 'firewall', 'accounting')", 16)
    save("rules-two-families-ip", "GETRULE dump of ip firewall/accounting (see chain-lookup-batched)",
         TWO_FAMILIES, rules_ip, capture(rules_ip), "firewall", "accounting")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--inner":
        inner(sys.argv[2], sys.argv[3])
    else:
        cf.outer(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "test", "fixtures", "kernel"), __file__, "nfprom-fxk")
