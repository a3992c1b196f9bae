// A Map, not an object literal: a unit such as `constructor` must not find Object's prototype.
const unitSeconds: ReadonlyMap<string, number> = new Map(
  Object.entries({
    s: 1,
    sec: 1,
    secs: 1,
    second: 1,
    seconds: 1,
    m: 60,
    min: 60,
    mins: 60,
    minute: 60,
    minutes: 60,
    h: 3_600,
    hr: 3_600,
    hrs: 3_600,
    hour: 3_600,
    hours: 3_600,
    d: 86_400,
    day: 86_400,
    days: 86_400,
    w: 604_800,
    week: 604_800,
    weeks: 604_800,
    // A Julian year, as jose counts one, so a span means the same here and in jose.
    y: 31_557_600,
    yr: 31_557_600,
    yrs: 31_557_600,
    year: 31_557_600,
    years: 31_557_600,
  }),
);

const spanPattern = /^([+-])? ?(\d{1,9}(?:\.\d{1,6})?) ?([a-z]+)$/i;

/**
 * Whole seconds in a time span such as `90s`, `30m`, `12h`, `7 days` or `-1s` (jose's units;
 * `y` is 365.25 days), or in a number of seconds as given. Throws a TypeError for anything else,
 * naming the text, so a typo never becomes a token that lives forever or not at all.
 */
export function durationSeconds(span: string | number): number {
  if (typeof span === 'number') {
    if (!Number.isFinite(span)) throw new TypeError(`Expected a finite number of seconds, got ${span}`);
    return Math.round(span);
  }
  const match = spanPattern.exec(span.trim());
  const unit = match?.[3] === undefined ? undefined : unitSeconds.get(match[3].toLowerCase());
  if (match === null || unit === undefined)
    throw new TypeError(`Expected a duration such as 30m, 12h or 7d, got ${JSON.stringify(span)}`);
  const seconds = Math.round(Number(match[2]) * unit);
  return match[1] === '-' ? -seconds : seconds;
}
