import { hostU32 } from "../netlink/byteorder.js";
import { FAMILIES } from "../nftables/constants.js";
import { BitwiseOp } from "../nftables/expr/bitwise.js";
import { CmpOp } from "../nftables/expr/cmp.js";
import { CtKey } from "../nftables/expr/ct.js";
import type { Expr } from "../nftables/expr/index.js";
import { NFT_LOOKUP_F_INV } from "../nftables/expr/lookup.js";
import { MetaKey } from "../nftables/expr/meta.js";
import { PayloadBase } from "../nftables/expr/payload.js";
import { RangeOp } from "../nftables/expr/range.js";

/**
 * Rule-derived match facts. nft compiles `ip saddr 10.0.0.0/8 tcp dport 22` into a register machine:
 * a `payload` or `meta` expression loads a field into a register, an optional `bitwise` masks it, and a
 * `cmp`, `range` or `lookup` tests it. interpretRule replays that flow over the decoded expressions and
 * records, per field, what the rule requires of it. Anything it cannot follow exactly becomes
 * `{kind: "unknown"}` so that the label renders empty: a derived label is never a guess.
 */
export type Field =
  | "saddr"
  | "daddr"
  | "sport"
  | "dport"
  | "l4proto"
  | "nfproto"
  | "iifname"
  | "oifname"
  | "ct_state";

/** Match is what a rule requires of one field. Values are big-endian, as on the wire. */
export type Match =
  /** `==` a value; `bits` < data.length*8 for prefixes (`10.0.0.0/8`). */
  | { kind: "eq"; data: Buffer; bits: number }
  /** An inclusive range (`1000-2000`, `< 1024`), as unsigned integers of the field's width. */
  | { kind: "range"; from: bigint; to: bigint }
  /** Membership of an anonymous set, whose elements are read separately (see src/sources/rules/derive.ts). */
  | { kind: "set"; set: string }
  /** Any of these flag bits (`ct state established,related`). */
  | { kind: "bits"; bits: number }
  /** Negated, masked in a non-prefix way, a named set, given twice: not renderable. */
  | { kind: "unknown" };

export type MatchFacts = Partial<Record<Field, Match>>;

/** A register's content: which field, how many bytes of it, under which mask. */
interface Source {
  field: Field | "ethertype";
  len: number;
  mask: Buffer | undefined;
}

/** Widths (bytes) of the fields; an address is 4 or 16 bytes depending on the network protocol. */
const PORT_WIDTH = 2;
const IFNAME_WIDTH = 16;
const NFPROTO_IPV4 = 2;
const NFPROTO_IPV6 = 10;
const ETHERTYPE_NFPROTO: Record<number, number> = { 2048: NFPROTO_IPV4, 34525: NFPROTO_IPV6 };
/** Transport protocols whose header starts with source and destination port (RFC 793, 768, 4960, 4340, 3828). */
const PORT_PROTOCOLS = new Set([6, 17, 132, 33, 136]);

/** Network-header layout per protocol: offset → field, and the field width. */
const NETWORK_FIELDS: Record<number, { width: number; fields: Record<number, Field>; l4: number }> = {
  [NFPROTO_IPV4]: { width: 4, fields: { 12: "saddr", 16: "daddr" }, l4: 9 },
  [NFPROTO_IPV6]: { width: 16, fields: { 8: "saddr", 24: "daddr" }, l4: 6 },
};

/** interpretRule returns the match facts of one rule of NFPROTO family `family`. Never throws. */
export function interpretRule(family: number, exprs: readonly Expr[]): MatchFacts {
  const facts: MatchFacts = {};
  if (family === FAMILIES.ip) facts.nfproto = { kind: "eq", data: Buffer.from([NFPROTO_IPV4]), bits: 8 };
  if (family === FAMILIES.ip6) facts.nfproto = { kind: "eq", data: Buffer.from([NFPROTO_IPV6]), bits: 8 };
  const regs = new Registers();
  for (const e of exprs) step(e, regs, facts);
  return facts;
}

function step(e: Expr, regs: Registers, facts: MatchFacts): void {
  switch (e.kind) {
    case "payload":
      if (e.dreg !== undefined) regs.load(e.dreg, e.len, payloadSource(e.base, e.offset, e.len, facts));
      return;
    case "meta":
      if (e.dreg !== undefined) regs.load(e.dreg, metaLen(e.key), metaSource(e.key));
      return;
    case "ct":
      if (e.dreg !== undefined)
        regs.load(e.dreg, 4, e.key === CtKey.state && e.direction === undefined ? ctState() : undefined);
      return;
    case "bitwise":
      regs.load(e.dreg, e.len, masked(regs.get(e.sreg), e.op, e.mask, e.xor));
      return;
    case "cmp":
      onCmp(regs.get(e.sreg), e.op, e.data, facts);
      return;
    case "range":
      onRange(regs.get(e.sreg), e.op, e.from, e.to, facts);
      return;
    case "lookup":
      if (e.dreg !== undefined)
        regs.clobber(e.dreg, IFNAME_WIDTH); // a map: selects, does not match
      else onLookup(regs.get(e.sreg), e.set, e.flags, facts);
      return;
    case "counter":
      return;
    case "unknown":
      // An expression we do not decode may write any register: forget them all rather than misread one.
      regs.clear();
      return;
  }
}

