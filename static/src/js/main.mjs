// The one entry module: initialise only the GOV.UK Frontend components the site
// uses. Every page works without this file; it only enhances.
// The quick exit's listeners are not here: static/src/js/quick-exit.js loads apart,
// in <head>, so it works while the page is still loading.
import { Button, ServiceNavigation, SkipLink, createAll } from 'govuk-frontend'

import { initQuickExitBar } from './quick-exit-bar.mjs'

createAll(Button)
createAll(ServiceNavigation)
createAll(SkipLink)
initQuickExitBar()
