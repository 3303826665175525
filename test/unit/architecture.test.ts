import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { repoRoot } from "./helpers/fixtures.js";

/**
 * The layers of src/, lowest first: a module may import from its own folder and from the folders of lower
 * layers, never upward nor sideways (two folders of one layer do not import each other). docs/architecture.md
 * draws the same table; "." is the files directly in src/.
 */
const LAYERS: readonly (readonly string[])[] = [
  ["."],
  ["netlink"],
  ["privileges"],
  ["model"],
  ["nftables"],
  ["exposition"],
  ["labels", "webconfig"],
  ["config"],
  ["sources"],
  ["ipc"],
  ["render"],
  ["reader", "web"],
  ["check"],
  ["cli"],
];

/** Modules that open a netlink socket, or hold the slot that does: the privileged reader's, and no other. */
const SOCKET_OPENERS = ["netlink/socket.ts", "nftables/generation.ts", "sources/runner.ts"];

type Graph = ReadonlyMap<string, readonly string[]>;

const SRC = path.join(repoRoot(), "src");

/**
 * sourceGraph reads every module of src/ and its relative imports (type-only ones too), as paths in src/;
 * a module augmentation (`declare module "../x.js"`, how a source adds its snapshot section) counts as one.
 */
function sourceGraph(): { graph: Graph; texts: Map<string, string> } {
  const graph = new Map<string, string[]>();
  const texts = new Map<string, string>();
  const files = readdirSync(SRC, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"));
  for (const file of files) {
    const text = readFileSync(path.join(SRC, file), "utf8");
    texts.set(file, text);
    const imports = [
      ...text.matchAll(/(?:(?:import|export)\s[^'";]*?from|declare\s+module)\s+"(\.[^"]+)"/g),
    ].map((m) => path.join(path.dirname(file), (m[1] as string).replace(/\.js$/, ".ts")));
    graph.set(file, imports);
  }
  return { graph, texts };
}

/** folderOf names a module's folder as LAYERS does: its first directory under src/, or ".". */
function folderOf(module: string): string {
  const first = module.split("/")[0] as string;
  return first === module ? "." : first;
}

/** layerViolations lists every import that goes upward or sideways between folders, or to an unlisted one. */
function layerViolations(graph: Graph, layers: readonly (readonly string[])[]): string[] {
  const rank = new Map(layers.flatMap((folders, i) => folders.map((f) => [f, i] as const)));
  const out: string[] = [];
  for (const [from, imports] of graph) {
    const a = folderOf(from);
    if (!rank.has(a)) out.push(`${from}: folder ${a} is in no layer`);
    for (const to of imports) {
      const b = folderOf(to);
      if (a === b) continue;
      if (!((rank.get(b) ?? Number.POSITIVE_INFINITY) < (rank.get(a) ?? -1))) out.push(`${from} → ${to}`);
    }
  }
  return out;
}

/** cycles lists the import cycles between modules, each once, as the path that closes it. */
function cycles(graph: Graph): string[] {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const found: string[] = [];
  const visit = (m: string) => {
    state.set(m, "open");
    stack.push(m);
    for (const next of graph.get(m) ?? []) {
      if (state.get(next) === "open") found.push([...stack.slice(stack.indexOf(next)), next].join(" → "));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(m, "done");
  };
  for (const m of [...graph.keys()].sort()) if (!state.has(m)) visit(m);
  return found;
}

/** socketOpeners lists the modules that open a netlink socket (RawNetlinkSocket.open) or make a SocketSlot. */
function socketOpeners(texts: ReadonlyMap<string, string>): string[] {
  const opens = /NetlinkSocket\.open\b|new SocketSlot\(|sys\.socket\(/;
  return [...texts].filter(([, text]) => opens.test(text)).map(([file]) => file);
}

/** reached lists every module `entry` reaches through its imports. */
function reached(graph: Graph, entry: string): Set<string> {
  const seen = new Set<string>();
  const walk = (m: string) => {
    if (seen.has(m)) return;
    seen.add(m);
    for (const next of graph.get(m) ?? []) walk(next);
  };
  walk(entry);
  return seen;
}

const { graph, texts } = sourceGraph();

describe("layering of src/ (LAYERS)", () => {
  test("no import goes upward or sideways between folders", () => {
    assert.ok(graph.size > 100, "the walk found the sources");
    assert.ok(graph.get("sources/tables/slice.ts")?.includes("model/snapshot.ts"), "augmentations are edges");
    assert.deepEqual(layerViolations(graph, LAYERS), []);
  });

  test("no import cycle between modules", () => {
    assert.deepEqual(cycles(graph), []);
  });

  test("the checks fail on an upward edge, a sideways edge, an unlisted folder and a cycle", () => {
    const bad: Graph = new Map([
      ["netlink/a.ts", ["model/b.ts"]],
      ["model/b.ts", ["netlink/a.ts"]],
      ["reader/c.ts", ["web/d.ts"]],
      ["web/d.ts", []],
      ["elsewhere/e.ts", []],
    ]);
    assert.deepEqual(layerViolations(bad, LAYERS), [
      "netlink/a.ts → model/b.ts",
      "reader/c.ts → web/d.ts",
      "elsewhere/e.ts: folder elsewhere is in no layer",
    ]);
    assert.deepEqual(cycles(bad), ["model/b.ts → netlink/a.ts → model/b.ts"]);
  });
});

/**
 * importsOfSourceFolders lists every import of a module in a source's folder (sources/<name>/) from outside
 * that folder, as "from → to".
 */
function importsOfSourceFolders(graph: Graph): string[] {
  return [...graph].flatMap(([from, imports]) =>
    imports
      .filter((to) => {
        const folder = /^sources\/\w+\//.exec(to)?.[0];
        return folder !== undefined && !from.startsWith(folder);
      })
      .map((to) => `${from} → ${to}`),
  );
}

describe("a source is one folder plus a line in each registry", () => {
  test("only the registries reach into a source's folder (and the reader into the rules', for rulesFor)", () => {
    const registries = /^sources\/(slices|readers)\.ts → /;
    const outside = importsOfSourceFolders(graph).filter((edge) => !registries.test(edge));
    assert.deepEqual(outside, ["reader/sources.ts → sources/rules/source.ts"]);
    assert.ok(importsOfSourceFolders(graph).includes("sources/readers.ts → sources/tables/source.ts"));
  });
});

describe("one byte-order rule (netlink/byteorder.ts)", () => {
  test("only byteorder.ts decides host order; only the attribute decoder reads an order it is given", () => {
    const choosesOrder = /\b(read|write)(Big)?U?Int(16|32|64)LE\b|HOST_ORDER\s*[!=]==|endianness\(/;
    const allowed = ["netlink/byteorder.ts", "netlink/attributes.ts"];
    const offenders = [...texts].filter(([file, text]) => !allowed.includes(file) && choosesOrder.test(text));
    assert.deepEqual(
      offenders.map(([file]) => file),
      [],
    );
  });
});

describe("the privilege boundary", () => {
  test("the unprivileged web process never loads the netlink side or the reader", () => {
    const web = reached(graph, "web/main.ts");
    assert.ok(web.has("ipc/protocol.ts"), "the walk follows imports");
    const forbidden = [...web].filter((f) =>
      /^(netlink\/(socket|netns)|nftables\/(chain-)?dump|reader\/|sources\/(runner|readers)\.ts|sources\/\w+\/(source|chains?|derive)\.ts)/.test(
        f,
      ),
    );
    assert.deepEqual(forbidden, []);
  });

  test("only the reader's modules open netlink sockets, and the reader reaches them", () => {
    assert.deepEqual(socketOpeners(texts).sort(), SOCKET_OPENERS);
    const reader = reached(graph, "reader/main.ts");
    for (const opener of SOCKET_OPENERS) assert.ok(reader.has(opener), `${opener} is the reader's`);
    const web = reached(graph, "web/main.ts");
    assert.deepEqual(
      SOCKET_OPENERS.filter((m) => web.has(m)),
      [],
    );
  });

  test("a second module that opens netlink is caught", () => {
    const more = new Map(texts).set("web/sneaky.ts", "const s = NetlinkSocket.open({ protocol: 12 });");
    assert.deepEqual(socketOpeners(more).sort(), [...SOCKET_OPENERS, "web/sneaky.ts"].sort());
  });
});
