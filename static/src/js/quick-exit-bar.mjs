// Keeps html's scroll-padding equal to the sticky quick exit bar's real height (it
// changes with text size, zoom and wrapping), so a focused element is never hidden
// under the bar (WCAG 2.4.11). Without this, the Sass gives a fixed estimate.
export function initQuickExitBar (root = document) {
  const bar = root.querySelector('[data-quick-exit-bar]')
  if (!bar || !('ResizeObserver' in window)) return
  const parts = [bar, bar.querySelector('.app-quick-exit__actions')].filter(Boolean)
  const html = document.documentElement

  let observer = null
  const update = () => {
    if (html.classList.contains('app-quick-exit-exited')) {
      // The page has been covered to leave: measuring now would cost the cover's frame
      // a forced layout and a restyle of the whole page, for a bar no one will see.
      if (observer) observer.disconnect()
      window.removeEventListener('resize', update)
      return
    }
    const sticky = parts.find((element) => getComputedStyle(element).position === 'sticky')
    if (!sticky) {
      html.style.removeProperty('--app-quick-exit-height')
      return
    }
    html.style.setProperty('--app-quick-exit-height', `${Math.ceil(sticky.getBoundingClientRect().height)}px`)
  }

  observer = new ResizeObserver(update)
  parts.forEach((element) => observer.observe(element))
  window.addEventListener('resize', update)
  update()
}
