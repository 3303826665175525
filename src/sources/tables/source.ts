import type { Config } from "../../config/config.js";
import { ErrorCodes, NfpromError } from "../../errors.js";
import { matchesAny, type NamePattern } from "../../model/pattern.js";
import { AttributeDecoder } from "../../netlink/attributes.js";
import type { NetlinkMessage } from "../../netlink/message.js";
import type { NetlinkSocket } from "../../netlink/socket.js";
import { familyName, NFGENMSG_LEN, nftMessageType } from "../../nftables/constants.js";
import { dumpMessages, nextSequence } from "../../nftables/dump.js";
import { dumpRequest } from "../../nftables/requests.js";
import { commentFromUserdata } from "../../nftables/rule.js";
import { patternsOf, type Sections } from "../slice.js";
import type { Source } from "../source.js";
import { TABLES_FLAG, type Table } from "./slice.js";

/**
 * The nf_tables constants only this source reads, checked against /usr/include/linux/netfilter/nf_tables.h
 * (Linux 6.18 uapi): enum nf_tables_msg_types, enum nft_table_attributes, enum nft_table_flags.
 */
const NFT_MSG_NEWTABLE = 0;
const NFT_MSG_GETTABLE = 1;
const NFTA_TABLE_NAME = 1;
const NFTA_TABLE_FLAGS = 2;
const NFTA_TABLE_USE = 3;
const NFTA_TABLE_USERDATA = 6;
const NFT_TABLE_F_DORMANT = 1 << 0;

/** tablesFor: the tables source the -tables patterns select, if any. */
export function tablesFor(config: Config): Source | undefined {
  const patterns = patternsOf(config, TABLES_FLAG);
  return patterns.length > 0 ? tablesSource(patterns) : undefined;
}

/** tablesSource reads every table with one NFT_MSG_GETTABLE dump of every family and keeps those selected. */
export function tablesSource(patterns: readonly NamePattern[]): Source {
  return {
    name: "tables",
    async collect(sock: NetlinkSocket, shouldStop: () => boolean): Promise<Sections> {
      const tables: Table[] = [];
      const seq = nextSequence();
      const keep = (msg: NetlinkMessage) => {
        const { familyNumber, table } = tableFromMessage(msg);
        if (matchesAny(patterns, familyNumber, table.table, "")) tables.push(table);
      };
      await dumpMessages(sock, tablesRequest(seq), seq, "dump tables", keep, shouldStop);
      return { tables };
    },
  };
}

/** tablesRequest dumps every table of every family: its flags, use count and comment. */
export function tablesRequest(seq: number): Buffer {
  return dumpRequest(NFT_MSG_GETTABLE, seq);
}

const NEWTABLE = nftMessageType(NFT_MSG_NEWTABLE);

/** tableFromMessage decodes one NFT_MSG_NEWTABLE; malformed input throws NFPROM_DECODE. */
export function tableFromMessage(msg: NetlinkMessage): { familyNumber: number; table: Table } {
  if (msg.type !== NEWTABLE || msg.payload.length < NFGENMSG_LEN) {
    const got = `message type 0x${msg.type.toString(16)}`;
    throw new NfpromError(ErrorCodes.DECODE, `nftables: expected NFT_MSG_NEWTABLE, got ${got}`);
  }
  const familyNumber = msg.payload[0] as number;
  const table: Table = {
    family: familyName(familyNumber),
    table: "",
    comment: undefined,
    dormant: false,
    use: 0,
  };
  const ad = new AttributeDecoder(msg.payload, "big", NFGENMSG_LEN);
  while (ad.next()) {
    if (ad.type === NFTA_TABLE_NAME) table.table = ad.string();
    else if (ad.type === NFTA_TABLE_USE) table.use = ad.u32();
    else if (ad.type === NFTA_TABLE_USERDATA) table.comment = ad.parsePayload(commentFromUserdata);
    else if (ad.type === NFTA_TABLE_FLAGS) table.dormant = (ad.u32() & NFT_TABLE_F_DORMANT) !== 0;
  }
  if (ad.err) throw new NfpromError(ErrorCodes.DECODE, `nftables: table: ${ad.err.message}`);
  return { familyNumber, table };
}
