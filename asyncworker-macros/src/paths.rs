//! Every path the generated code names, declared once (as Rocket's `codegen/src/exports.rs`).
//!
//! Emitters interpolate these constants (`#AMQP_FACTORY`) and never spell
//! `::asyncworker::__private::…` or `::core::…` themselves: generated code names nothing else,
//! so renaming a `__private` item, or supporting another path to the runtime crate, is an edit
//! here.

use proc_macro2::{Ident, Punct, Spacing, Span, TokenStream};
use quote::{ToTokens, TokenStreamExt, quote};

/// An absolute path, `::root::…::tail`, emitted at `span` (the call site when `None`).
#[derive(Clone, Copy)]
pub(crate) struct Path {
    root: &'static [&'static str],
    tail: &'static [&'static str],
    span: Option<Span>,
}

impl Path {
    /// The same path with every token at `span`, so that an error about the item it names
    /// (a failed bound, a disabled backend) is reported there.
    pub(crate) fn at(self, span: Span) -> Path {
        Path {
            span: Some(span),
            ..self
        }
    }

    /// `path::Variant` for an enum path, the variant named as `value`'s `Debug` (the macro
    /// crate's mirrors of the runtime's enums have the same variant names).
    pub(crate) fn variant(self, value: impl std::fmt::Debug) -> TokenStream {
        let variant = Ident::new(&format!("{value:?}"), Span::call_site());
        quote!(#self::#variant)
    }
}

impl ToTokens for Path {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        let span = self.span.unwrap_or_else(Span::call_site);
        for segment in self.root.iter().chain(self.tail) {
            let mut first = Punct::new(':', Spacing::Joint);
            let mut second = Punct::new(':', Spacing::Alone);
            first.set_span(span);
            second.set_span(span);
            tokens.append(first);
            tokens.append(second);
            tokens.append(Ident::new(segment, span));
        }
    }
}

/// The runtime's module for generated code; nothing in it is public API.
const PRIVATE: &[&str] = &["asyncworker", "__private"];

/// `::core`, rather than `::std` or the prelude, which a `no_std`-style or shadowing user
/// module could hide.
const CORE: &[&str] = &["core"];

/// Declares one `Path` constant per `NAME => segment::…` below `root`.
macro_rules! paths {
    ($root:ident { $($(#[$doc:meta])* $name:ident => $($segment:ident)::+,)* }) => {
        $(
            $(#[$doc])*
            pub(crate) const $name: Path = Path {
                root: $root,
                tail: &[$(stringify!($segment)),+],
                span: None,
            };
        )*
    };
}

paths!(PRIVATE {
    /// Re-export of the `inventory` crate; routes and hooks register with `submit!`.
    SUBMIT => inventory::submit,
    // Gates: a route's registration goes through its backend's, which turns it into one
    // "enable the feature" error when that backend is not compiled in.
    BACKEND_AMQP => backend_amqp,
    BACKEND_HTTP => backend_http,
    BACKEND_SSE => backend_sse,
    BACKEND_SQS => backend_sqs,
    BACKEND_SCHEDULE => backend_schedule,
    SINGLETON_GATE => singleton_gate,
    // Per-part signature assertions, shared by several backends.
    ASSERT_EXTRACTOR => assert_extractor,
    ASSERT_HANDLER_RETURN => assert_handler_return,
    ASSERT_SEND_FUTURE => assert_send_future,
    RUN_BLOCKING => run_blocking,
    // Codecs: the ones a consumer route's body type picks, and the check of the one it uses.
    ASSERT_CODEC => assert_codec,
    CODEC_JSON => Json,
    CODEC_RAW => Raw,
    CODEC_TEXT => Text,
    // Documents: the schema of a message type, and what a route publishes.
    SCHEMA_PROBE => SchemaProbe,
    SCHEMA_PROBES => probes,
    TYPE_SCHEMA => TypeSchema,
    UNNAMED_TYPE => unnamed_type,
    PUBLISHES_DEF => PublishesDef,
    PUBLISH => Publish,
    // AMQP.
    ASSERT_MESSAGES => assert_messages,
    AMQP_FACTORY => amqp_factory,
    AMQP_FACTORY_WITH => amqp_factory_with,
    AMQP_TYPED => amqp_typed,
    AMQP_FACTORY_TYPE => AmqpFactory,
    AMQP_ROUTE_DEF => AmqpRouteDef,
    AMQP_OPTIONS => AmqpOptions,
    ACTION => Action,
    QUEUE_TYPE => QueueType,
    TOPOLOGY_OPTIONS => TopologyOptions,
    // HTTP.
    ASSERT_HTTP_EXTRACTOR => assert_http_extractor,
    ASSERT_HTTP_LAST_ARG => assert_http_last_arg,
    ASSERT_HTTP_RETURN => assert_http_return,
    HTTP_FACTORY => http_factory,
    HTTP_FACTORY_TYPE => HttpFactory,
    HTTP_ROUTE_DEF => HttpRouteDef,
    HTTP_ROUTE_LAYERS => http_route_layers,
    NO_HTTP_LAYERS => NO_HTTP_LAYERS,
    STATE_NEEDS => StateNeeds,
    STATE_PROBE => StateProbe,
    // HTTP, for the OpenAPI document: what each argument and the return type say.
    HTTP_SIGNATURE => HttpSignature,
    HTTP_PROBES => http_probes,
    HTTP_ARG_PROBE => HttpArgProbe,
    HTTP_REPLY_PROBE => HttpReplyProbe,
    HTTP_ERROR_PROBE => HttpErrorProbe,
    PROBE_OTHER => ProbeOther,
    PROBE_STATE => ProbeState,
    // SSE.
    ASSERT_EVENTS => assert_events,
    SSE_FACTORY => sse_factory,
    SSE_FACTORY_WITH => sse_factory_with,
    SSE_TYPED => sse_typed,
    SSE_FACTORY_TYPE => SseFactory,
    SSE_ROUTE_DEF => SseRouteDef,
    SSE_OPTIONS => SseOptions,
    // SQS.
    ASSERT_SQS_MESSAGES => assert_sqs_messages,
    SQS_FACTORY => sqs_factory,
    SQS_FACTORY_WITH => sqs_factory_with,
    SQS_TYPED => sqs_typed,
    SQS_FACTORY_TYPE => SqsFactory,
    SQS_ROUTE_DEF => SqsRouteDef,
    SQS_OPTIONS => SqsOptions,
    // Schedules.
    ASSERT_SCHEDULE_ARG => assert_schedule_arg,
    SCHEDULE_FACTORY => schedule_factory,
    SCHEDULE_FACTORY_TYPE => ScheduleFactory,
    SCHEDULE_ROUTE_DEF => ScheduleRouteDef,
    SCHEDULE_OPTIONS => ScheduleOptions,
    TRIGGER => Trigger,
    // Hooks.
    APP => App,
    BOX_FUTURE => BoxFuture,
    BOX_HOOK => box_hook,
    HOOK_DEF => HookDef,
    HOOK_KIND => HookKind,
    HOOK_RESULT => HookResult,
});

paths!(CORE {
    SOME => option::Option::Some,
    NONE => option::Option::None,
    FUTURE => future::Future,
    SEND => marker::Send,
    MODULE_PATH => module_path,
    FILE => file,
    LINE => line,
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_is_absolute_from_its_crate_root() {
        assert_eq!(
            AMQP_FACTORY.to_token_stream().to_string(),
            ":: asyncworker :: __private :: amqp_factory"
        );
        assert_eq!(
            SOME.to_token_stream().to_string(),
            ":: core :: option :: Option :: Some"
        );
    }
}
