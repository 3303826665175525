import koffi from "koffi";
import { fs } from "../builtins.js";
import { libc } from "../libc.js";
import { writeHostU32 } from "../netlink/byteorder.js";

const { readFileSync } = fs;

/**
 * Capability and identity handling, through libc (prctl, capset) and /proc. Used by the reader to check
 * what it holds and by the web process to give up whatever it inherited before it opens a socket.
 */
const prctl = libc.func(
  "int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)",
);
const capset = libc.func("int capset(void *header, void *data)");

const PR_SET_DUMPABLE = 4;
const PR_SET_NO_NEW_PRIVS = 38;
const PR_CAP_AMBIENT = 47;
const PR_CAP_AMBIENT_CLEAR_ALL = 4;
const _LINUX_CAPABILITY_VERSION_3 = 0x20080522;
export const CAP_NET_ADMIN = 12;

/**
 * dropAllPrivileges makes the calling process unable to regain anything: not dumpable, no_new_privs, an
 * empty ambient set, then empty effective/permitted/inheritable sets. Throws if the kernel refuses any
 * step. Not dumpable: execve() as the web user made the process dumpable again, so any other process of
 * that uid could read its memory (the TLS key, the bcrypt hashes) through /proc/<pid>/mem or ptrace;
 * with PR_SET_DUMPABLE 0 only CAP_SYS_PTRACE can. Done first, before the process receives any secret.
 */
export function dropAllPrivileges(): void {
  check(prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) as number, "prctl(PR_SET_DUMPABLE)");
  check(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) as number, "prctl(PR_SET_NO_NEW_PRIVS)");
  restrictCapabilities([]);
}

/**
 * switchIdentity makes a root process the given user and group for good: no supplementary groups, then
 * gid, then uid (real, effective and saved; the kernel clears the capabilities with the uid).
 */
export function switchIdentity(uid: number, gid: number): void {
  if (!process.setgroups || !process.setgid || !process.setuid)
    throw new Error("no setuid() on this platform");
  process.setgroups([]);
  process.setgid(gid);
  process.setuid(uid);
}

function check(rc: number, what: string): void {
  if (rc !== 0) throw new Error(`${what} failed: errno ${koffi.errno()}`);
}

/** ProcStatus holds the identity and capability lines of /proc/<pid>/status. */
export interface ProcStatus {
  uid: number[];
  gid: number[];
  groups: number[];
  capInh: bigint;
  capPrm: bigint;
  capEff: bigint;
  capAmb: bigint;
  noNewPrivs: boolean;
}

/** procStatus reads /proc/<pid>/status ("self" for this process). */
export function procStatus(pid: number | "self" = "self"): ProcStatus {
  const fields = new Map<string, string>();
  for (const line of readFileSync(`/proc/${pid}/status`, "utf8").split("\n")) {
    const i = line.indexOf(":");
    if (i > 0) fields.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  const nums = (k: string) => (fields.get(k) ?? "").split(/\s+/).filter(Boolean).map(Number);
  const caps = (k: string) => BigInt(`0x${fields.get(k) ?? "0"}`);
  return {
    uid: nums("Uid"),
    gid: nums("Gid"),
    groups: nums("Groups"),
    capInh: caps("CapInh"),
    capPrm: caps("CapPrm"),
    capEff: caps("CapEff"),
    capAmb: caps("CapAmb"),
    noNewPrivs: fields.get("NoNewPrivs") === "1",
  };
}

/** hasCapability tells whether a capability set (CapEff, ...) holds the capability numbered `cap`. */
export function hasCapability(set: bigint, cap: number): boolean {
  return ((set >> BigInt(cap)) & 1n) === 1n;
}

/** isUnprivileged: no capability in any set, no_new_privs on, and not root. */
export function isUnprivileged(s: ProcStatus): boolean {
  return (
    s.capInh === 0n &&
    s.capPrm === 0n &&
    s.capEff === 0n &&
    s.capAmb === 0n &&
    s.noNewPrivs &&
    !s.uid.includes(0)
  );
}

/**
 * resolveId maps a user or group name to its numeric id through /etc/passwd or /etc/group; a number is
 * taken as it is. Names served only by NSS modules (LDAP, ...) must be given as numbers.
 */
export function resolveId(kind: "user" | "group", nameOrId: string): number {
  if (/^\d+$/.test(nameOrId)) return Number(nameOrId);
  const file = kind === "user" ? "/etc/passwd" : "/etc/group";
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const [name, , id] = line.split(":");
    if (name === nameOrId && id !== undefined) return Number(id);
  }
  throw new Error(`unknown ${kind} "${nameOrId}" (not in ${file}; give a numeric id)`);
}

/**
 * restrictCapabilities shrinks the effective and permitted sets to `keep` and empties the inheritable and
 * ambient sets, so that a compromise of the calling (root) process yields only these capabilities.
 */
export function restrictCapabilities(keep: readonly number[]): void {
  check(
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) as number,
    "prctl(PR_CAP_AMBIENT_CLEAR_ALL)",
  );
  let low = 0;
  let high = 0;
  for (const cap of keep) {
    if (cap < 32) low |= 1 << cap;
    else high |= 1 << (cap - 32);
  }
  // struct __user_cap_header_struct { u32 version; int pid; }, in host order
  const header = Buffer.alloc(8);
  writeHostU32(header, _LINUX_CAPABILITY_VERSION_3, 0);
  // two struct __user_cap_data_struct { u32 effective, permitted, inheritable; }: caps 0-31, then 32-63
  const data = Buffer.alloc(24);
  writeHostU32(data, low >>> 0, 0); // effective
  writeHostU32(data, low >>> 0, 4); // permitted
  writeHostU32(data, high >>> 0, 12);
  writeHostU32(data, high >>> 0, 16);
  check(capset(header, data) as number, "capset");
}

export const CAP_CHOWN = 0;
export const CAP_KILL = 5;
export const CAP_SETGID = 6;
export const CAP_SETUID = 7;
/** -netns: setns(2) into a network namespace. */
export const CAP_SYS_ADMIN = 21;
/** -netns with /proc/<pid>/ns/net paths: the ptrace access check of opening another process's namespace. */
export const CAP_SYS_PTRACE = 19;
