import { createContext } from 'preact';
import type { Theme } from './theme.js';

/** The theme in force, for what draws its own colours (the canvas charts). */
export const ThemeContext = createContext<Theme>('light');
