/**
 * The console's entry point (bundled by scripts/build-console.ts): renders the shell into #app and
 * resumes an existing session (the cookie) so a reload shows the same state.
 */
import { render } from 'preact';
import { resume } from './store.js';
import { App } from './views/app.js';

const root = document.getElementById('app');
if (root) {
  render(<App />, root);
  void resume();
}
