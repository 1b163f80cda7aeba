//! Counting the HTTP requests `mcpfleet-gateway-client` sends, from its `gateway_request` tracing spans.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing_subscriber::layer::Context;

/// A tracing layer that counts `gateway_request` spans by HTTP method. Install it with
/// `tracing::subscriber::set_default(tracing_subscriber::registry().with(counter.clone()))` on a current-thread
/// runtime (or as the global default in a benchmark), then read and reset the counts with [`RequestCounter::take`].
#[derive(Debug, Clone, Default)]
pub struct RequestCounter(Arc<Mutex<BTreeMap<String, usize>>>);

impl RequestCounter {
    /// The counts so far by method (`GET`, `POST`, …), resetting them.
    pub fn take(&self) -> BTreeMap<String, usize> {
        std::mem::take(
            &mut *self
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    /// How many of `counts` are writes (`POST`, `PUT`, `DELETE`).
    pub fn writes(counts: &BTreeMap<String, usize>) -> usize {
        ["POST", "PUT", "DELETE"]
            .iter()
            .map(|m| counts.get(*m).copied().unwrap_or(0))
            .sum()
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for RequestCounter {
    fn on_new_span(&self, attrs: &Attributes<'_>, _: &Id, _: Context<'_, S>) {
        struct Method(String);
        impl Visit for Method {
            fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
                if field.name() == "method" {
                    self.0 = format!("{value:?}");
                }
            }
        }
        if attrs.metadata().name() == "gateway_request" {
            let mut method = Method(String::new());
            attrs.record(&mut method);
            *self
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .entry(method.0)
                .or_default() += 1;
        }
    }
}
