// giropops-senhas page behaviour: show/hide, copy (with a fallback for plain-HTTP origins), the length slider
// and word count, generation in place (the plain form post without JavaScript), focus and announcement of a
// new secret, the strength meter recomputed as the options change (classes, site rules and passwordrules).
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

  // The new secret, revealed, moves to a textarea that wraps (an input cannot: a long passphrase would show
  // in part); masked, the textarea is emptied again.
  const revealed = document.getElementById('senha-revelada');
  function reveal(input, show) {
    if (!revealed || input.id !== 'senha-gerada') return false;
    revealed.value = show ? input.value : '';
    revealed.hidden = !show;
    input.hidden = show;
    return true;
  }

  // The label stays fixed ("Mostrar senha"); the state is aria-pressed alone.
  function toggle(button, input) {
    const show = button.getAttribute('aria-pressed') !== 'true';
    if (!reveal(input, show)) input.type = show ? 'text' : 'password';
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
    const again = event.target.closest('button[data-regenerate]');
    const form = document.querySelector('form.generator');
    if (again && form) {
      // The same form, posted again in place (the submit handler below).
      if (form.requestSubmit) form.requestSubmit(); else form.submit();
      return;
    }
    const button = event.target.closest('button[data-toggle], button[data-copy]');
    if (!button) return;
    const input = document.getElementById(button.dataset.toggle || button.dataset.copy);
    if (!input) return;
    if (button.dataset.toggle) toggle(button, input); else copy(button, input);
  });

  // Without JavaScript these buttons would do nothing: the page sends them hidden, shown here.
  for (const button of document.querySelectorAll('button[data-toggle], button[data-copy], button[data-regenerate]')) {
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

  // Errors beside their field, as the server renders them without JavaScript: the field marked invalid and
  // described by the message, focused, and the title prefixed.
  const title = document.title.replace(texts.errorTitle || '\u0000', '');
  function titled(error) { document.title = (error ? texts.errorTitle || '' : '') + title; }

  function clearFieldErrors(form) {
    for (const note of form.querySelectorAll('.field-error')) note.remove();
    for (const field of form.querySelectorAll('[aria-invalid]')) {
      field.removeAttribute('aria-invalid');
      const rest = (field.getAttribute('aria-describedby') || '').split(' ')
        .filter(function (id) { return id && id !== field.id + '-erro'; });
      if (rest.length) field.setAttribute('aria-describedby', rest.join(' '));
      else field.removeAttribute('aria-describedby');
    }
  }

  function showFieldError(form, name, message) {
    const field = name ? form.elements[name] : null;
    if (!field || !field.id || typeof field.focus !== 'function') return false;
    const details = field.closest('details');
    if (details) details.open = true;
    const note = element('p', { className: 'field-error', id: field.id + '-erro', textContent: message });
    (field.closest('fieldset, .row') || field).after(note);
    const described = (field.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
    field.setAttribute('aria-describedby', [note.id].concat(described).join(' '));
    field.setAttribute('aria-invalid', 'true');
    field.focus();
    return true;
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
      clearFieldErrors(form);
      if (!response.ok || typeof data.senha !== 'string') {
        const message = data.error && data.error.message ? data.error.message : '';
        const inline = showFieldError(form, data.campo, message);
        showError(inline ? '' : message);
        titled(!!message);
        if (!data.error) form.submit();
        return;
      }
      showError('');
      titled(false);
      reveal(secret, false);
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

  // ---- Site rules, by the server's rules (src/generator/rules/: parse.rs, mod.rs, count.rs) -----------------
  // Sets are BigInt bit masks over ASCII codes, like CharSet (u128) in parse.rs. Any case the server refuses
  // (a 422) is null here, `too_much_work` included (the server's CPU estimate for one password, reproduced).
  const MAX_RULES_BYTES = 1024;
  const MAX_REQUIRED_LINES = 8;
  const DEFAULT_RULES_LENGTH = 20;
  function charRange(from, to) {
    let set = 0n;
    for (let c = from; c <= to; c++) set |= 1n << BigInt(c);
    return set;
  }
  const SET_UPPER = charRange(65, 90);
  const SET_LOWER = charRange(97, 122);
  const SET_DIGIT = charRange(48, 57);
  const SET_PRINTABLE = charRange(32, 126);
  const SET_SPACE = 1n << 32n;
  const SET_SPECIAL = SET_PRINTABLE & ~SET_UPPER & ~SET_LOWER & ~SET_DIGIT;
  const RULE_CLASSES = {
    'upper': SET_UPPER, 'lower': SET_LOWER, 'digit': SET_DIGIT, 'special': SET_SPECIAL,
    'ascii-printable': SET_PRINTABLE, 'unicode': SET_PRINTABLE,
  };
  const isSpace = function (c) { return c !== undefined && /^\p{White_Space}$/u.test(c); };

  // parse.rs: the rules as written, or null where the server answers invalid_rules.
  function parseRules(text) {
    const chars = Array.from(text);
    let at = 0;
    const peek = function () { return chars[at]; };
    const skip = function () { while (isSpace(peek())) at++; };
    const eat = function (wanted) { if (peek() !== wanted) return false; at++; return true; };
    const name = function () {
      let word = '';
      while (peek() !== undefined && /^[A-Za-z-]$/.test(peek())) word += chars[at++];
      return word.toLowerCase();
    };
    const number = function () {
      let value = null;
      while (peek() !== undefined && /^[0-9]$/.test(peek())) value = Math.min((value || 0) * 10 + Number(chars[at++]), 4294967295);
      return value;
    };
    const parsed = { min: null, max: null, consecutive: null, required: [], allowed: [], space: false };
    const custom = function () {
      let set = 0n;
      const add = function (c) {
        const code = c.codePointAt(0);
        if (code >= 32 && code <= 126) set |= 1n << BigInt(code);
      };
      if (eat('-')) add('-');
      while (peek() !== undefined && peek() !== '-' && peek() !== ']') add(chars[at++]);
      if (peek() === ']' && chars[at + 1] === ']') { add(']'); at++; }
      if (!eat(']')) return null;
      if (set & SET_SPACE) parsed.space = true;
      return set;
    };
    const classes = function () {
      let set = 0n;
      for (;;) {
        const one = eat('[') ? custom() : RULE_CLASSES[name()];
        if (one === undefined || one === null) return null;
        set |= one;
        skip();
        if (!eat(',')) return set;
        skip();
      }
    };
    skip();
    if (peek() === undefined) return null;
    for (;;) {
      skip();
      if (peek() === undefined) return parsed;
      const property = name();
      skip();
      if (!eat(':')) return null;
      skip();
      if (property === 'required' || property === 'allowed') {
        const set = classes();
        if (set === null) return null;
        parsed[property].push(set);
      } else {
        const value = number();
        if (value === null) return null;
        if (property === 'minlength') parsed.min = parsed.min === null ? value : Math.max(parsed.min, value);
        else if (property === 'maxlength') parsed.max = parsed.max === null ? value : Math.min(parsed.max, value);
        else if (property === 'max-consecutive') parsed.consecutive = parsed.consecutive === null ? value : Math.min(parsed.consecutive, value);
        else return null;
      }
      skip();
      if (peek() === undefined) return parsed;
      if (!eat(';')) return null;
    }
  }

  // The built-in site table (domain → rules), the one the server looks sites up in, served under a name that
  // carries its content's hash (the site field's data-sites). Fetched once, on first use, not with the page; it
  // also fills the field's suggestions. Until it arrives, a site's rules are `undefined`: not known yet.
  let siteTable = null;
  let siteTableLoading = null;
  function loadSites() {
    if (siteTable !== null) return Promise.resolve(siteTable);
    if (siteTableLoading !== null) return siteTableLoading;
    const field = document.getElementById('site');
    const url = field ? field.dataset.sites : undefined;
    if (!url) return Promise.resolve(null);
    siteTableLoading = fetch(url, { credentials: 'same-origin' })
      .then(function (response) {
        if (!response.ok) throw new Error('site table: HTTP ' + response.status);
        return response.json();
      })
      .then(function (table) {
        siteTable = new Map(Object.entries(table));
        const list = document.getElementById('sites');
        if (list && list.children.length === 0) {
          const options = document.createDocumentFragment();
          for (const domain of siteTable.keys()) {
            const option = document.createElement('option');
            option.value = domain;
            options.appendChild(option);
          }
          list.appendChild(options);
        }
        return siteTable;
      })
      .catch(function () {
        // Offline or refused: the next use tries again; the server still follows the site when posted.
        siteTableLoading = null;
        return null;
      });
    return siteTableLoading;
  }

  // sites.rs: the exact host, else its nearest parent domain, in the table; `undefined` before it is loaded.
  function siteRules(host) {
    if (siteTable === null) return undefined;
    let candidate = host.replace(/^\p{White_Space}+|\p{White_Space}+$/gu, '').replace(/\.+$/, '')
      .replace(/[A-Z]/g, function (c) { return c.toLowerCase(); });
    for (;;) {
      if (siteTable.has(candidate)) return siteTable.get(candidate);
      const dot = candidate.indexOf('.');
      if (dot < 0) return null;
      candidate = candidate.slice(dot + 1);
      if (!candidate.includes('.')) return null;
    }
  }

  function popcount(set) {
    let n = 0;
    for (; set; set &= set - 1n) n++;
    return n;
  }

  // count.rs: strings of `length` over `m` characters with no run longer than `k` (m·E(L), prefix sums Q).
  function runLimited(m, length, k) {
    if (m === 0) return 0n;
    const q = [0n, 1n];
    for (let n = 1; n <= length; n++) q.push(q[n] + (q[n] - q[n - Math.min(k, n)]) * BigInt(m - 1));
    return (q[length] - q[length - Math.min(k, length)]) * BigInt(m);
  }

  // POST /api/v1/passwords with `rules` or `site`: the exact count by inclusion–exclusion over the required
  // lines, each term a run-limited count; null for what the server refuses.
  function rulesBits(o) {
    if (o.rules !== undefined && o.site !== undefined) return null;
    for (const name of ['lowercase', 'uppercase', 'digits', 'symbols']) if (o[name] === false) return null;
    for (const name of ['min_lowercase', 'min_uppercase', 'min_digits', 'min_symbols', 'symbol_set', 'min_entropy_bits']) {
      if (o[name] !== undefined && o[name] !== null) return null;
    }
    const text = o.rules !== undefined ? o.rules : siteRules(o.site);
    if (text === undefined) return undefined;
    if (text === null) return null;
    if (new TextEncoder().encode(text).length > MAX_RULES_BYTES) return null;
    const parsed = parseRules(text);
    if (parsed === null || parsed.required.length > MAX_REQUIRED_LINES) return null;
    const min = Math.max(parsed.min === null ? 4 : parsed.min, 4);
    const max = Math.min(parsed.max === null ? 128 : parsed.max, 128);
    if (min > max) return null;
    let length = o.length;
    if (length === undefined) length = Math.min(Math.max(DEFAULT_RULES_LENGTH, min), max);
    else if (!(Number.isInteger(length) && length >= min && length <= max)) return null;
    if (parsed.consecutive === 0) return null;
    const k = Math.max(1, Math.min(parsed.consecutive === null ? length : parsed.consecutive, length));
    let drop = parsed.space ? 0n : SET_SPACE;
    const exclude = (o.exclude_ambiguous ? AMBIGUOUS : '') + (o.exclude || '');
    for (const c of exclude) if (c.codePointAt(0) < 128) drop |= 1n << BigInt(c.codePointAt(0));
    const lines = parsed.required.map(function (set) { return set & ~drop; });
    if (lines.some(function (set) { return set === 0n; })) return null;
    let named = parsed.required.concat(parsed.allowed).reduce(function (a, set) { return a | set; }, 0n);
    if (parsed.required.length === 0 && parsed.allowed.length === 0) named = SET_PRINTABLE;
    const alphabet = named & ~drop;
    if (alphabet === 0n) return null;
    const tables = new Map();
    let total = 0n;
    for (let t = 0; t < (1 << lines.length); t++) {
      let union = 0n;
      let size = 0;
      for (let i = 0; i < lines.length; i++) if (t & (1 << i)) { union |= lines[i]; size++; }
      const m = popcount(alphabet & ~union);
      if (!tables.has(m)) tables.set(m, runLimited(m, length, k));
      total += size % 2 ? -tables.get(m) : tables.get(m);
    }
    if (total <= 0n) return null;
    if (tooMuchWork(alphabet, lines, length, k, tables.size, total)) return null;
    return rounded(log2(total));
  }

  // The server's CPU estimate for one password (mod.rs, prepare_for(1)): beyond it, 422 too_much_work.
  const WORK_BUDGET_NS = 1000000;
  function tooMuchWork(alphabet, lines, length, k, tables, total) {
    const setup = tables * (length + 1) * 150 + (1 << lines.length) * 250;
    if (setup > WORK_BUDGET_NS) return true;
    const ratio = function (a, b) { return b === 0n ? 0 : 2 ** (log2(a) - log2(b)); };
    const size = popcount(alphabet);
    const plain = ratio(total, BigInt(size) ** BigInt(length));
    const acceptance = ratio(total, runLimited(size, length, k));
    let perPassword;
    if (plain >= 1 / 16) {
      perPassword = Math.floor(length * 30 / plain);
    } else if (k < length && acceptance >= 0.5) {
      perPassword = Math.floor(length * (2 * (250 + 80) + 800) / acceptance);
    } else {
      const groups = new Set();
      for (let c = 0; c < 128; c++) {
        if (!(alphabet & (1n << BigInt(c)))) continue;
        let sig = 0;
        lines.forEach(function (line, i) { if (line & (1n << BigInt(c))) sig |= 1 << i; });
        groups.add(sig);
      }
      const candidates = groups.size + 1;
      const terms = candidates * (length + lines.length * (1 << lines.length));
      perPassword = length * (800 + candidates * 250) + terms * 80;
    }
    return setup + Math.max(perPassword, 1) > WORK_BUDGET_NS;
  }

  // The v1 body: `rules` or `site` → the rules; otherwise the classes.
  function v1Bits(o) {
    if (o.rules !== undefined || o.site !== undefined) return rulesBits(o);
    return passwordBits(o);
  }

  // `password` of a body with `site` is undefined until the table is loaded (`sites()` loads it).
  window.giropopsEntropy = { legacy: legacyBits, password: v1Bits, passphrase: passphraseBits, sites: loadSites };

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
    const optionNames = ['letras', 'min_minusculas', 'min_maiusculas', 'min_numeros', 'min_especiais', 'excluir', 'simbolos', 'site', 'regras'];
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
    // `site` / `regras` as `site` / `rules` of the API; the form always posts its length.
    if (value('site') !== '') options.site = value('site');
    if (value('regras') !== '') options.rules = value('regras');
    return v1Bits(options);
  }

  const passwordForm = document.getElementById('form-senha');
  const passwordMeter = document.getElementById('forca-senha');
  if (passwordForm && passwordMeter) {
    // Typing a site or rules moves the length control into their range (the server still checks what is
    // posted: a length outside it is a 422 length_outside_rules, and moving the control back is allowed).
    const fitLength = function (event) {
      const name = event && event.target ? event.target.name : '';
      const field = passwordForm.elements.tamanho;
      if ((name !== 'site' && name !== 'regras') || !field) return;
      const own = passwordForm.elements.regras.value;
      const site = passwordForm.elements.site.value;
      const text = own !== '' ? own : (site !== '' ? siteRules(site) : null);
      const parsed = text ? parseRules(text) : null;
      if (!parsed) return;
      const min = Math.max(parsed.min === null ? 4 : parsed.min, Number(field.min));
      const max = Math.min(parsed.max === null ? 128 : parsed.max, Number(field.max));
      const length = Number(field.value);
      if (min > max || (length >= min && length <= max)) return;
      field.value = String(Math.min(Math.max(length, min), max));
      if (lengthSlider) lengthSlider.value = field.value;
    };
    // A site typed before its table arrived: the meter keeps what it shows, the table is fetched, then both
    // the length and the meter follow (once: if the fetch fails, the next change tries again).
    const sitePending = function () {
      return siteTable === null && passwordForm.elements.site.value !== '' && passwordForm.elements.regras.value === '';
    };
    const update = function (event, retried) {
      if (sitePending()) {
        if (!retried) loadSites().then(function () { update(event, true); });
        return;
      }
      fitLength(event);
      showMeter(passwordMeter, passwordFormBits(passwordForm));
    };
    passwordForm.addEventListener('input', update);
    passwordForm.addEventListener('change', update);
    // The suggestions come with the table: fetched when the site field is first used.
    if (passwordForm.elements.site) passwordForm.elements.site.addEventListener('focus', function () { loadSites(); });
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
