//! Generic attribute-parsing tools shared by `#[route]` and the hooks: `key = value` arguments,
//! comma lists that recover from a bad argument, unknown-key errors with a typo suggestion,
//! string lists and bounded counts.

use proc_macro2::{Ident, TokenTree};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{LitInt, LitStr, Token, bracketed, token};

/// A `key = value` argument; the key token is kept so later errors can point at it.
pub(crate) struct Arg<K, V> {
    pub(crate) key: K,
    pub(crate) value: V,
}

/// `["a", "b"]`: a bracketed list of string literals (paths, methods, headers, queues).
pub(crate) struct StrList {
    pub(crate) bracket: token::Bracket,
    pub(crate) items: Punctuated<LitStr, Token![,]>,
}

impl Parse for StrList {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if !input.peek(token::Bracket) {
            return Err(input.error("expected a list of strings: `[\"...\", ...]`"));
        }
        let content;
        let bracket = bracketed!(content in input);
        match content.parse_terminated(<LitStr as Parse>::parse, Token![,]) {
            Ok(items) => Ok(StrList { bracket, items }),
            Err(err) => {
                // A nested buffer dropped with tokens left makes syn replace every collected
                // error with a bare "unexpected token", so consume the rest first.
                skip_while(&content, |_| true)?;
                Err(err)
            }
        }
    }
}

/// Parses `key = value`.
pub(crate) fn arg<K: Parse, V: Parse>(input: ParseStream) -> syn::Result<Arg<K, V>> {
    let key = input.parse()?;
    input.parse::<Token![=]>()?;
    let value = input.parse()?;
    Ok(Arg { key, value })
}

/// Parses `key = value` into `slot`; a repeated key is reported at its second occurrence.
pub(crate) fn field<K: Parse, V: Parse>(
    slot: &mut Option<Arg<K, V>>,
    name: &str,
    input: ParseStream,
    errors: &mut Vec<syn::Error>,
) -> syn::Result<()> {
    let span = input.span();
    let parsed = arg(input)?;
    if slot.is_some() {
        errors.push(syn::Error::new(
            span,
            format!("duplicate `{name}` argument"),
        ));
    } else {
        *slot = Some(parsed);
    }
    Ok(())
}

/// The next token as a key name, if it is an identifier (keywords included, `r#` stripped).
pub(crate) fn peek_key(input: ParseStream) -> Option<String> {
    input
        .fork()
        .call(Ident::parse_any)
        .ok()
        .map(|ident| ident.unraw().to_string())
}

/// Comma-separated arguments (trailing comma allowed). An argument that fails to parse is
/// recorded and skipped up to the next comma, so one typo does not hide the other mistakes.
pub(crate) fn parse_list(
    input: ParseStream,
    mut one: impl FnMut(ParseStream) -> syn::Result<()>,
) -> syn::Result<Vec<syn::Error>> {
    let mut errors = Vec::new();
    while !input.is_empty() {
        if let Err(err) = one(input) {
            errors.push(err);
            skip_while(input, |tt| !is_comma(tt))?;
        }
        if input.is_empty() {
            break;
        }
        if let Err(err) = input.parse::<Token![,]>() {
            errors.push(err);
            skip_while(input, |tt| !is_comma(tt))?;
            // Progress is guaranteed: either the input is exhausted or a comma follows.
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
    }
    Ok(errors)
}

fn is_comma(tt: &TokenTree) -> bool {
    matches!(tt, TokenTree::Punct(p) if p.as_char() == ',')
}

/// Consumes whole token trees (a bracketed list is one) while `keep_going` holds.
pub(crate) fn skip_while(
    input: ParseStream,
    keep_going: impl Fn(&TokenTree) -> bool,
) -> syn::Result<()> {
    input.step(|cursor| {
        let mut rest = *cursor;
        while let Some((tt, next)) = rest.token_tree() {
            if !keep_going(&tt) {
                break;
            }
            rest = next;
        }
        Ok(((), rest))
    })
}

/// The error for a key that is not one of `valid`, at that key: the closest valid key when it is
/// a likely typo, then the whole list.
pub(crate) fn unknown_argument(input: ParseStream, valid: &[&str]) -> syn::Error {
    let list = format!("valid arguments: {}", valid.join(", "));
    match input.fork().call(Ident::parse_any) {
        Ok(ident) => {
            let name = ident.unraw().to_string();
            let suggestion = closest(&name, valid)
                .map(|key| format!("; did you mean `{key}`?"))
                .unwrap_or_default();
            syn::Error::new(
                ident.span(),
                format!("unknown argument `{name}`{suggestion}\n{list}"),
            )
        }
        Err(_) => input.error(format!("expected an argument name\n{list}")),
    }
}

/// The valid key nearest to `name`, if near enough to be a typo: at most one edit for short
/// names, a third of the length for longer ones.
pub(crate) fn closest<'a>(name: &str, valid: &[&'a str]) -> Option<&'a str> {
    let lower = name.to_lowercase();
    let limit = (lower.chars().count() / 3).max(1);
    valid
        .iter()
        .map(|key| (edit_distance(&lower, key), *key))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, key)| key)
}

/// Levenshtein distance, with a swap of two adjacent characters counting as one edit.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Three rows of the dynamic-programming table: two back (for swaps), previous, current.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut current = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            current[j] = (previous[j] + 1)
                .min(current[j - 1] + 1)
                .min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                current[j] = current[j].min(before[j - 2] + 1);
            }
        }
        before = std::mem::replace(&mut previous, current);
    }
    previous[b.len()]
}

/// A count from 1 to 65535 (bulk sizes, prefetch, concurrency); `why` follows the upper bound
/// in the message, e.g. " (it must fit the u16 prefetch)".
pub(crate) fn count_u16(key: &str, lit: &LitInt, why: &str) -> syn::Result<u16> {
    // Digits too large even for i128 are just "too large"; negative digits are "too small".
    let value = lit.base10_parse::<i128>().unwrap_or(i128::MAX);
    if value < 1 {
        return Err(syn::Error::new(
            lit.span(),
            format!("`{key}` must be at least 1"),
        ));
    }
    u16::try_from(value)
        .map_err(|_| syn::Error::new(lit.span(), format!("`{key}` must be at most 65535{why}")))
}
