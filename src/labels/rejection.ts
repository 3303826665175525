/** Rejection: a rule the label policy refused or adjusted, and why (logged once, listed by `check`). */
export interface Rejection {
  handle: bigint;
  comment: string | undefined;
  reason: string;
}
