// Loaded only for a visitor who accepted analytics (the server renders this tag and
// the provider's script for them alone). Configuration comes from data- attributes:
// the site's policy allows no inline script.
const $tag = document.querySelector('script[data-analytics-provider]')

if ($tag) {
  const { analyticsProvider: provider, analyticsSiteId: siteId, analyticsTracker: tracker } = $tag.dataset
  if (provider === 'ga4') {
    window.dataLayer = window.dataLayer || []
    const gtag = function () { window.dataLayer.push(arguments) }
    gtag('js', new Date())
    // 13 months, as the cookies page says, rather than Google's default of 2 years.
    gtag('config', siteId, { cookie_expires: 13 * 30 * 24 * 60 * 60 })
  } else if (provider === 'matomo') {
    const queue = (window._paq = window._paq || [])
    queue.push(['setTrackerUrl', tracker])
    queue.push(['setSiteId', siteId])
    queue.push(['trackPageView'])
    queue.push(['enableLinkTracking'])
  }
  // Plausible needs nothing: its script reads data-domain from its own tag.
}
