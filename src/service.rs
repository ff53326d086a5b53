//! What the service does, whatever asks: generate secrets (counted in the metrics), record them in the history,
//! read the history back. The HTTP handlers and the command line call these; neither re-creates them.

pub mod private;

use thiserror::Error;

use crate::generator::entropy::{Strength, rounded};
use crate::generator::rules::RulesPolicy;
use crate::generator::{GenerationError, PassphrasePolicy, Policy, PolicyError};
use crate::metrics::{Interface, Metrics, SecretKind};
use crate::store::{Operation, Recent, Store, StoreError};
pub use private::{PrivateList, Visitor, VisitorSecret};

#[derive(Debug, Error)]
pub enum ServiceError {
    /// A policy no secret can satisfy, or one that would cost more than a request may.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// The random number generator failed (logged where it happens; there is no secret to hide).
    #[error(transparent)]
    Generation(#[from] GenerationError),
    #[error("the history store is unavailable")]
    HistoryUnavailable,
    /// HISTORY_SCOPE=shared: nobody may wipe everyone's list.
    #[error("the shared history cannot be cleared")]
    SharedHistory,
}

/// Secrets from one policy, with the entropy each one has.
#[derive(Debug)]
pub struct Generated {
    pub secrets: Vec<String>,
    /// Exact: `log2` of the number of secrets the policy allows, each equally likely.
    pub entropy_bits: f64,
}

impl Generated {
    /// The entropy as shown: one decimal.
    pub fn rounded_bits(&self) -> f64 {
        rounded(self.entropy_bits)
    }

    pub fn strength(&self) -> Strength {
        Strength::from_bits(self.entropy_bits)
    }
}

/// How much work one call may ask of the counting sampler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    /// A request shares the CPU with everyone else's: refused beyond ~1 ms ([`PolicyError::TooMuchWork`]).
    Request,
    /// The command line's own process: whatever the user asked for.
    Unbounded,
}

/// `count` passwords, uniformly among all the policy allows; prepared once for all of them.
pub fn passwords(policy: &Policy, count: usize, budget: Budget) -> Result<Generated, ServiceError> {
    let prepared = match budget {
        Budget::Request => policy.prepare_for(count)?,
        Budget::Unbounded => policy.prepare(),
    };
    let secrets = prepared
        .generate_many(count, &mut rand::rngs::SysRng)
        .inspect_err(log_generation)?;
    Ok(Generated {
        secrets,
        entropy_bits: prepared.entropy_bits(),
    })
}

/// `count` passwords that follow `rules`, uniformly among all they allow; counted once for all of them.
pub fn rules_passwords(
    rules: &RulesPolicy,
    count: usize,
    budget: Budget,
) -> Result<Generated, ServiceError> {
    let prepared = match budget {
        Budget::Request => rules.prepare_for(count)?,
        Budget::Unbounded => rules.prepare()?,
    };
    let secrets = prepared
        .generate_many(count, &mut rand::rngs::SysRng)
        .inspect_err(log_generation)?;
    Ok(Generated {
        secrets,
        entropy_bits: prepared.entropy_bits(),
    })
}

/// `count` passphrases.
pub fn passphrases(policy: &PassphrasePolicy, count: usize) -> Result<Generated, ServiceError> {
    let mut rng = rand::rngs::SysRng;
    let secrets = (0..count)
        .map(|_| policy.generate(&mut rng))
        .collect::<Result<Vec<_>, _>>()
        .inspect_err(log_generation)?;
    Ok(Generated {
        secrets,
        entropy_bits: policy.entropy_bits(),
    })
}

/// Never the secret: there is none when generation fails.
fn log_generation(e: &GenerationError) {
    tracing::error!(error = %e, "secret generation failed");
}

/// The entries of a private list that open under its key; the others are counted, never shown.
fn open_all(list: &PrivateList, sealed: Vec<Vec<u8>>) -> Recent {
    let (entries, undecryptable) = list.open_all(sealed);
    Recent {
        entries,
        undecryptable,
        ..Recent::default()
    }
}

/// The service with its history and metrics.
pub struct Service {
    store: Store,
    metrics: Metrics,
    history_enabled: bool,
}

