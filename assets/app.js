// giropops-senhas page behaviour: show/hide, copy (with a fallback for plain-HTTP origins), live length.
// Loaded as a file (no inline script) so the Content-Security-Policy `default-src 'self'` holds.
'use strict';
(function () {
  const texts = document.documentElement.dataset;
  const status = document.getElementById('status');

  function announce(message) {
    if (!status) return;
    // Clear first so screen readers announce the same message twice in a row.
    status.textContent = '';
    window.setTimeout(function () { status.textContent = message; }, 30);
  }

  function toggle(button, input) {
    const show = input.type === 'password';
    input.type = show ? 'text' : 'password';
    button.setAttribute('aria-pressed', String(show));
    button.setAttribute('aria-label', show ? texts.hide : texts.show);
    button.title = show ? texts.hide : texts.show;
  }

  // navigator.clipboard exists only in secure contexts (HTTPS, localhost); on http://<ip>:5000 fall back to
  // selecting a hidden textarea and execCommand('copy'); if that fails too, select the text for the user.
  async function copy(input) {
    const value = input.value;
    if (window.isSecureContext && navigator.clipboard && navigator.clipboard.writeText) {
      try {
        await navigator.clipboard.writeText(value);
        announce(texts.copied);
        return;
      } catch (_) { /* permission denied or no focus: try the fallback */ }
    }
    const area = document.createElement('textarea');
    area.value = value;
    area.setAttribute('readonly', '');
    area.className = 'offscreen';
    document.body.appendChild(area);
    area.select();
    let copied = false;
    try { copied = document.execCommand('copy'); } catch (_) { copied = false; }
    area.remove();
    if (copied) {
      announce(texts.copied);
    } else {
      input.type = 'text';
      input.focus();
      input.select();
      announce(texts.copyFailed);
    }
  }

  document.addEventListener('click', function (event) {
    const button = event.target.closest('button[data-toggle], button[data-copy]');
    if (!button) return;
    const input = document.getElementById(button.dataset.toggle || button.dataset.copy);
    if (!input) return;
    if (button.dataset.toggle) toggle(button, input); else copy(input);
  });

  const range = document.getElementById('tamanho');
  const output = document.getElementById('tamanho-valor');
  if (range && output) {
    range.addEventListener('input', function () { output.value = range.value; });
  }
})();
