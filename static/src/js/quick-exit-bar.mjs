// Keeps html's scroll-padding equal to the sticky quick exit bar's real height (it
// changes with text size, zoom and wrapping), so a focused element is never hidden
// under the bar (WCAG 2.4.11). Without this, the Sass gives a fixed estimate.
export function initQuickExitBar (root = document) {
  const bar = root.querySelector('[data-quick-exit-bar]')
  if (!bar || !('ResizeObserver' in window)) return
  const parts = [bar, bar.querySelector('.app-quick-exit__actions')].filter(Boolean)
  const html = document.documentElement

  const update = () => {
    const sticky = parts.find((element) => getComputedStyle(element).position === 'sticky')
    if (!sticky) {
      html.style.removeProperty('--app-quick-exit-height')
      return
    }
    html.style.setProperty('--app-quick-exit-height', `${Math.ceil(sticky.getBoundingClientRect().height)}px`)
  }

  const observer = new ResizeObserver(update)
  parts.forEach((element) => observer.observe(element))
  window.addEventListener('resize', update)
  update()
}
