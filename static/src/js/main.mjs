// The one entry module: initialise only the GOV.UK Frontend components the site
// uses. Every page works without this file; it only enhances.
import { Button, ErrorSummary, NotificationBanner, ServiceNavigation, SkipLink, createAll } from 'govuk-frontend'

import { initCookieBanner } from './cookie-banner.mjs'

createAll(Button)
createAll(ErrorSummary)
createAll(NotificationBanner)
createAll(ServiceNavigation)
createAll(SkipLink)
initCookieBanner()
