// Types for check-architecture.mjs, so ops/test can import it from TypeScript.

/** The folder paths named by the tree in README.md's Architecture section. */
export function architecturePaths(readme: string): string[];
/** The disagreements between README.md's Architecture tree and the repository (empty when none). */
export function checkArchitecture(root?: string): string[];