function payloadSource(base: number, offset: number, len: number, facts: MatchFacts): Source | undefined {
  if (base === PayloadBase.network) {
    const layout = NETWORK_FIELDS[eqValue(facts.nfproto) ?? -1];
    if (!layout) return undefined;
    if (offset === layout.l4 && len === 1) return { field: "l4proto", len, mask: undefined };
    const field = layout.fields[offset];
    return field && len <= layout.width ? { field, len, mask: undefined } : undefined;
  }
  if (base === PayloadBase.transport && PORT_PROTOCOLS.has(eqValue(facts.l4proto) ?? -1) && len === 2) {
    if (offset === 0) return { field: "sport", len, mask: undefined };
    if (offset === 2) return { field: "dport", len, mask: undefined };
  }
  return undefined;
}

const META_FIELDS: Partial<Record<number, { field: Source["field"]; len: number }>> = {
  [MetaKey.protocol]: { field: "ethertype", len: 2 },
  [MetaKey.nfproto]: { field: "nfproto", len: 1 },
  [MetaKey.l4proto]: { field: "l4proto", len: 1 },
  [MetaKey.iifname]: { field: "iifname", len: IFNAME_WIDTH },
  [MetaKey.oifname]: { field: "oifname", len: IFNAME_WIDTH },
};

/** metaLen is how many bytes a meta load may write; unknown keys are assumed as wide as a 16-byte register. */
function metaLen(key: number): number {
  return META_FIELDS[key]?.len ?? IFNAME_WIDTH;
}

function metaSource(key: number): Source | undefined {
  const m = META_FIELDS[key];
  return m && { field: m.field, len: m.len, mask: undefined };
}

function ctState(): Source {
  return { field: "ct_state", len: 4, mask: undefined };
}

/** masked applies a bitwise AND (xor zero) to a source; shifts and xors make it unrecognisable. */
function masked(src: Source | undefined, op: number, mask: Buffer, xor: Buffer): Source | undefined {
  if (!src || op !== BitwiseOp.maskXor || xor.some((b) => b !== 0) || src.mask) return undefined;
  return mask.length === src.len ? { ...src, mask } : undefined;
}

function onCmp(src: Source | undefined, op: number, data: Buffer, facts: MatchFacts): void {
  if (!src) return;
  if (src.field === "ct_state") {
    // `ct state a,b` is (state & mask) != 0; the state is a host-order u32 in the register, so is the mask.
    const ok = op === CmpOp.neq && src.mask !== undefined && data.every((b) => b === 0);
    record(facts, "ct_state", ok ? { kind: "bits", bits: hostU32(src.mask as Buffer, 0) } : unknown);
    return;
  }
  if (src.field === "ethertype") {
    const nfproto =
      op === CmpOp.eq && data.length === 2 ? ETHERTYPE_NFPROTO[data.readUInt16BE(0)] : undefined;
    record(facts, "nfproto", nfproto ? { kind: "eq", data: Buffer.from([nfproto]), bits: 8 } : unknown);
    return;
  }
  if (op === CmpOp.eq) {
    record(facts, src.field, eqMatch(src, data));
    return;
  }
  // `tcp dport 1000-2000` arrives as two cmps (>= 1000, <= 2000): intersect the bounds into one range.
  const bound = boundOf(src, op, data);
  const prev = facts[src.field];
  if (!bound || (prev && prev.kind !== "range")) {
    record(facts, src.field, unknown);
    return;
  }
  const base = prev ?? { kind: "range", from: 0n, to: maxOf(src.len) };
  facts[src.field] = {
    kind: "range",
    from: bound.from > base.from ? bound.from : base.from,
    to: bound.to < base.to ? bound.to : base.to,
  };
}

/**
 * eqMatch: `==` on a whole field, a byte prefix of it (`/8`), a contiguous mask of it (`/12`), or an
 * interface-name prefix (`"eth*"`).
 */
function eqMatch(src: Source, data: Buffer): Match {
  // Interface names compare only the bytes given: "eth0\0" is exact, "veth" (from `"veth*"`) a prefix.
  const isName = src.field === "iifname" || src.field === "oifname";
  if (isName && !src.mask && data.length > 0 && data.length <= src.len) {
    return { kind: "eq", data, bits: data.length * 8 };
  }
  if (data.length !== src.len) return unknown;
  if (!src.mask) return { kind: "eq", data, bits: src.len * 8 };
  const bits = prefixBits(src.mask);
  return bits === undefined ? unknown : { kind: "eq", data, bits };
}

