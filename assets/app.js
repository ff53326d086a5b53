// giropops-senhas page behaviour: show/hide, copy (with a fallback for plain-HTTP origins), the length slider
// and word count, generation in place (the plain form post without JavaScript), focus and announcement of a
// new secret, the strength meter recomputed as the options change.
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

  // The label stays fixed ("Mostrar senha"); the state is aria-pressed alone.
  function toggle(button, input) {
    const show = input.type === 'password';
    input.type = show ? 'text' : 'password';
    button.setAttribute('aria-pressed', String(show));
  }

  // Copy feedback beside the button that asked for it (its own polite region), cleared after a few seconds.
  function feedback(button, message) {
    const note = button.nextElementSibling;
    if (!note || !note.classList.contains('copy-note')) return;
    note.textContent = message;
    window.clearTimeout(note.timer);
    note.timer = window.setTimeout(function () { note.textContent = ''; }, 4000);
  }

  // navigator.clipboard exists only in secure contexts (HTTPS, localhost); on http://<ip>:5000 fall back to
  // selecting a hidden textarea and execCommand('copy'); if that fails too, select the text for the user.
  async function copy(button, input) {
    const value = input.value;
    if (window.isSecureContext && navigator.clipboard && navigator.clipboard.writeText) {
      try {
        await navigator.clipboard.writeText(value);
        feedback(button, texts.copied);
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
      feedback(button, texts.copied);
    } else {
      input.type = 'text';
      input.focus();
      input.select();
      feedback(button, texts.copyFailed);
    }
  }

  document.addEventListener('click', function (event) {
    const button = event.target.closest('button[data-toggle], button[data-copy]');
    if (!button) return;
    const input = document.getElementById(button.dataset.toggle || button.dataset.copy);
    if (!input) return;
    if (button.dataset.toggle) toggle(button, input); else copy(button, input);
  });

  // Without JavaScript these buttons would do nothing: the page sends them hidden, shown here.
  for (const button of document.querySelectorAll('button[data-toggle], button[data-copy]')) {
    button.hidden = false;
    if (button.dataset.copy) {
      const note = document.createElement('span');
      note.className = 'copy-note';
      note.setAttribute('role', 'status');
      button.after(note);
    }
  }

  // The length: the number field posts; the slider (shown only with JavaScript) follows it and moves it.
  const lengthField = document.getElementById('tamanho');
  const lengthSlider = document.getElementById('tamanho-deslizante');
  if (lengthField && lengthSlider) {
    lengthSlider.hidden = false;
    lengthSlider.addEventListener('input', function () { lengthField.value = lengthSlider.value; });
    lengthField.addEventListener('input', function () {
      if (lengthField.validity.valid) lengthSlider.value = lengthField.value;
    });
  }
  const words = document.getElementById('palavras');
  const wordsOutput = document.getElementById('palavras-valor');
  if (words && wordsOutput) {
    words.addEventListener('input', function () { wordsOutput.value = words.value; });
  }

  // A new secret on the page: focus it and say so, without reading it aloud.
  const result = document.querySelector('.result[data-announce]');
  const secret = document.getElementById('senha-gerada');
  function showResult() {
    result.hidden = false;
    secret.focus();
    announce(result.dataset.announce);
  }
  if (result && secret && !result.hidden) showResult();

  function element(tag, properties) { return Object.assign(document.createElement(tag), properties); }

  function iconButton(kind, target, label, icon) {
    const button = element('button', { type: 'button', className: 'icon', title: label });
    button.dataset[kind] = target;
    button.setAttribute('aria-label', label);
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('aria-hidden', 'true');
    const use = document.createElementNS('http://www.w3.org/2000/svg', 'use');
    use.setAttribute('href', icon);
    svg.append(use);
    button.append(svg);
    return button;
  }

  // The history as the server lists it after a generation in place, built as the template builds it.
  function showHistory(list) {
    const ol = document.querySelector('#historico ol.history');
    if (!ol || !Array.isArray(list)) return;
    ol.replaceChildren(...list.map(function (value, i) {
      const n = i + 1;
      const id = 'h' + n;
      const toggle = iconButton('toggle', id, texts.show + ' ' + n, '#i-eye');
      toggle.setAttribute('aria-pressed', 'false');
      const copyButton = iconButton('copy', id, texts.copy + ' ' + n, '#i-copy');
      const note = element('span', { className: 'copy-note' });
      note.setAttribute('role', 'status');
      const li = element('li');
      li.append(element('label', { className: 'visually-hidden', htmlFor: id, textContent: texts.item + ' ' + n }),
        element('input', { type: 'password', id: id, className: 'secret', value: value, readOnly: true,
          autocomplete: 'off', spellcheck: false }), toggle, copyButton, note);
      return li;
    }));
    const empty = document.getElementById('historico-vazio');
    if (empty) empty.hidden = list.length > 0;
    const clear = document.getElementById('limpar-historico');
    if (clear) clear.hidden = list.length === 0;
  }

  function showError(message) {
    let error = status.parentElement.querySelector(':scope > p.error');
    if (!error) {
      error = element('p', { className: 'error' });
      error.setAttribute('role', 'alert');
      status.before(error);
    }
    error.textContent = message;
    error.hidden = !message;
  }

  // Generate in place: the form's fields posted to its own URL (in the body, never in the URL), asking for JSON;
  // the answer is the secret and the history. Anything unexpected falls back to the plain form post.
  for (const form of document.querySelectorAll('form.generator')) {
    form.addEventListener('submit', async function (event) {
      if (!window.fetch || !result || !secret || !status) return;
      event.preventDefault();
      let response;
      let data;
      try {
        response = await fetch(form.action, {
          method: 'POST', body: new URLSearchParams(new FormData(form)),
          headers: { Accept: 'application/json' }, credentials: 'same-origin',
        });
        data = (await response.json()) || {};
      } catch (_) {
        form.submit();
        return;
      }
      if (!response.ok || typeof data.senha !== 'string') {
        showError(data.error && data.error.message ? data.error.message : '');
        if (!data.error) form.submit();
        return;
      }
      showError('');
      secret.type = 'password';
      secret.value = data.senha;
      const toggle = result.querySelector('button[data-toggle]');
      if (toggle) toggle.setAttribute('aria-pressed', 'false');
      showResult();
      showHistory(data.historico);
    });
  }

  // ---- Entropy, by the server's rules (src/generator/policy.rs, passphrase.rs, entropy.rs) ----------------
  // The number of valid secrets is counted exactly with BigInt; entropy = log2(count), from the 64 leading bits
  // as the server does; shown rounded to 0.1. tests/browser.rs compares these functions with the server.
  const LOWER = 'abcdefghijklmnopqrstuvwxyz';
  const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const DIGITS = '0123456789';
  const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
  const SAFE_SYMBOLS = '!#$%&()*+,-./:;<=>?@[]^_{|}~';
  const AMBIGUOUS = '0Oo1lI|';
  // Word list sizes by language (src/generator/language.rs): EFF large list, BIP-39 Portuguese.
  const WORDLIST_SIZES = { 'en': 7776n, 'pt-BR': 2048n };

  function log2(n) {
    const bits = n.toString(2).length;
    if (n <= 1n) return 0;
    if (bits <= 64) return Math.log2(Number(n));
    const shift = bits - 64;
    return shift + Math.log2(Number(n >> BigInt(shift)));
  }

  function rounded(bits) { return Math.round(bits * 10) / 10; }

  // Classes are [size, minimum]; the count of strings of `length` with at least `minimum` of each class:
  // g_j(n) = sum_{k=min_j..n} C(n,k) * size_j^k * g_{j-1}(n-k).
  function countStrings(length, classes) {
    const binom = [];
    for (let n = 0; n <= length; n++) {
      binom.push([1n]);
      for (let k = 1; k <= n; k++) binom[n].push(k === n ? 1n : binom[n - 1][k - 1] + binom[n - 1][k]);
    }
    let g = [1n];
    for (let n = 1; n <= length; n++) g.push(0n);
    for (const [size, minimum] of classes) {
      const s = BigInt(size);
      const powers = [1n];
      for (let k = 1; k <= length; k++) powers.push(powers[k - 1] * s);
      const next = [];
      for (let n = 0; n <= length; n++) {
        let total = 0n;
        for (let k = minimum; k <= n; k++) total += binom[n][k] * powers[k] * g[n - k];
        next.push(total);
      }
      g = next;
    }
    return g[length];
  }

  // The legacy policy: letters always, digits and the 32 punctuation characters by flag, each at least once.
  function legacyBits(length, digits, punctuation) {
    if (!(length >= 4 && length <= 128)) return null;
    const classes = [[LOWER.length + UPPER.length, 1]];
    if (digits) classes.push([DIGITS.length, 1]);
    if (punctuation) classes.push([PUNCTUATION.length, 1]);
    return rounded(log2(countStrings(length, classes)));
  }

  // The v1 policy, with the field names of POST /api/v1/passwords; null when no secret satisfies it.
  function passwordBits(o) {
    const length = o.length === undefined ? 16 : o.length;
    if (!(Number.isInteger(length) && length >= 4 && length <= 128)) return null;
    let symbols = SAFE_SYMBOLS;
    if (o.symbol_set !== undefined && o.symbol_set !== null) {
      symbols = '';
      for (const c of o.symbol_set) {
        if (!/^[!-\/:-@\[-`{-~]$/.test(c)) return null;
        if (!symbols.includes(c)) symbols += c;
      }
    }
    const exclude = o.exclude || '';
    const excluded = function (c) { return (o.exclude_ambiguous && AMBIGUOUS.includes(c)) || exclude.includes(c); };
    const classes = [];
    let required = 0;
    for (const [name, chars] of [['lowercase', LOWER], ['uppercase', UPPER], ['digits', DIGITS], ['symbols', symbols]]) {
      const enabled = o[name] === undefined ? true : o[name];
      const min = o['min_' + name];
      if (!enabled) {
        if (min) return null;
        continue;
      }
      const size = Array.from(chars).filter(function (c) { return !excluded(c); }).length;
      if (size === 0) return null;
      const minimum = min === undefined || min === null ? 1 : min;
      required += minimum;
      classes.push([size, minimum]);
    }
    if (classes.length === 0 || required > length) return null;
    return rounded(log2(countStrings(length, classes)));
  }

  function passphraseBits(words, includeNumber, language) {
    if (!(words >= 3 && words <= 20)) return null;
    const size = WORDLIST_SIZES[language === undefined ? 'en' : language];
    if (size === undefined) return null;
    let n = size ** BigInt(words);
    if (includeNumber) n *= BigInt(words * 10);
    return rounded(log2(n));
  }

  window.giropopsEntropy = { legacy: legacyBits, password: passwordBits, passphrase: passphraseBits };

  function strengthOf(bits) {
    if (bits === null) return 'impossible';
    if (bits < 40) return 'weak';
    if (bits < 64) return 'fair';
    if (bits < 100) return 'strong';
    return 'very_strong';
  }

  function showMeter(meter, bits) {
    const level = strengthOf(bits);
    const words = { weak: texts.weak, fair: texts.fair, strong: texts.strong, very_strong: texts.veryStrong };
    let text = texts.impossible;
    if (bits !== null) {
      let number = bits.toFixed(1);
      if (document.documentElement.lang !== 'en') number = number.replace('.', ',');
      text = words[level] + ' \u00b7 ' + number + ' bits';
    }
    meter.value = bits === null ? 0 : bits;
    meter.setAttribute('aria-valuetext', text);
    meter.parentElement.dataset.level = level;
    const label = document.getElementById(meter.id + '-texto');
    if (label) label.textContent = text;
  }

  // What the password form will post, as the server reads it: any option set → the v1 policy.
  function passwordFormBits(form) {
    const value = function (name) { const e = form.elements[name]; return e ? e.value : ''; };
    const checked = function (name) { const e = form.elements[name]; return !!(e && e.checked); };
    const length = Number(value('tamanho'));
    const digits = checked('incluir_numeros');
    const punctuation = checked('incluir_caracteres_especiais');
    const optionNames = ['letras', 'min_minusculas', 'min_maiusculas', 'min_numeros', 'min_especiais', 'excluir', 'simbolos'];
    const anyOption = checked('excluir_parecidos') || optionNames.some(function (n) { return value(n) !== ''; });
    if (!anyOption) return legacyBits(length, digits, punctuation);
    const minimum = function (name) {
      const v = value(name).trim();
      if (v === '') return undefined;
      return /^[0-9]+$/.test(v) && Number(v) <= 128 ? Number(v) : NaN;
    };
    const letters = value('letras') || 'ambas';
    const options = {
      length: length,
      lowercase: letters === 'ambas' || letters === 'minusculas',
      uppercase: letters === 'ambas' || letters === 'maiusculas',
      digits: digits,
      symbols: punctuation,
      min_lowercase: minimum('min_minusculas'),
      min_uppercase: minimum('min_maiusculas'),
      min_digits: minimum('min_numeros'),
      min_symbols: minimum('min_especiais'),
      exclude_ambiguous: checked('excluir_parecidos'),
      exclude: value('excluir'),
      symbol_set: value('simbolos') === '' ? undefined : value('simbolos'),
    };
    if (Object.values(options).some(function (v) { return Number.isNaN(v); })) return null;
    return passwordBits(options);
  }

  const passwordForm = document.getElementById('form-senha');
  const passwordMeter = document.getElementById('forca-senha');
  if (passwordForm && passwordMeter) {
    const update = function () { showMeter(passwordMeter, passwordFormBits(passwordForm)); };
    passwordForm.addEventListener('input', update);
    passwordForm.addEventListener('change', update);
  }
  const phraseForm = document.getElementById('form-frase');
  const phraseMeter = document.getElementById('forca-frase');
  if (phraseForm && phraseMeter) {
    const update = function () {
      showMeter(phraseMeter, passphraseBits(Number(phraseForm.elements.palavras.value),
        phraseForm.elements.incluir_numero.checked, phraseForm.elements.idioma.value));
    };
    phraseForm.addEventListener('input', update);
    phraseForm.addEventListener('change', update);
  }
})();
