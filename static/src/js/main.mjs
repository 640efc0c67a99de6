// The one entry module: initialise only the GOV.UK Frontend components the site
// uses. Every page works without this file; it only enhances.
import { Button, ErrorSummary, ServiceNavigation, SkipLink, createAll } from 'govuk-frontend'

createAll(Button)
createAll(ErrorSummary)
createAll(ServiceNavigation)
createAll(SkipLink)
