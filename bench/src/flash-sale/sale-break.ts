import type { FlashSaleStep } from '../bench-result.js';

/**
 * When a system counts as broken at a step, judged on the medians over the runs: a read or order
 * p99 over 1 s, more than 1% of the requests failed, or fewer than 95% of the offered requests
 * per second answered (the server fell behind the crowd).
 */
export const breakRule = {
  p99Ms: 1_000,
  errorRate: 0.01,
  answeredShare: 0.95,
} as const;

/** The rule in words, for the report. */
export const breakRuleText =
  `a step is broken when, in the median run, the read or order p99 exceeds ${breakRule.p99Ms / 1000} s, ` +
  `more than ${breakRule.errorRate * 100}% of requests fail, or it answers fewer than ${breakRule.answeredShare * 100}% ` +
  'of the offered requests per second';

/** Why `step` counts as broken, or undefined when it held. */
export function breakCause(step: FlashSaleStep): string | undefined {
  const causes: string[] = [];
  if (step.readP99Ms.median > breakRule.p99Ms) causes.push('read p99 > 1 s');
  if (step.orderP99Ms.median > breakRule.p99Ms) causes.push('order p99 > 1 s');
  if (step.errorRate.median > breakRule.errorRate) causes.push(`errors > ${breakRule.errorRate * 100}%`);
  if (step.achievedRate.median < breakRule.answeredShare * step.offeredRate)
    causes.push(`answered < ${breakRule.answeredShare * 100}% of offered`);
  return causes.length === 0 ? undefined : causes.join(', ');
}
