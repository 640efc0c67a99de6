// Tells a form that JavaScript ran: any hidden input marked `data-js-flag` is set
// to "on" (its server-rendered value is "off"). The feedback form records it.
export function markJavaScriptOn (root = document) {
  for (const input of root.querySelectorAll('input[type="hidden"][data-js-flag]')) {
    input.value = 'on'
  }
}
