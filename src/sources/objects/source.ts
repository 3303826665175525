import type { Config } from "../../config/config.js";
import { matchesAny, type NamePattern } from "../../model/pattern.js";
import { CounterColumnsBuilder } from "../../model/source-columns.js";
import type { NetlinkSocket } from "../../netlink/socket.js";
import { familyName } from "../../nftables/constants.js";
import { NFT_QUOTA_F_DEPLETED, NFT_QUOTA_F_INV } from "../../nftables/constants-sources.js";
import { dumpMessages, nextSequence } from "../../nftables/dump.js";
import { counterObjectFromMessage, type NftObject, objectFromMessage } from "../../nftables/object.js";
import { getObjectsRequest } from "../../nftables/requests.js";
import { patternsOf, type Sections } from "../slice.js";
import type { Source } from "../source.js";
import { COUNTERS_FLAG, QUOTAS_FLAG, type Quota } from "./slice.js";

/** objectsFor: the objects source the -counters and -quotas patterns select, if any. */
export function objectsFor(config: Config): Source | undefined {
  const [counters, quotas] = [patternsOf(config, COUNTERS_FLAG), patternsOf(config, QUOTAS_FLAG)];
  if (counters.length === 0 && quotas.length === 0) return undefined;
  return objectsSource(counters, quotas);
}

/**
 * objectsSource reads named counters and quotas with one NFT_MSG_GETOBJ dump of every family (1.3 s for
 * 100k objects in an early measurement) and keeps those the patterns select. An empty pattern list turns that
 * object type off: its section stays absent from the snapshot.
 */

export function objectsSource(counters: readonly NamePattern[], quotas: readonly NamePattern[]): Source {
  /** Named counters at the last read: the next read's columns are sized for as many. */
  let lastCount = 0;
  return {
    name: "objects",
    async collect(sock: NetlinkSocket, shouldStop: () => boolean): Promise<Sections> {
      const named = counters.length > 0 ? new CounterColumnsBuilder(lastCount) : undefined;
      const words = new Uint32Array(4);
      const found: { quotas?: Quota[] } = {};
      if (quotas.length > 0) found.quotas = [];
      const keep = (obj: NftObject) => {
        if (obj.counter && named && matchesAny(counters, obj.family, obj.table, obj.name)) {
          const { family, table, name, comment } = obj;
          named.add(familyName(family), table, name, comment, obj.counter.bytes, obj.counter.packets);
        } else if (obj.quota && found.quotas && matchesAny(quotas, obj.family, obj.table, obj.name)) {
          const { bytes, consumed, flags } = obj.quota;
          found.quotas.push({
            ...identity(obj),
            limitBytes: bytes,
            usedBytes: consumed,
            inverted: (flags & NFT_QUOTA_F_INV) !== 0,
            depleted: (flags & NFT_QUOTA_F_DEPLETED) !== 0,
          });
        }
      };
      const seq = nextSequence();
      await dumpMessages(
        sock,
        getObjectsRequest(seq),
        seq,
        "dump objects",
        (msg) => {
          // Named counters (the many) without a bigint; quotas and the rest through the general decoder.
          const counter = named && counterObjectFromMessage(msg, words);
          if (!counter) keep(objectFromMessage(msg));
          else if (matchesAny(counters, counter.family, counter.table, counter.name))
            named?.addWords(familyName(counter.family), counter.table, counter.name, counter.comment, words);
        },
        shouldStop,
      );
      if (!named) return found;
      const columns = named.finish();
      lastCount = columns.names.length;
      return { ...found, counters: columns };
    },
  };
}

function identity(obj: NftObject): {
  family: string;
  table: string;
  name: string;
  comment: string | undefined;
} {
  return { family: familyName(obj.family), table: obj.table, name: obj.name, comment: obj.comment };
}
