// The cookie banner, enhanced: the same form the page posts without JavaScript is
// sent with fetch, so the page does not reload. On success the matching confirmation
// is shown and focused (it has tabindex="-1" and role="alert"); on failure the banner
// says so and no choice is assumed. "Hide cookie message" hides the banner here.

export class CookieBanner {
  constructor ($form) {
    this.$form = $form
    this.$error = $form.querySelector('[data-cookie-banner-error]')
    this.errorText = $form.dataset.errorText || 'Sorry, there was a technical problem. Please try again.'
    this.analyticsPatterns = ($form.dataset.analyticsCookies || '')
      .split(' ').filter(Boolean).map((pattern) => new RegExp(`^(?:${pattern})$`))
    $form.addEventListener('submit', (event) => this.submit(event))
  }

  message (name) {
    return this.$form.querySelector(`[data-cookie-banner-message="${name}"]`)
  }

  async submit (event) {
    const submitter = event.submitter
    event.preventDefault()
    if (submitter && submitter.name === 'hide') {
      this.$form.hidden = true
      return
    }
    if (!submitter || submitter.name !== 'cookies') return
    this.clearError()
    let answer
    try {
      // The form's fields plus the pressed button, as the browser would send them.
      const body = new URLSearchParams(new FormData(this.$form))
      body.set(submitter.name, submitter.value)
      const response = await fetch(this.$form.action, {
        method: 'POST',
        body,
        headers: { Accept: 'application/json' },
        credentials: 'same-origin'
      })
      if (!response.ok) throw new Error(`HTTP ${response.status}`)
      answer = await response.json()
    } catch {
      this.showError()
      return
    }
    if (answer.cookies !== 'accepted' && answer.cookies !== 'rejected') {
      this.showError()
      return
    }
    if (answer.cookies === 'rejected') clearAnalyticsCookies(this.analyticsPatterns)
    this.message('question').hidden = true
    const $confirmation = this.message(answer.cookies)
    $confirmation.hidden = false
    $confirmation.focus()
  }

  clearError () {
    if (this.$error) this.$error.replaceChildren()
  }

  showError () {
    if (!this.$error) return
    const $message = document.createElement('p')
    $message.className = 'govuk-error-message'
    $message.textContent = this.errorText
    this.$error.replaceChildren($message)
  }
}

// Delete analytics cookies the browser script can see, on this host and every domain
// above it (scripts such as Google's set them on the highest domain they can). The
// server also sends expired Set-Cookie headers for them; this catches the rest.
export function clearAnalyticsCookies (patterns) {
  if (!patterns.length) return
  const names = document.cookie.split(';')
    .map((pair) => pair.split('=')[0].trim())
    .filter((name) => name && patterns.some((pattern) => pattern.test(name)))
  const labels = window.location.hostname.split('.')
  const domains = ['']
  if (!/^[\d.]+$/.test(window.location.hostname) && labels.length > 1) {
    for (let i = 0; i < labels.length - 1; i++) domains.push(`; domain=.${labels.slice(i).join('.')}`)
  }
  for (const name of names) {
    for (const domain of domains) {
      document.cookie = `${name}=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/${domain}`
    }
  }
}

export function initCookieBanner () {
  for (const $form of document.querySelectorAll('[data-module="app-cookie-banner"]')) {
    new CookieBanner($form)
  }
}
