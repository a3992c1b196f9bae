import { render } from 'preact';
import { App } from './app.js';
import { applyTheme, chosenTheme } from './theme.js';
import './styles.css';

applyTheme(chosenTheme());
const root = document.getElementById('app');
if (root !== null) render(<App />, root);