/** boundOf turns `<`, `<=`, `>`, `>=` on a whole, unmasked field into an inclusive bound. */
function boundOf(src: Source, op: number, data: Buffer): { from: bigint; to: bigint } | undefined {
  if (src.mask || data.length !== src.len || !isFullWidth(src)) return undefined;
  const v = toBig(data);
  const max = maxOf(src.len);
  if (op === CmpOp.lt && v > 0n) return { from: 0n, to: v - 1n };
  if (op === CmpOp.lte) return { from: 0n, to: v };
  if (op === CmpOp.gt && v < max) return { from: v + 1n, to: max };
  if (op === CmpOp.gte) return { from: v, to: max };
  return undefined;
}

function onRange(src: Source | undefined, op: number, from: Buffer, to: Buffer, facts: MatchFacts): void {
  if (!src) return;
  const ok =
    op === RangeOp.eq && !src.mask && isFullWidth(src) && from.length === src.len && to.length === src.len;
  record(facts, src.field, ok ? { kind: "range", from: toBig(from), to: toBig(to) } : unknown);
}

/** Anonymous sets are named `__set<n>` by nft; named sets (`@blocklist`) change apart from the rule. */
function onLookup(src: Source | undefined, set: string, flags: number, facts: MatchFacts): void {
  if (!src) return;
  const ok = (flags & NFT_LOOKUP_F_INV) === 0 && set.startsWith("__set") && !src.mask && isFullWidth(src);
  record(facts, src.field, ok ? { kind: "set", set } : unknown);
}

const unknown: Match = { kind: "unknown" };

/** record sets a fact; a field tested twice (other than by two bounds) is no longer renderable. */
function record(facts: MatchFacts, field: Source["field"], m: Match): void {
  if (field === "ethertype") return;
  const prev = facts[field];
  if (prev !== undefined && !sameMatch(prev, m)) facts[field] = unknown;
  else facts[field] = m;
}

function sameMatch(a: Match, b: Match): boolean {
  return a.kind === "eq" && b.kind === "eq" && a.bits === b.bits && a.data.equals(b.data);
}

/** isFullWidth: the load covers the whole field (addresses may be loaded partially for prefixes). */
function isFullWidth(src: Source): boolean {
  if (src.field === "saddr" || src.field === "daddr") return src.len === 4 || src.len === 16;
  if (src.field === "sport" || src.field === "dport") return src.len === PORT_WIDTH;
  return true;
}

/** eqValue returns a one-byte `==` fact's value (nfproto, l4proto), else undefined. */
export function eqValue(m: Match | undefined): number | undefined {
  return m?.kind === "eq" && m.data.length === 1 && m.bits === 8 ? m.data.readUInt8(0) : undefined;
}

/** prefixBits counts the leading ones of a contiguous mask (1…10…0); undefined for any other mask. */
export function prefixBits(mask: Buffer): number | undefined {
  let bits = 0;
  let ended = false;
  for (const byte of mask) {
    for (let bit = 7; bit >= 0; bit--) {
      const one = (byte >> bit) & 1;
      if (one && ended) return undefined;
      if (one) bits++;
      else ended = true;
    }
  }
  return bits;
}

export function toBig(data: Buffer): bigint {
  return data.length === 0 ? 0n : BigInt(`0x${data.toString("hex")}`);
}

function maxOf(len: number): bigint {
  return (1n << BigInt(len * 8)) - 1n;
}

/** Registers tracks what each 32-bit register slot holds. NFT_REG_1..4 are 16 bytes (4 slots) each. */
class Registers {
  #slots = new Map<number, Source>();

  load(reg: number, len: number, src: Source | undefined): void {
    this.clobber(reg, len);
    const slot = slotOf(reg);
    if (src && slot !== undefined) this.#slots.set(slot, src);
  }

  get(reg: number): Source | undefined {
    const slot = slotOf(reg);
    return slot === undefined ? undefined : this.#slots.get(slot);
  }

  /** clobber forgets every source overlapping the `len` bytes written at `reg`. */
  clobber(reg: number, len: number): void {
    const slot = slotOf(reg);
    if (slot === undefined) {
      this.clear();
      return;
    }
    const end = slot + Math.ceil(len / 4);
    for (const [s, src] of this.#slots)
      if (s < end && s + Math.ceil(src.len / 4) > slot) this.#slots.delete(s);
  }

  clear(): void {
    this.#slots.clear();
  }
}

/** enum nft_registers: NFT_REG_1..NFT_REG_4 = 1..4 (16 bytes), NFT_REG32_00..15 = 8..23 (4 bytes). */
function slotOf(reg: number): number | undefined {
  if (reg >= 1 && reg <= 4) return (reg - 1) * 4;
  if (reg >= 8 && reg <= 23) return reg - 8;
  return undefined;
}
