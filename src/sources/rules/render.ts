import { columns, formatLabels, type MetricFamily } from "../../exposition/text.js";
import { type Finding, ruleFindings } from "../../labels/diagnose.js";
import { LabelPolicy, type OverLimits, type RuleState, type SeriesSet } from "../../labels/policy.js";
import type { Rejection } from "../../labels/rejection.js";
import { ReportOnce } from "../../log.js";
import { sameStrings, u64Words } from "../../model/columns.js";
import {
  BYTES_WORD,
  bytesOf,
  packetsOf,
  type RuleColumns,
  rulesFromColumns,
  sameStructure,
  WORDS_PER_RULE,
} from "../../model/rule-columns.js";
import type { Snapshot } from "../../model/snapshot.js";
import type { RenderContext, SliceRenderer } from "../slice.js";

/**
 * RulePlan is what the label policy decided for one structure of a chain's rules (handles, comments,
 * locations, derived labels: rule-columns.ts sameStructure): each series' rendered label text and the
 * rules it sums. Between two scrapes usually only counter values change: then the plan is reused as it
 * is, and a scrape costs a pass over the counter columns instead of the policy and an object per rule.
 * It is kept compact (strings and two Int32Arrays) because it lives as long as the chain is unchanged.
 */
interface RulePlan {
  rules: RuleColumns;
  derivedLabels: readonly string[];
  counts: Record<RuleState, number>;
  overLimits: OverLimits;
  labels: string[];
  /** Series i sums the rules members[starts[i]] up to members[starts[i + 1]] (excluded). */
  starts: Int32Array;
  members: Int32Array;
  /** The rules the policy rejected or adjusted, for the live view's findings. */
  verdicts: Pick<SeriesSet, "rejected" | "adjusted">;
  /** `nfprom check`'s findings for these rules, made when the live view first asks for them. */
  findings?: Finding[];
}

/**
 * RuleRenderer renders the rule counters through the label policy. It remembers which rules it has
 * already reported, so a rejected rule is logged once, not on every scrape, and forgets rules that are gone.
 */
export class RuleRenderer implements SliceRenderer {
  readonly #policy: LabelPolicy;
  readonly #reported: ReportOnce;
  #plan: RulePlan | undefined;

  constructor(readonly context: RenderContext) {
    this.#policy = new LabelPolicy(context.policy);
    this.#reported = new ReportOnce(context.log);
  }

  /** families applies the policy (or its plan) at the call, not when they are pulled: a scrape's duration includes it. */
  families(snapshot: Snapshot): Iterable<MetricFamily> {
    const plan = this.#planFor(snapshot);
    return ruleFamilies(this.context.ns, plan, seriesValues(plan, snapshot.rules.numbers));
  }

  rejected(): [string, number][] {
    return [];
  }

  /** findings: what `nfprom check` says about the last read's rules, made once per structure of the chain. */
  findings(): Finding[] {
    const plan = this.#plan;
    if (plan && !plan.findings)
      plan.findings = ruleFindings(
        rulesFromColumns(plan.rules),
        plan.verdicts,
        this.#policy.options.allRules,
      );
    return plan?.findings ?? [];
  }

  /** #planFor applies the label policy, or reuses its last result when only counter values changed. */
  #planFor(snapshot: Snapshot): RulePlan {
    const derivedLabels = snapshot.derivedLabels ?? [];
    const plan = this.#plan;
    if (plan && sameStructure(plan.rules, snapshot.rules) && sameStrings(plan.derivedLabels, derivedLabels))
      return plan;
    const set = this.#policy.evaluate(snapshot.rules, derivedLabels);
    this.#reportOnce(set);
    this.#plan = planOf(snapshot.rules, derivedLabels, set);
    return this.#plan;
  }

  #reportOnce(set: SeriesSet): void {
    const report = (msg: string, rules: readonly Rejection[]) => {
      for (const r of rules) {
        const key = `${msg}\0${r.handle}\0${r.comment}\0${r.reason}`;
        this.#reported.report(key, msg, { handle: r.handle, comment: r.comment, reason: r.reason });
      }
    };
    report("rule rejected", set.rejected);
    report("rule adjusted", set.adjusted ?? []);
    this.#reported.endRound();
  }
}

