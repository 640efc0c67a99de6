// ESLint for the site's own JavaScript: the browser modules in static/src/js and the
// Node build script. `make lint` runs it (and `make test` runs `make lint`).
import js from '@eslint/js'
import globals from 'globals'

export default [
  // static/dist is built output (minified bundles); node_modules is other people's code.
  { ignores: ['static/dist/', 'node_modules/'] },
  js.configs.recommended,
  {
    // ES modules bundled by esbuild for the browser.
    files: ['static/src/js/**/*.mjs'],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: globals.browser
    }
  },
  {
    // The quick exit is a classic script loaded in <head>, not a module, written in ES5
    // so that it parses in every browser someone in danger may be using: newer syntax
    // is an error here. It wraps each best-effort step (clearing storage, the beacon)
    // in `try { ... } catch (error) {}` so that nothing can stop the exit itself; ES5
    // has no catch without a binding, so an unused one is allowed.
    files: ['static/src/js/**/*.js'],
    languageOptions: {
      ecmaVersion: 5,
      sourceType: 'script',
      globals: globals.browser
    },
    rules: {
      'no-empty': ['error', { allowEmptyCatch: true }],
      'no-unused-vars': ['error', { caughtErrors: 'none' }]
    }
  },
  {
    // The build script, the Lighthouse runner of the quality gates and this file run in Node.
    files: ['static/build.mjs', 'eslint.config.mjs', 'tests/quality/lighthouse.mjs'],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: globals.node
    }
  }
]
