// Types for check-snippets.mjs, so tests can reuse its extraction from TypeScript.

/** One module made from a Markdown file's snippets: its code lines, and each line's Markdown line number. */
export interface SnippetModule {
  readonly code: string[];
  readonly lines: number[];
}

/** The modules, skipped blocks and quoted files of one Markdown file's TypeScript snippets. */
export function extractModules(markdown: string): {
  modules: Map<string, SnippetModule>;
  skipped: { line: number; reason: string }[];
  quoted: { line: number; path: string; code: string }[];
};
