// Builds static/src into static/dist with content-hashed file names, gzip and
// brotli copies, and a manifest.json the app reads (webapp/assets.py).
// Run by `npm run build`.
import { createHash } from 'node:crypto'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import * as esbuild from 'esbuild'
import * as sass from 'sass'

const here = path.dirname(fileURLToPath(import.meta.url))
const src = path.join(here, 'src')
const dist = path.join(here, 'dist')

function hashed (name, contents) {
  const digest = createHash('sha256').update(contents).digest('hex').slice(0, 12)
  const ext = path.extname(name)
  return `${path.basename(name, ext)}.${digest}${ext}`
}

async function css (entry) {
  const result = await sass.compileAsync(path.join(src, 'scss', entry), {
    importers: [new sass.NodePackageImporter()],
    style: 'compressed',
    quietDeps: true
  })
  return result.css
}

async function js (entry, format = 'esm', banner = '') {
  const result = await esbuild.build({
    entryPoints: [path.join(src, 'js', entry)],
    bundle: true,
    minify: true,
    format,
    target: ['es2020'],
    legalComments: 'none',
    banner: { js: banner },
    write: false
  })
  return result.outputFiles[0].contents
}

async function main () {
  await rm(dist, { recursive: true, force: true })
  await mkdir(dist, { recursive: true })

  const outputs = {
    'main.css': await css('main.scss'),
    'main.js': await js('main.mjs'),
    // Loaded separately, only for visitors who accepted analytics.
    'analytics.js': await js('analytics.mjs'),
    // A classic script loaded in <head>, apart from the module bundle: the quick exit
    // must listen while the page is still loading (see static/src/js/quick-exit.js).
    // Its first line asks V8 to compile every function as the script loads (Chrome's
    // explicit compile hints), so the exit never waits for a lazy compile.
    'quick-exit.js': await js('quick-exit.js', 'iife', '//# allFunctionsCalledOnLoad'),
    'favicon.svg': await readFile(path.join(src, 'images', 'favicon.svg'))
  }

  const manifest = {}
  for (const [name, contents] of Object.entries(outputs)) {
    const fileName = hashed(name, contents)
    await writeFile(path.join(dist, fileName), contents)
    // Pre-compressed copies: WhiteNoise serves them to browsers that accept them.
    await writeFile(path.join(dist, `${fileName}.gz`), gzipSync(contents, { level: 9 }))
    await writeFile(path.join(dist, `${fileName}.br`), brotliCompressSync(contents, {
      params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY }
    }))
    manifest[name] = fileName
  }
  await writeFile(path.join(dist, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n')
  console.log(`built ${Object.keys(manifest).length} assets into ${path.relative(process.cwd(), dist)}`)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
