// The one entry module: initialise only the GOV.UK Frontend components the site
// uses. Every page works without this file; it only enhances.
// The quick exit's listeners are not here: static/src/js/quick-exit.js loads apart,
// in <head>, so it works while the page is still loading.
import {
  Button, CharacterCount, ErrorSummary, NotificationBanner, ServiceNavigation, SkipLink, createAll
} from 'govuk-frontend'

import { initCookieBanner } from './cookie-banner.mjs'
import { markJavaScriptOn } from './js-flag.mjs'
import { initQuickExitBar } from './quick-exit-bar.mjs'

createAll(Button)
createAll(CharacterCount)
createAll(ErrorSummary)
createAll(NotificationBanner)
createAll(ServiceNavigation)
createAll(SkipLink)
initCookieBanner()
markJavaScriptOn()
initQuickExitBar()
