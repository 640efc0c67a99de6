// Quick exit: leave the site in one keypress or one tap, leaving nothing behind.
//
// A tiny classic script loaded in <head> (before the stylesheet, so it never waits for
// it): the listeners exist before the page has finished loading. It is configured by
// data- attributes on its own <script> element, never by inline code:
//   data-exit-url        the neutral address to leave for (absolute https)
//   data-leave-url       the site's own /leave endpoint (the beacon ends the session)
//   data-escape-presses  1 (default) or 2: Escape presses within 2 s that trigger the exit
//   data-i18n-*          what it shows and announces, in the page's language (the English
//                        below is only a fallback), as GOV.UK Frontend components take i18n
//
// Triggers: Escape, Shift pressed three times within 5 s, or any [data-quick-exit] link.
// On activation, synchronously: cover the page, set a neutral title and favicon, clear
// what script can reach, send the beacon, then location.replace() so Back cannot return.
(function () {
  'use strict'

  var script = document.currentScript
  var data = (script && script.dataset) || {}
  var exitUrl = data.exitUrl
  if (!exitUrl) return
  var leaveUrl = data.leaveUrl || '/leave'
  var escapePresses = data.escapePresses === '2' ? 2 : 1
  var ESCAPE_WINDOW = 2000
  var SHIFT_PRESSES = 3
  var SHIFT_WINDOW = 5000
  // As $govuk-font-family in static/src/scss/main.scss.
  var FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'

  var text = {
    activated: data.i18nActivated || 'Loading.',
    tabTitle: data.i18nTabTitle || 'New Tab',
    timedOut: data.i18nTimedOut || 'Leave this site timed out.',
    // By the number of presses still needed.
    escape: { 1: data.i18nEscapePressOneMoreTime || 'Escape, press 1 more time to leave this site.' },
    shift: {
      1: data.i18nShiftPressOneMoreTime || 'Shift, press 1 more time to leave this site.',
      2: data.i18nShiftPressTwoMoreTimes || 'Shift, press 2 more times to leave this site.'
    }
  }

  var root = document.documentElement
  var exited = false
  var cover = null
  var escapeCount = 0
  var escapeTimer = 0
  var shiftCount = 0
  var shiftTimer = 0
  var shiftDown = false
  var shiftUsedAsModifier = false

  // Styles are set through the CSSOM (allowed by the CSP's style-src 'self', unlike a
  // style attribute or a <style> element) so the cover never waits for the stylesheet.
  function setStyles (element, styles) {
    for (var name in styles) element.style.setProperty(name, styles[name], 'important')
  }

  function hideBody (body) {
    setStyles(body, { display: 'none' })
    body.setAttribute('aria-hidden', 'true')
    body.inert = true
  }

  function coverPage () {
    cover = document.createElement('div')
    cover.setAttribute('data-quick-exit-cover', '')
    cover.setAttribute('role', 'alert')
    cover.textContent = text.activated
    setStyles(cover, {
      position: 'fixed',
      inset: '0',
      'z-index': '2147483647',
      margin: '0',
      padding: '1rem',
      background: 'Canvas',
      color: 'CanvasText',
      // The page's own typeface, already loaded and shaped: the cover is outside <body>,
      // and a face not yet used on the page costs a font lookup in the cover's frame.
      'font-family': FONT,
      'font-size': '1rem',
      'forced-color-adjust': 'auto',
      display: 'block'
    })
    // The cover is a sibling of <body>, so hiding everything in <body> leaves it shown.
    // The class tells the page's other scripts (quick-exit-bar.mjs) to stand still.
    root.classList.add('app-quick-exit-exited')
    root.appendChild(cover)
    setStyles(root, { background: 'Canvas' })
    if (document.body) {
      hideBody(document.body)
    } else {
      // Still parsing <head>: hide <body> the moment the parser creates it.
      new MutationObserver(function (records, observer) {
        if (document.body) {
          hideBody(document.body)
          observer.disconnect()
        }
      }).observe(root, { childList: true })
    }
  }

  function neutralise () {
    document.title = text.tabTitle
    var icons = document.querySelectorAll('link[rel~="icon"]')
    for (var i = 0; i < icons.length; i++) icons[i].remove()
    var blank = document.createElement('link')
    blank.rel = 'icon'
    blank.href = 'data:,'
    ;(document.head || root).appendChild(blank)
  }

  function clearCookies () {
    var names = document.cookie ? document.cookie.split(';') : []
    var host = location.hostname
    var domains = ['']
    var parts = host.split('.')
    for (var i = 0; i < parts.length - 1; i++) domains.push('; domain=.' + parts.slice(i).join('.'))
    var paths = ['; path=/']
    var segments = location.pathname.split('/')
    for (var j = 2; j <= segments.length; j++) paths.push('; path=' + segments.slice(0, j).join('/'))
    names.forEach(function (pair) {
      var name = pair.split('=')[0].trim()
      if (!name) return
      domains.forEach(function (domain) {
        paths.forEach(function (path) {
          document.cookie = name + '=; expires=Thu, 01 Jan 1970 00:00:00 GMT; max-age=0' + path + domain
        })
      })
    })
  }

  function clearStorage () {
    try { clearCookies() } catch (error) {}
    try { if (window.localStorage.length) window.localStorage.clear() } catch (error) {}
    try { if (window.sessionStorage.length) window.sessionStorage.clear() } catch (error) {}
  }

  // Cookies and storage are fetched from the browser process on first use, a round trip
  // that can take milliseconds on a busy machine. Make that first use now, while the
  // visitor reads, so the exit itself never waits for it. Nothing is written.
  var warm = []
  function warmUp () {
    try { warm.push(document.cookie.length) } catch (error) {}
    try { warm.push(window.localStorage.length) } catch (error) {}
    try { warm.push(window.sessionStorage.length) } catch (error) {}
  }

  function go () {
    location.replace(exitUrl)
  }

  function exit () {
    if (exited) {
      go()
      return
    }
    exited = true
    clearTimeout(escapeTimer)
    clearTimeout(shiftTimer)
    coverPage()
    neutralise()
    clearStorage()
    // Best effort: the server ends the session. The exit never waits for it.
    try { navigator.sendBeacon(leaveUrl) } catch (error) {}
    go()
  }

  function announce (message) {
    var region = document.querySelector('[data-quick-exit-status]')
    if (region) region.textContent = message
  }

  function onKeyDown (event) {
    if (exited) {
      // A second, panicked Escape must not mean "Stop" and cancel the exit.
      if (event.key === 'Escape') {
        event.preventDefault()
        go()
      }
      return
    }
    // Input-method composition uses Escape to cancel a candidate; key repeat is a held key.
    if (event.isComposing || event.keyCode === 229 || event.repeat) return
    if (event.key === 'Shift') {
      shiftDown = true
      shiftUsedAsModifier = false
      return
    }
    if (event.shiftKey) shiftUsedAsModifier = true
    resetShift()
    if (event.key !== 'Escape' || event.ctrlKey || event.altKey || event.metaKey || event.shiftKey) return
    escapeCount += 1
    if (escapeCount >= escapePresses) {
      event.preventDefault()
      exit()
      return
    }
    clearTimeout(escapeTimer)
    escapeTimer = setTimeout(function () {
      escapeCount = 0
      announce(text.timedOut)
    }, ESCAPE_WINDOW)
    announce(text.escape[escapePresses - escapeCount])
  }

  function onKeyUp (event) {
    if (exited || event.key !== 'Shift' || event.isComposing || event.keyCode === 229) return
    var counts = shiftDown && !shiftUsedAsModifier && !event.ctrlKey && !event.altKey && !event.metaKey
    shiftDown = false
    if (!counts) return
    shiftCount += 1
    clearTimeout(shiftTimer)
    if (shiftCount >= SHIFT_PRESSES) {
      exit()
      return
    }
    shiftTimer = setTimeout(function () {
      shiftCount = 0
      announce(text.timedOut)
    }, SHIFT_WINDOW)
    announce(text.shift[SHIFT_PRESSES - shiftCount])
  }

  function resetShift () {
    if (!shiftCount) return
    shiftCount = 0
    clearTimeout(shiftTimer)
    announce('')
  }

  function onClick (event) {
    var target = event.target
    var link = target && target.closest && target.closest('[data-quick-exit]')
    if (!link) return
    event.preventDefault()
    exit()
  }

  function onPageShow (event) {
    // Restored from the back/forward cache after an exit: stay covered and leave again.
    if (event.persisted && exited) go()
  }

  // Capture phase on window: registered before any other script, so nothing can stop it.
  window.addEventListener('keydown', onKeyDown, true)
  window.addEventListener('keyup', onKeyUp, true)
  document.addEventListener('click', onClick, true)
  window.addEventListener('pageshow', onPageShow)
  window.addEventListener('load', function () {
    if (window.requestIdleCallback) window.requestIdleCallback(warmUp, { timeout: 1000 })
    else setTimeout(warmUp, 0)
  })
  root.classList.add('app-quick-exit-enabled')
})()
