//! The queue list of a queue consumer (`amqp = [...]`, `sqs = [...]`) and the rule its
//! `dead_letter` shares with it: at least one queue, none listed twice, each valid by its
//! backend's rules; a dead letter that is none of them.

use syn::LitStr;

use super::args::{QueueKey, Queues};
use crate::errors::Errors;

/// Checks the list, each entry with the backend's `valid`, pushing every problem into `errors`.
pub(crate) fn check<K: QueueKey>(
    queues: &Queues<K>,
    valid: &dyn Fn(&LitStr) -> syn::Result<()>,
    errors: &mut Errors,
) {
    if queues.names.is_empty() {
        errors.push(syn::Error::new(
            queues.bracket.span.join(),
            format!("`{}` needs at least one queue", K::NAME),
        ));
    }
    let mut seen: Vec<String> = Vec::new();
    for lit in &queues.names {
        errors.ok(valid(lit));
        let name = lit.value();
        if seen.contains(&name) {
            errors.push(syn::Error::new(
                lit.span(),
                format!("queue `{name}` is listed twice"),
            ));
        } else {
            seen.push(name);
        }
    }
}

/// `dead_letter` naming one of the route's queues would send a failed message straight back to
/// the handler, forever.
pub(crate) fn not_a_route_queue<K>(dead_letter: &LitStr, queues: &Queues<K>) -> syn::Result<()> {
    let name = dead_letter.value();
    if queues.names.iter().any(|queue| queue.value() == name) {
        return Err(syn::Error::new(
            dead_letter.span(),
            format!(
                "`dead_letter` must not be `{name}`, a queue of this route: a failed message \
                 would come back to this handler, in a loop"
            ),
        ));
    }
    Ok(())
}
