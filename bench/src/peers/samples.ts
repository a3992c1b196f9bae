/** Per-run samples by key, in run order. */
export class Samples {
  readonly #runs = new Map<string, number[]>();

  add(key: string, value: number): void {
    this.#runs.set(key, [...(this.#runs.get(key) ?? []), value]);
  }

  get(key: string): readonly number[] {
    return this.#runs.get(key) ?? [];
  }
}
