/** The colour theme: the system's (`prefers-color-scheme`) unless chosen with the toggle. */
export type Theme = 'light' | 'dark';

const key = 'tandem-console-theme';

/** The theme chosen with the toggle, if any (remembered across visits). */
export function chosenTheme(): Theme | undefined {
  const value = localStorage.getItem(key);
  return value === 'light' || value === 'dark' ? value : undefined;
}

/** The theme in force now. */
export function currentTheme(): Theme {
  return chosenTheme() ?? (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light');
}

/** Applies a theme to the page (`data-theme` on <html>, which the CSS variables follow). */
export function applyTheme(theme: Theme | undefined): void {
  if (theme === undefined) delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
}

/** Chooses a theme and remembers it. */
export function chooseTheme(theme: Theme): void {
  localStorage.setItem(key, theme);
  applyTheme(theme);
}