/** ruleFamilies: the rule counters' families; `values` holds bytes, packets of series i at 2i, 2i + 1. */
function* ruleFamilies(
  ns: string,
  plan: RulePlan,
  values: BigUint64Array | bigint[],
): Generator<MetricFamily> {
  yield {
    name: `${ns}_bytes_total`,
    help: "Bytes counted by the chain's rules, labelled by their nft(...) comments.",
    type: "counter",
    samples: columns(plan.labels, values, 0, 2),
  };
  yield {
    name: `${ns}_packets_total`,
    help: "Packets counted by the chain's rules, labelled by their nft(...) comments.",
    type: "counter",
    samples: columns(plan.labels, values, 1, 2),
  };
  yield {
    name: `${ns}_rules`,
    help: "Rules of the chain by state: exported, ignored (no nft(...) comment) or rejected (see the log).",
    type: "gauge",
    samples: Object.entries(plan.counts).map(([state, n]) => ({
      labels: `{state="${state}"}`,
      value: n,
    })),
  };
  yield {
    name: `${ns}_rules_over_label_limits`,
    help: "Rules the label limits affected: rejected for a label name beyond -max-label-names, or exported with a -rule-labels value emptied by -max-label-value-length.",
    type: "gauge",
    samples: [
      { labels: `{limit="label_names"}`, value: plan.overLimits.labelNames },
      { labels: `{limit="label_value_length"}`, value: plan.overLimits.labelValueLength },
    ],
  };
}

/** planOf keeps of a policy result what later scrapes need: label texts and members, no rule objects. */
function planOf(rules: RuleColumns, derivedLabels: readonly string[], set: SeriesSet): RulePlan {
  const labels = set.values.map((values) => formatLabels(set.keys, values));
  const { counts, overLimits, starts, members, rejected, adjusted } = set;
  return {
    rules,
    derivedLabels,
    counts,
    overLimits,
    labels,
    starts,
    members,
    verdicts: { rejected, adjusted },
  };
}

/**
 * seriesValues gathers this read's counters for the plan's series (its own rules may carry an older
 * read's numbers), as 32-bit words where a series is one rule, so that no bigint is made for it. Sums of
 * several rules are exact; one beyond 2^64 − 1 (only in theory: 16 EiB) switches to plain bigints.
 */
function seriesValues(plan: RulePlan, numbers: BigUint64Array): BigUint64Array | bigint[] {
  const { starts, members } = plan;
  const count = starts.length - 1;
  const out = new BigUint64Array(2 * count);
  const to = u64Words(out);
  const from = u64Words(numbers);
  for (let i = 0; i < count; i++) {
    const [first, end] = [starts[i] as number, starts[i + 1] as number];
    if (end - first === 1) {
      // Word by word: a subarray per series was most of this loop's time and garbage at 100k series.
      const m = WORDS_PER_RULE * (members[first] as number) + BYTES_WORD;
      const o = 4 * i;
      to[o] = from[m] as number;
      to[o + 1] = from[m + 1] as number;
      to[o + 2] = from[m + 2] as number;
      to[o + 3] = from[m + 3] as number;
      continue;
    }
    const [bytes, packets] = sumOf(members.subarray(first, end), numbers);
    if (bytes > U64_MAX || packets > U64_MAX) return bigSeriesValues(plan, numbers);
    out[2 * i] = bytes;
    out[2 * i + 1] = packets;
  }
  return out;
}

/** sumOf adds the bytes and packets of rules `of`. */
function sumOf(of: Int32Array, numbers: BigUint64Array): [bigint, bigint] {
  let bytes = 0n;
  let packets = 0n;
  for (const m of of) {
    bytes += bytesOf(numbers, m);
    packets += packetsOf(numbers, m);
  }
  return [bytes, packets];
}

const U64_MAX = 2n ** 64n - 1n;

function bigSeriesValues({ starts, members }: RulePlan, numbers: BigUint64Array): bigint[] {
  const out: bigint[] = [];
  for (let i = 0; i + 1 < starts.length; i++)
    out.push(...sumOf(members.subarray(starts[i], starts[i + 1]), numbers));
  return out;
}
