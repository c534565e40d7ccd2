//! How a queue consumer (AMQP, SQS) settles a message once its handler is done:
//! `on_success`, `on_exception` and `on_decode_error`, each `"ack"`, `"reject"` or `"requeue"`.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::LitStr;

use super::args::RouteArgs;
use super::emit::Options;
use crate::errors::Errors;
use crate::parse::Arg;
use crate::paths::ACTION;

/// What a message is settled with; mirrors the runtime's `__private::Action`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    Ack,
    Reject,
    Requeue,
}

impl ToTokens for Action {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        tokens.extend(ACTION.variant(self));
    }
}

/// The actions a route wrote; `None` keeps the runtime's default.
#[derive(Debug, Default)]
pub(crate) struct Actions {
    pub(crate) on_success: Option<Action>,
    pub(crate) on_exception: Option<Action>,
    pub(crate) on_decode_error: Option<Action>,
}

/// Checks the three keys, pushing every problem into `errors`.
pub(crate) fn validate(args: &RouteArgs, errors: &mut Errors) -> Actions {
    Actions {
        on_success: action_arg(args.on_success.as_ref(), "on_success", errors),
        on_exception: action_arg(args.on_exception.as_ref(), "on_exception", errors),
        on_decode_error: action_arg(args.on_decode_error.as_ref(), "on_decode_error", errors),
    }
}

impl Actions {
    /// Adds the actions written to the backend's options literal.
    pub(crate) fn emit(&self, options: &mut Options) {
        options
            .set("on_success", self.on_success)
            .set("on_exception", self.on_exception)
            .set("on_decode_error", self.on_decode_error);
    }
}

fn action_arg<K>(arg: Option<&Arg<K, LitStr>>, key: &str, errors: &mut Errors) -> Option<Action> {
    let lit = &arg?.value;
    errors.ok(match lit.value().as_str() {
        "ack" => Ok(Action::Ack),
        "reject" => Ok(Action::Reject),
        "requeue" => Ok(Action::Requeue),
        other => Err(syn::Error::new(
            lit.span(),
            format!(
                "unknown action `{other}` for `{key}`: expected \"ack\", \"reject\" or \"requeue\""
            ),
        )),
    })
}
