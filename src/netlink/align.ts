/** #define NLMSG_ALIGN(len) (((len)+NLMSG_ALIGNTO-1) & ~(NLMSG_ALIGNTO-1)), NLMSG_ALIGNTO = 4 */
export function nlmsgAlign(len: number): number {
  return (len + 3) & ~3;
}

/** #define NLA_ALIGN(len) (((len) + NLA_ALIGNTO - 1) & ~(NLA_ALIGNTO - 1)), NLA_ALIGNTO = 4 */
export function nlaAlign(len: number): number {
  return (len + 3) & ~3;
}
