/**
 * Builds the web console (web/, docs/console.md) into dist/console with esbuild: one JavaScript
 * bundle and the one style sheet, both named by their content hash (served as immutable), and
 * index.html pointing at them (served no-cache). Run by `npm install` (postinstall), `npm start`
 * (prestart), `npm run build:console` and the console tests. Guarantees: the output directory
 * holds exactly one build, swapped in whole once it is written; a build error exits non-zero with
 * esbuild's message; `buildConsole()` returns the bundle's sizes for the closing note.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
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
  // built beside the output and swapped in at the end, so a server serving the old build (another
  // test file, npm start) sees either build whole, never a half-written one
  const staging = `${outDir}.building-${process.pid}-${Date.now()}`;
  const assets = join(staging, 'assets');
  await mkdir(assets, { recursive: true });
  try {
    const built = await buildInto(staging, assets);
    // two builders at once: the later swap wins (both built the same sources)
    for (let attempt = 0; ; attempt++) {
      await rm(outDir, { recursive: true, force: true });
      try {
        await rename(staging, outDir);
        break;
      } catch (err) {
        if (attempt >= 2) throw err;
      }
    }
    return built;
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
}

async function buildInto(outDir: string, assets: string): Promise<ConsoleBuild> {
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
