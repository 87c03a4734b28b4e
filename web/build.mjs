// Builds the browser code into the Python package's static folders:
//   src/cobrowse/server/static/dist/cobrowse.js (+ .map)   embed script (widget + visitor runtime)
//   src/cobrowse/server/static/dist/runtime.js (+ .map)    proxy-mode runtime, injected into proxied pages
//   src/cobrowse/server/static/dist/runtime-bridge.js (+ .map) its overlay bridge, loaded by it as a module
//   src/cobrowse/server/static/dist/runtime-parser.js (+ .map) its JavaScript parser, loaded on first use
//     (the three runtime files also as .br and .gz, served as they are)
//   src/cobrowse/server/static/dist/console.js/.css (+ .map) agent console
//   src/cobrowse/server/static/dist/replay.js/.css (+ .map)  player of an exported recording
//   src/cobrowse/demo/static/dist/fonts/mukta-*.woff2       fonts for the demo portal
//   src/cobrowse/server/static/dist/swagger-ui/              Swagger UI for /docs (no CDN)
// Usage: node build.mjs [--dev]   (--dev: not minified)
import { build } from 'esbuild';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const serverDist = join(root, 'src/cobrowse/server/static/dist');
const fontsDist = join(root, 'src/cobrowse/demo/static/dist/fonts');
const dev = process.argv.includes('--dev');
const pkg = JSON.parse(await readFile(join(here, 'package.json'), 'utf8'));

const common = {
  bundle: true,
  minify: !dev,
  sourcemap: true,
  target: 'es2020',
  platform: 'browser',
  format: 'iife',
  legalComments: 'linked',
  define: { __COBROWSE_VERSION__: JSON.stringify(pkg.version) },
  logLevel: 'warning',
};

await rm(serverDist, { recursive: true, force: true });
await mkdir(serverDist, { recursive: true });

await build({
  ...common,
  entryPoints: { cobrowse: join(here, 'src/widget/index.ts') },
  outdir: serverDist,
});

await build({
  ...common,
  entryPoints: { runtime: join(here, 'src/runtime/index.ts') },
  outdir: serverDist,
});

// The overlay bridge's second half (recorder, masking, guidance), an ES module the runtime
// imports after the page has started (web/src/runtime/shell.ts).
await build({
  ...common,
  format: 'esm',
  entryPoints: { 'runtime-bridge': join(here, 'src/runtime/bridge-entry.ts') },
  outdir: serverDist,
});

// The in-page rewriter's parser (meriyah), fetched and evaluated by the runtime the first
// time code made from a string needs rewriting (web/src/runtime/parser.ts).
await build({
  ...common,
  globalName: '__cobrowse_parser',
  entryPoints: { 'runtime-parser': join(here, 'src/runtime/parser-entry.ts') },
  outdir: serverDist,
});

// The proxy serves the runtime's three files compressed (src/cobrowse/server/runtime_files.py):
// at brotli's best level, which is too slow to run on a request, so here, once.
for (const name of ['runtime.js', 'runtime-bridge.js', 'runtime-parser.js']) {
  const data = await readFile(join(serverDist, name));
  const br = brotliCompressSync(data, {
    params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: data.length },
  });
  await writeFile(join(serverDist, `${name}.br`), br);
  await writeFile(join(serverDist, `${name}.gz`), gzipSync(data, { level: 9 }));
}

await build({
  ...common,
  entryPoints: { console: join(here, 'src/console/index.ts') },
  outdir: serverDist,
});

// The player of an exported recording, inlined into the file with rrweb's replayer
// (src/cobrowse/server/recordings_api.py).
await build({
  ...common,
  entryPoints: { replay: join(here, 'src/console/replay-entry.ts') },
  outdir: serverDist,
});

const FONTS = [
  'mukta-latin-400-normal.woff2',
  'mukta-latin-700-normal.woff2',
  'mukta-devanagari-400-normal.woff2',
];
await mkdir(fontsDist, { recursive: true });
for (const name of FONTS) {
  await copyFile(join(here, 'node_modules/@fontsource/mukta/files', name), join(fontsDist, name));
}

// /docs serves Swagger UI from here, never from a CDN (src/cobrowse/server/apidocs.py).
const swaggerDist = join(serverDist, 'swagger-ui');
await mkdir(swaggerDist, { recursive: true });
for (const name of ['swagger-ui-bundle.js', 'swagger-ui.css', 'LICENSE', 'NOTICE']) {
  await copyFile(join(here, 'node_modules/swagger-ui-dist', name), join(swaggerDist, name));
}

console.log(`built ${pkg.version} into ${serverDist} and ${fontsDist}`);
