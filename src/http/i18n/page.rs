//! Every visible text of the page, in both languages.

use super::super::lang::Lang;

/// Every visible string of the page, per language.
pub struct Texts {
    pub title: &'static str,
    /// Before the title while the page shows an error ("Erro: Gerador de Senhas").
    pub error_title: &'static str,
    pub generate_title: &'static str,
    pub length: &'static str,
    pub digits: &'static str,
    pub punctuation: &'static str,
    pub generate: &'static str,
    pub generated: &'static str,
    /// The show toggle's fixed name (its state is `aria-pressed`) and the copy button's; history buttons add
    /// their position ("Mostrar senha 3").
    pub show: &'static str,
    pub copy: &'static str,
    /// The same two buttons beside a new passphrase.
    pub show_phrase: &'static str,
    pub copy_phrase: &'static str,
    /// `<meta name="description">`.
    pub description: &'static str,
    /// What the live region says when a new secret is on the page (never the secret itself).
    pub new_password: &'static str,
    /// The button beside the result that posts the same form again (shown only with JavaScript).
    pub regenerate: &'static str,
    pub new_phrase: &'static str,
    pub copied: &'static str,
    pub copy_failed: &'static str,
    pub history_title: &'static str,
    pub history_item: &'static str,
    pub refresh: &'static str,
    /// The button that empties the visitor's own (private) history.
    pub clear_history: &'static str,
    pub history_disabled: &'static str,
    pub history_unavailable: &'static str,
    pub history_empty: &'static str,
    pub footer: &'static str,
    /// The language switch: a plain link, so it works without JavaScript.
    pub switch_label: &'static str,
    pub switch_to: &'static str,
    pub tabs_label: &'static str,
    pub tab_password: &'static str,
    pub tab_phrase: &'static str,
    pub phrase_title: &'static str,
    pub options: &'static str,
    pub options_hint: &'static str,
    pub letters: &'static str,
    pub letters_both: &'static str,
    pub letters_lower: &'static str,
    pub letters_upper: &'static str,
    pub letters_none: &'static str,
    pub minimums: &'static str,
    pub min_lowercase: &'static str,
    pub min_uppercase: &'static str,
    pub min_digits: &'static str,
    pub min_symbols: &'static str,
    pub exclude_ambiguous: &'static str,
    pub exclude: &'static str,
    pub symbol_set: &'static str,
    /// The site and rules fields (`site`, `regras`) and what they replace.
    pub site: &'static str,
    pub rules: &'static str,
    pub rules_hint: &'static str,
    pub strength: &'static str,
    pub impossible: &'static str,
    pub words: &'static str,
    pub separator: &'static str,
    pub capitalize: &'static str,
    pub include_number: &'static str,
    pub generated_phrase: &'static str,
    pub phrase_note: &'static str,
    /// The passphrase's word list: the select's label and its two options.
    pub phrase_language: &'static str,
    pub words_pt: &'static str,
    pub words_en: &'static str,
    /// The strength words, weakest first.
    pub weak: &'static str,
    pub fair: &'static str,
    pub strong: &'static str,
    pub very_strong: &'static str,
}

pub const PT: Texts = Texts {
    title: "Gerador de Senhas",
    error_title: "Erro: ",
    generate_title: "Gerar senha",
    length: "Tamanho da senha:",
    digits: "Incluir números",
    punctuation: "Incluir caracteres especiais",
    generate: "Gerar",
    generated: "Senha gerada:",
    show: "Mostrar senha",
    copy: "Copiar senha",
    show_phrase: "Mostrar frase secreta",
    copy_phrase: "Copiar frase secreta",
    description: "Gere senhas e frases secretas fortes com o gerador criptográfico do sistema operacional; \
        funciona também sem JavaScript.",
    new_password: "Nova senha gerada.",
    regenerate: "Gerar outra",
    new_phrase: "Nova frase secreta gerada.",
    copied: "Copiado para a área de transferência.",
    copy_failed: "Não foi possível copiar automaticamente: a senha está selecionada, copie com Ctrl+C.",
    history_title: "Últimas senhas criadas",
    history_item: "Senha",
    refresh: "Atualizar",
    clear_history: "Limpar histórico",
    history_disabled: "O histórico está desativado neste servidor.",
    history_unavailable: "O histórico está indisponível no momento; a geração continua funcionando.",
    history_empty: "Nenhuma senha criada ainda.",
    footer: "Senhas geradas com o gerador criptográfico do sistema operacional",
    switch_label: "English",
    switch_to: "en",
    tabs_label: "Tipo de segredo",
    tab_password: "Senha",
    tab_phrase: "Frase secreta",
    phrase_title: "Gerar frase secreta",
    options: "Opções",
    options_hint: "Com qualquer opção preenchida valem as regras da API v1: minúsculas e maiúsculas \
        contam separado e os caracteres especiais padrão são os seguros (sem aspas, barra invertida nem crase).",
    letters: "Letras:",
    letters_both: "Minúsculas e maiúsculas",
    letters_lower: "Só minúsculas",
    letters_upper: "Só maiúsculas",
    letters_none: "Sem letras",
    minimums: "Mínimo de cada tipo (vazio: 1 quando ativado)",
    min_lowercase: "Minúsculas",
    min_uppercase: "Maiúsculas",
    min_digits: "Números",
    min_symbols: "Especiais",
    exclude_ambiguous: "Excluir caracteres parecidos",
    exclude: "Excluir também:",
    symbol_set: "Caracteres especiais permitidos:",
    site: "Regras de um site conhecido:",
    rules: "Ou regras próprias (passwordrules):",
    rules_hint: "Com um site ou regras, a senha segue só elas (e o tamanho, se couber no intervalo delas): deixe \
        as letras, os mínimos e os especiais permitidos como estão e as duas caixas marcadas; excluir parecidos e \
        excluir também continuam valendo. Exemplo: minlength: 8; maxlength: 16; required: lower, upper; \
        required: digit; max-consecutive: 2",
    strength: "Força:",
    impossible: "combinação impossível",
    words: "Número de palavras:",
    separator: "Separador:",
    capitalize: "Iniciais maiúsculas",
    include_number: "Incluir um número",
    generated_phrase: "Frase gerada:",
    phrase_note: "Palavras sorteadas pelo gerador criptográfico: em português, da lista BIP-39 (2.048 palavras, \
        11 bits cada; 7 palavras ≈ 6 em inglês); em inglês, da lista grande da EFF (7.776 palavras, 12,9 bits cada).",
    phrase_language: "Idioma das palavras:",
    words_pt: "Português (BIP-39, 2.048 palavras)",
    words_en: "Inglês (EFF, 7.776 palavras)",
    weak: "fraca",
    fair: "razoável",
    strong: "forte",
    very_strong: "muito forte",
};

