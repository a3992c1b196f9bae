import type { RebuildProgress } from '@tandem/core';

/** One line of rebuild progress: bar, counts, rate and ETA. */
export function progressLine(progress: RebuildProgress, width = 30): string {
  const fraction = Math.max(0, Math.min(1, progress.fraction));
  const filled = Math.round(fraction * width);
  const eta = progress.etaSeconds === undefined ? '?' : `${Math.ceil(progress.etaSeconds)}s`;
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${progress.position}/${progress.head} events ${progress.eventsPerSecond} ev/s ETA ${eta}`;
}
