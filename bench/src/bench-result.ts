import type { MachineInfo } from './machine-info.js';
import type { Summary } from './summarize.js';

/** A bound the issue sets on a metric that has no ceiling to divide by (projection lag). */
export interface MetricTarget {
  /** Met when the median over the runs is below this, in the metric's unit. */
  readonly below: number;
}

/** One measured quantity over the runs. */
export interface Metric extends Summary {
  readonly name: string;
  readonly unit: string;
  /** The target for this metric, when it sets one. */
  readonly target?: MetricTarget;
}

/** Tandem against its raw ceiling, run by run (each run's pair measured back to back). */
export interface Ratio extends Summary {
  readonly name: string;
  /** The metric names divided: `numerator / denominator`. */
  readonly numerator: string;
  readonly denominator: string;
  /** The target for this ratio, when it sets one. */
  readonly target?: number;
}

/** One load step of the flash sale for one system, summarized over the runs. */
export interface FlashSaleStep {
  readonly system: string;
  readonly multiple: number;
  /** Offered requests per second (page views + orders). */
  readonly offeredRate: number;
  readonly readP50Ms: Summary;
  readonly readP99Ms: Summary;
  readonly orderP50Ms: Summary;
  readonly orderP99Ms: Summary;
  /** Failed requests (not 2xx, except sold-out refusals) over all requests, 0..1. */
  readonly errorRate: Summary;
  /** Requests answered per second. */
  readonly achievedRate: Summary;
  /**
   * Units sold beyond the stock: accepted beyond what the step started with, stock below zero,
   * or accepted orders the stock does not show (lost updates). Must be 0.
   */
  readonly oversells: Summary;
  /** Projection lag from an order's response to every projection passing it (Tandem only). */
  readonly lagP50Ms?: Summary;
  readonly lagP99Ms?: Summary;
  readonly lagMaxMs?: Summary;
}

/** What a benchmark measured; `run.ts` adds where and how. */
export interface BenchOutput {
  readonly title: string;
  /** What is measured, and what the ceiling does, in a sentence or two. */
  readonly description: string;
  /**
   * For a peer comparison, the library measured against (name and version): its ratios are
   * Tandem / peer, reported in their own section. Absent: ratios are to a raw ceiling.
   */
  readonly peer?: string;
  readonly parameters: Readonly<Record<string, string | number | boolean>>;
  readonly metrics: readonly Metric[];
  readonly ratios: readonly Ratio[];
  readonly steps?: readonly FlashSaleStep[];
  /** Checks that must hold (oversells, lost events) and anything the reader should know. */
  readonly notes: readonly string[];
}

/** The JSON file `bench/results/<name>.json`. */
export interface BenchResult extends BenchOutput {
  readonly name: string;
  readonly mode: 'quick' | 'full';
  readonly command: string;
  readonly date: string;
  readonly durationSeconds: number;
  readonly machine: MachineInfo;
}