pub const EN: Texts = Texts {
    title: "Password Generator",
    error_title: "Error: ",
    generate_title: "Generate a password",
    length: "Password length:",
    digits: "Include digits",
    punctuation: "Include special characters",
    generate: "Generate",
    generated: "Generated password:",
    show: "Show password",
    copy: "Copy password",
    show_phrase: "Show passphrase",
    copy_phrase: "Copy passphrase",
    description: "Generate strong passwords and passphrases with the operating system's cryptographic \
        generator; works without JavaScript too.",
    new_password: "New password generated.",
    regenerate: "Generate another",
    new_phrase: "New passphrase generated.",
    copied: "Copied to the clipboard.",
    copy_failed: "Could not copy automatically: the password is selected, copy it with Ctrl+C.",
    history_title: "Latest passwords",
    history_item: "Password",
    refresh: "Refresh",
    clear_history: "Clear history",
    history_disabled: "The history is disabled on this server.",
    history_unavailable: "The history is unavailable right now; generation still works.",
    history_empty: "No passwords yet.",
    footer: "Passwords come from the operating system's cryptographic generator",
    switch_label: "Português",
    switch_to: "pt",
    tabs_label: "Kind of secret",
    tab_password: "Password",
    tab_phrase: "Passphrase",
    phrase_title: "Generate a passphrase",
    options: "Options",
    options_hint: "With any option set, the API v1 rules apply: lowercase and uppercase count separately and \
        the default special characters are the safe ones (no quotes, backslash or backtick).",
    letters: "Letters:",
    letters_both: "Lowercase and uppercase",
    letters_lower: "Lowercase only",
    letters_upper: "Uppercase only",
    letters_none: "No letters",
    minimums: "Minimum of each kind (empty: 1 when enabled)",
    min_lowercase: "Lowercase",
    min_uppercase: "Uppercase",
    min_digits: "Digits",
    min_symbols: "Special",
    exclude_ambiguous: "Exclude look-alikes",
    exclude: "Also exclude:",
    symbol_set: "Allowed special characters:",
    site: "Rules of a known site:",
    rules: "Or your own rules (passwordrules):",
    rules_hint: "With a site or rules, the password follows them alone (and the length, if it fits their range): \
        leave the letters, minimums and allowed special characters as they are and both boxes checked; exclude \
        look-alikes and also exclude still apply. Example: minlength: 8; maxlength: 16; required: lower, upper; \
        required: digit; max-consecutive: 2",
    strength: "Strength:",
    impossible: "impossible combination",
    words: "Number of words:",
    separator: "Separator:",
    capitalize: "Capitalize words",
    include_number: "Include a number",
    generated_phrase: "Generated passphrase:",
    phrase_note: "Words drawn by the cryptographic generator: in English from the EFF large wordlist (7,776 words, \
        12.9 bits each); in Portuguese from the BIP-39 list (2,048 words, 11 bits each; 7 words ≈ 6 English ones).",
    phrase_language: "Word language:",
    words_pt: "Portuguese (BIP-39, 2,048 words)",
    words_en: "English (EFF, 7,776 words)",
    weak: "weak",
    fair: "fair",
    strong: "strong",
    very_strong: "very strong",
};

impl Texts {
    /// How the page labels a form field (`tamanho` → "Tamanho da senha"), for the messages the page shows;
    /// `None` for a field the page does not show (`modo`) or does not know.
    pub fn field_label(&self, field: &str) -> Option<&'static str> {
        let label = match field {
            "tamanho" => self.length,
            "incluir_numeros" => self.digits,
            "incluir_caracteres_especiais" => self.punctuation,
            "letras" => self.letters,
            "min_minusculas" => self.min_lowercase,
            "min_maiusculas" => self.min_uppercase,
            "min_numeros" => self.min_digits,
            "min_especiais" => self.min_symbols,
            "excluir_parecidos" => self.exclude_ambiguous,
            "excluir" => self.exclude,
            "simbolos" => self.symbol_set,
            "palavras" => self.words,
            "separador" => self.separator,
            "capitalizar" => self.capitalize,
            "incluir_numero" => self.include_number,
            "idioma" => self.phrase_language,
            _ => return None,
        };
        Some(label.trim_end_matches(':'))
    }
}

/// The page's texts in `lang`.
pub fn texts(lang: Lang) -> &'static Texts {
    match lang {
        Lang::Pt => &PT,
        Lang::En => &EN,
    }
}