impl Service {
    pub fn new(store: Store, metrics: Metrics, history_enabled: bool) -> Self {
        Self {
            store,
            metrics,
            history_enabled,
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    pub fn history_enabled(&self) -> bool {
        self.history_enabled
    }

    /// `count` passwords, counted; never recorded (API v1).
    pub fn passwords(
        &self,
        policy: &Policy,
        count: usize,
        interface: Interface,
    ) -> Result<Generated, ServiceError> {
        self.counted(
            SecretKind::Password,
            interface,
            passwords(policy, count, Budget::Request),
        )
    }

    /// `count` passwords following `rules`, counted; never recorded (API v1).
    pub fn rules_passwords(
        &self,
        rules: &RulesPolicy,
        count: usize,
        interface: Interface,
    ) -> Result<Generated, ServiceError> {
        self.counted(
            SecretKind::Password,
            interface,
            rules_passwords(rules, count, Budget::Request),
        )
    }

    /// `count` passphrases, counted; never recorded (API v1).
    pub fn passphrases(
        &self,
        policy: &PassphrasePolicy,
        count: usize,
        interface: Interface,
    ) -> Result<Generated, ServiceError> {
        self.counted(
            SecretKind::Passphrase,
            interface,
            passphrases(policy, count),
        )
    }

    /// One password, counted and recorded in the history (the legacy API and the page). A history failure is
    /// logged and counted but does not fail the generation: the user still gets a password.
    pub async fn password_recorded(
        &self,
        policy: &Policy,
        interface: Interface,
        visitor: &Visitor,
    ) -> Result<String, ServiceError> {
        let password = policy
            .prepare_for(1)?
            .generate(&mut rand::rngs::SysRng)
            .inspect_err(log_generation)?;
        self.count(SecretKind::Password, interface, 1);
        self.record(visitor, &password).await;
        Ok(password)
    }

    /// One password following `rules`, counted and recorded like the page's other passwords (the page's `site`
    /// and `regras`), within the per-request CPU budget.
    pub async fn rules_password_recorded(
        &self,
        rules: &RulesPolicy,
        interface: Interface,
        visitor: &Visitor,
    ) -> Result<String, ServiceError> {
        let generated = rules_passwords(rules, 1, Budget::Request)?;
        let password = generated
            .secrets
            .into_iter()
            .next()
            .ok_or(GenerationError::Internal("no password generated"))?;
        self.count(SecretKind::Password, interface, 1);
        self.record(visitor, &password).await;
        Ok(password)
    }

    /// One passphrase, counted and recorded like the page's passwords.
    pub async fn passphrase_recorded(
        &self,
        policy: &PassphrasePolicy,
        interface: Interface,
        visitor: &Visitor,
    ) -> Result<String, ServiceError> {
        let phrase = policy
            .generate(&mut rand::rngs::SysRng)
            .inspect_err(log_generation)?;
        self.count(SecretKind::Passphrase, interface, 1);
        self.record(visitor, &phrase).await;
        Ok(phrase)
    }

    /// A batch counted once it exists; a refused or failed one counts nothing.
    fn counted(
        &self,
        kind: SecretKind,
        interface: Interface,
        generated: Result<Generated, ServiceError>,
    ) -> Result<Generated, ServiceError> {
        let generated = generated?;
        self.count(kind, interface, generated.secrets.len());
        Ok(generated)
    }

    /// Counts secrets in `senha_gerada_total` and `giropops_secrets_generated_total{kind,interface}`.
    fn count(&self, kind: SecretKind, interface: Interface, n: usize) {
        self.metrics.secrets_generated(kind, interface, n as u64);
    }

    /// Into the visitor's list: the shared one as is, a private one sealed (one AEAD seal); a visitor without a
    /// cookie records nothing.
    async fn record(&self, visitor: &Visitor, secret: &str) {
        if !self.history_enabled {
            return;
        }
        let result = match visitor {
            Visitor::Anonymous => return,
            Visitor::Shared => self.store.push(secret).await,
            Visitor::Private(list) => match list.seal(secret) {
                Ok(sealed) => self.store.push_to(list.store_key(), sealed).await,
                Err(e) => {
                    log_generation(&e);
                    return;
                }
            },
        };
        if let Err(e) = result {
            self.store_failed(Operation::Push, &e);
        }
    }

    /// The visitor's history, newest first; empty when disabled or without a cookie.
    pub async fn recent(&self, visitor: &Visitor) -> Result<Vec<String>, ServiceError> {
        if !self.history_enabled {
            return Ok(Vec::new());
        }
        let recent = match visitor {
            Visitor::Anonymous => return Ok(Vec::new()),
            Visitor::Shared => self.store.recent().await,
            Visitor::Private(list) => self
                .store
                .recent_of(list.store_key())
                .await
                .map(|sealed| open_all(list, sealed)),
        };
        match recent {
            Ok(recent) => {
                self.count_skipped(&recent);
                Ok(recent.entries)
            }
            Err(e) => {
                self.store_failed(Operation::Recent, &e);
                Err(ServiceError::HistoryUnavailable)
            }
        }
    }

    /// Empties the visitor's own list. The shared list is refused; without a cookie there is nothing to empty.
    pub async fn clear(&self, visitor: &Visitor) -> Result<(), ServiceError> {
        match visitor {
            Visitor::Shared => Err(ServiceError::SharedHistory),
            Visitor::Anonymous => Ok(()),
            Visitor::Private(list) => self.store.clear(list.store_key()).await.map_err(|e| {
                self.store_failed(Operation::Clear, &e);
                ServiceError::HistoryUnavailable
            }),
        }
    }

    /// Entries left out of the history are logged and counted, never shown: their content (maybe a secret,
    /// maybe garbage) is not logged either.
    fn count_skipped(&self, recent: &Recent) {
        for (reason, entries) in recent.skipped() {
            if entries > 0 {
                tracing::warn!(
                    reason = reason.as_str(),
                    entries,
                    "history entries skipped: not served"
                );
                self.metrics.history_entries_skipped(reason, entries as u64);
            }
        }
    }

    /// Logged and counted; the error text never holds a secret or a credential.
    pub fn store_failed(&self, operation: Operation, error: &StoreError) {
        tracing::warn!(operation = operation.as_str(), error = %error, "history store operation failed");
        self.metrics.store_error(operation);
    }
}
