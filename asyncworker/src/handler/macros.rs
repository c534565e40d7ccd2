//! The arity driver of the handler traits: each backend writes its blanket impl once, as a
//! macro over the leading extractors, and these macros stamp it out (axum's
//! `all_the_tuples!`).

/// Calls `$impl!` once per number of leading extractors, from none to eight.
macro_rules! all_the_extractors {
    ($impl:ident) => {
        $impl!();
        $impl!(E1);
        $impl!(E1, E2);
        $impl!(E1, E2, E3);
        $impl!(E1, E2, E3, E4);
        $impl!(E1, E2, E3, E4, E5);
        $impl!(E1, E2, E3, E4, E5, E6);
        $impl!(E1, E2, E3, E4, E5, E6, E7);
        $impl!(E1, E2, E3, E4, E5, E6, E7, E8);
    };
}
pub(crate) use all_the_extractors;

/// Inside a handler's `call`: binds each extractor type `$e` to a variable of the same name
/// taken from `$app`, or returns a future that fails with the extraction error (a missing
/// state, which startup normally rules out). The second form names the trait and the call
/// (a scheduled handler's arguments come from the app and the run).
macro_rules! extract_or_return {
    ($app:expr; $($e:ident),*) => {
        $crate::handler::extract_or_return!(from $crate::handler::FromApp, from_app($app); $($e),*)
    };
    (from $trait:path, $method:ident $args:tt; $($e:ident),*) => {
        $(
            let $e = match <$e as $trait>::$method $args {
                Ok(v) => v,
                Err(e) => return ::std::boxed::Box::pin(async move { Err(e.into()) }),
            };
        )*
    };
}
pub(crate) use extract_or_return;
