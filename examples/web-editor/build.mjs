// Bundles the page into dist/: index.html, app.js + app.css (Monaco, yjs, y-websocket, y-monaco and
// the page), Monaco's fonts, and one ES-module bundle per Monaco worker under dist/workers/.
import * as esbuild from 'esbuild'
import { copyFile, mkdir, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const dist = join(here, 'dist')
const monacoEsm = join(here, 'node_modules/monaco-editor/esm/vs')

// y-monaco imports 'monaco-editor/esm/vs/editor/editor.api.js', a path that monaco-editor's own
// "exports" map (./* -> ./esm/vs/*) no longer resolves; point it at the file itself, the same one
// the editor's entry point re-exports, so there is one Monaco in the bundle.
const monacoDeepImports = {
  name: 'monaco-deep-imports',
  setup (build) {
    build.onResolve({ filter: /^monaco-editor\/esm\// }, (args) => ({
      path: join(here, 'node_modules', args.path)
    }))
  }
}

const common = {
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: false,
  logLevel: 'warning',
  legalComments: 'external'
}

await rm(dist, { recursive: true, force: true })
await mkdir(dist, { recursive: true })

await Promise.all([
  esbuild.build({
    ...common,
    entryPoints: { app: join(here, 'src/main.js') },
    outdir: dist,
    loader: { '.ttf': 'file' },
    plugins: [monacoDeepImports],
    assetNames: 'assets/[name]-[hash]'
  }),
  // The names are the ones src/main.js asks MonacoEnvironment.getWorker for.
  esbuild.build({
    ...common,
    entryPoints: {
      'editor.worker': join(monacoEsm, 'editor/editor.worker.js'),
      'json.worker': join(monacoEsm, 'language/json/json.worker.js'),
      'css.worker': join(monacoEsm, 'language/css/css.worker.js'),
      'html.worker': join(monacoEsm, 'language/html/html.worker.js'),
      'ts.worker': join(monacoEsm, 'language/typescript/ts.worker.js')
    },
    outdir: join(dist, 'workers')
  }),
  copyFile(join(here, 'src/index.html'), join(dist, 'index.html'))
])
