import { hostU16, writeHostI32, writeHostU16, writeHostU32 } from "../../../src/netlink/byteorder.js";

/** Byte builders for hand-made netlink input. Headers are host order, like the kernel writes them. */

/** Bytes is a Buffer, a UTF-8 string or byte values. */
export type Bytes = Buffer | string | readonly number[];

function toBuffer(b: Bytes): Buffer {
  if (Buffer.isBuffer(b)) return b;
  return typeof b === "string" ? Buffer.from(b, "utf8") : Buffer.from(b);
}

/** pad4 appends zero bytes up to the next multiple of 4 (NLA_ALIGN / NLMSG_ALIGN). */
export function pad4(b: Buffer): Buffer {
  const padded = Buffer.alloc((b.length + 3) & ~3);
  b.copy(padded);
  return padded;
}

/** attrHeader is a host-order struct nlattr header: u16 length, u16 type. */
export function attrHeader(length: number, type: number): Buffer {
  const h = Buffer.alloc(4);
  writeHostU16(h, length, 0);
  writeHostU16(h, type, 2);
  return h;
}

/** attr encodes one attribute with its padding; `length` overrides the header's length field. */
export function attr(type: number, payload: Bytes, length?: number): Buffer {
  const p = toBuffer(payload);
  return pad4(Buffer.concat([attrHeader(length ?? 4 + p.length, type), p]));
}

/** attrs concatenates already-encoded attributes. */
export function attrs(...list: Buffer[]): Buffer {
  return Buffer.concat(list);
}

export function u32be(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v);
  return b;
}

export function u64be(v: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(v);
  return b;
}

/** hostI32 and hostU32 write a host-order 32-bit value (nlmsgerr.error, OFFS). */
export function hostI32(v: number): Buffer {
  const b = Buffer.alloc(4);
  writeHostI32(b, v, 0);
  return b;
}

export function hostU32(v: number): Buffer {
  const b = Buffer.alloc(4);
  writeHostU32(b, v, 0);
  return b;
}

export interface MessageSpec {
  type: number;
  flags?: number;
  seq?: number;
  pid?: number;
  payload?: Bytes;
  /** Overrides nlmsg_len (to fake truncation). */
  length?: number;
}

/** nlmsg encodes one struct nlmsghdr plus payload, padded to 4 bytes. */
export function nlmsg(spec: MessageSpec): Buffer {
  const payload = toBuffer(spec.payload ?? []);
  const h = Buffer.alloc(16);
  const len = spec.length ?? 16 + payload.length;
  writeHostU32(h, len, 0);
  writeHostU16(h, spec.type, 4);
  writeHostU16(h, spec.flags ?? 0, 6);
  writeHostU32(h, spec.seq ?? 0, 8);
  writeHostU32(h, spec.pid ?? 0, 12);
  return pad4(Buffer.concat([h, payload]));
}

/** orFlags returns a copy of `datagram` with the nlmsg_flags of the message at `offset` or-ed with `flags`. */
export function orFlags(datagram: Buffer, offset: number, flags: number): Buffer {
  const copy = Buffer.from(datagram);
  writeHostU16(copy, hostU16(copy, offset + 6) | flags, offset + 6);
  return copy;
}

/** hexdump renders 4 bytes per line with offsets, like `nft --debug=mnl`, so assert diffs show where. */
export function hexdump(b: Buffer): string {
  const lines: string[] = [];
  for (let off = 0; off < b.length; off += 4) {
    const chunk = b.subarray(off, off + 4);
    const hex = [...chunk].map((x) => x.toString(16).padStart(2, "0")).join(" ");
    const ascii = [...chunk].map((x) => (x >= 0x20 && x < 0x7f ? String.fromCharCode(x) : ".")).join("");
    lines.push(`${off.toString().padStart(5)}  ${hex.padEnd(11)}  ${ascii}`);
  }
  return lines.join("\n");
}
