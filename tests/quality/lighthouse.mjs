// Runs Lighthouse (npm, pinned 12.2.3) on each address given as an argument, in one
// Debian Chromium, with Lighthouse's default mobile preset. Prints one JSON line per
// address: the four category scores and the audits that lost points.
// Used by tests/quality/test_lighthouse.py; CHROME_PATH names the browser.
import * as chromeLauncher from 'chrome-launcher'
import lighthouse from 'lighthouse'

const FLAGS = [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'
]

const chrome = await chromeLauncher.launch({ chromePath: process.env.CHROME_PATH, chromeFlags: FLAGS })
try {
  for (const url of process.argv.slice(2)) {
    // A loaded, shared machine now and then spoils a trace (NO_NAVSTART and the like):
    // such a run measured nothing, so it is repeated, at most twice.
    let lhr
    for (let attempt = 1; attempt <= 3; attempt++) {
      lhr = (await lighthouse(url, { port: chrome.port, output: 'json', logLevel: 'error' })).lhr
      if (!lhr.runtimeError) break
      process.stderr.write(`lighthouse: ${url} attempt ${attempt}: ${lhr.runtimeError.code}\n`)
    }
    const categories = {}
    const failing = {}
    for (const [id, category] of Object.entries(lhr.categories)) {
      categories[id] = category.score === null ? null : Math.round(category.score * 100)
      failing[id] = category.auditRefs
        .filter(ref => ref.weight > 0)
        .map(ref => lhr.audits[ref.id])
        .filter(audit => audit.score !== null && audit.score < 1)
        .map(audit => `${audit.id}: ${audit.title}${audit.displayValue ? ` (${audit.displayValue})` : ''}`)
    }
    const error = lhr.runtimeError ? `${lhr.runtimeError.code}: ${lhr.runtimeError.message}` : null
    process.stdout.write(JSON.stringify({ url, finalUrl: lhr.finalDisplayedUrl, categories, failing, error }) + '\n')
  }
} finally {
  await chrome.kill()
}
