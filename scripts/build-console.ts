/**
 * Builds the web console (web/, docs/console.md) into dist/console with esbuild: one JavaScript
 * bundle and the one style sheet, both named by their content hash (served as immutable), and
 * index.html pointing at them (served no-cache). Run by `npm install` (postinstall), `npm start`
 * (prestart), `npm run build:console` and the console tests. Guarantees: the output directory
 * holds exactly one build (the old one is removed first); a build error exits non-zero with
 * esbuild's message; `buildConsole()` returns the bundle's sizes for the closing note.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CONSOLE_DIR = join(ROOT, 'dist', 'console');

export interface ConsoleBuild {
  js: string;
  css: string;
  jsBytes: number;
  cssBytes: number;
}

export async function buildConsole(outDir = CONSOLE_DIR): Promise<ConsoleBuild> {
  await rm(outDir, { recursive: true, force: true });
  const assets = join(outDir, 'assets');
  await mkdir(assets, { recursive: true });
  const result = await build({
    entryPoints: { console: join(ROOT, 'web', 'main.tsx'), style: join(ROOT, 'web', 'console.css') },
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['chrome109', 'firefox115', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    entryNames: '[name]-[hash]',
    outdir: assets,
    metafile: true,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const outputs = Object.entries(result.metafile.outputs);
  const find = (ext: string) => {
    const found = outputs.find(([file]) => file.endsWith(ext));
    if (!found) throw new Error(`esbuild wrote no ${ext} file`);
    return { name: basename(found[0]), bytes: found[1].bytes };
  };
  const js = find('.js');
  const css = find('.css');
  const template = await readFile(join(ROOT, 'web', 'index.html'), 'utf8');
  const html = template.replace('%JS%', `/console/assets/${js.name}`).replace('%CSS%', `/console/assets/${css.name}`);
  await writeFile(join(outDir, 'index.html'), html);
  return { js: js.name, css: css.name, jsBytes: js.bytes, cssBytes: css.bytes };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  buildConsole()
    .then((b) => console.log(`console built in ${relative(process.cwd(), CONSOLE_DIR) || '.'}: ${b.js} ${b.jsBytes} bytes, ${b.css} ${b.cssBytes} bytes`))
    .catch((err: unknown) => {
      console.error(`console build failed: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    });
}
