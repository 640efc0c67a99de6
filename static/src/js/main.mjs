// The one entry module: initialise only the GOV.UK Frontend components the site
// uses. Every page works without this file; it only enhances.
import {
  Button, CharacterCount, ErrorSummary, NotificationBanner, ServiceNavigation, SkipLink, createAll
} from 'govuk-frontend'

import { initCookieBanner } from './cookie-banner.mjs'
import { markJavaScriptOn } from './js-flag.mjs'

createAll(Button)
createAll(CharacterCount)
createAll(ErrorSummary)
createAll(NotificationBanner)
createAll(ServiceNavigation)
createAll(SkipLink)
initCookieBanner()
markJavaScriptOn()
