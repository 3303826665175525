import type { AttributeDecoder } from "../../netlink/attributes.js";
import { NFTA_DATA_VALUE } from "../constants.js";

/**
 * decodeDataValue reads a nested struct nft_data (NFTA_DATA_VALUE) and returns a copy of its bytes, or an
 * empty buffer when it holds a verdict instead. A copy, because expressions outlive the datagram buffer.
 */
export function decodeDataValue(ad: AttributeDecoder): Buffer {
  let value: Buffer = Buffer.alloc(0);
  ad.descend();
  while (ad.next()) if (ad.type === NFTA_DATA_VALUE) value = ad.bytes();
  ad.ascend();
  return value;
}
