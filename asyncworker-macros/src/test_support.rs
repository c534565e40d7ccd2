//! Helpers for asserting the message and position of every error of an expansion.

use proc_macro2::{Delimiter, LineColumn, Span, TokenStream, TokenTree};

/// Where an expected error must start.
#[derive(Clone, Copy, Debug)]
pub(crate) enum At {
    /// The token right after the `/*N*/` marker comment in the attribute or the item source.
    Marker(u32),
    /// `Span::call_site()`: the attribute as a whole.
    CallSite,
}

/// Positions of the tokens following `/*N*/` markers. Markers are comments, so the tokenizer
/// ignores them and the source can be parsed as is.
fn markers(src: &str) -> Vec<(u32, LineColumn)> {
    let mut found = Vec::new();
    let (mut line, mut column) = (1, 0);
    let mut rest = src;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("/*")
            && let Some(end) = after.find("*/")
            && let Ok(n) = after[..end].parse::<u32>()
        {
            let marker_len = 2 + end + 2;
            column += marker_len;
            rest = &rest[marker_len..];
            found.push((n, LineColumn { line, column }));
            continue;
        }
        if c == '\n' {
            line += 1;
            column = 0;
        } else {
            column += 1;
        }
        rest = &rest[c.len_utf8()..];
    }
    found
}

/// The source as tokens; panics on a test typo.
pub(crate) fn tokens(src: &str) -> TokenStream {
    src.parse()
        .unwrap_or_else(|err| panic!("bad test source {src:?}: {err}"))
}

fn describe(span: Span) -> String {
    if format!("{span:?}") == format!("{:?}", Span::call_site()) {
        "call site".to_owned()
    } else {
        let start = span.start();
        format!("{}:{}", start.line, start.column)
    }
}

/// Asserts that `err` holds exactly the `expected` errors (in any order), each starting at the
/// expected token of `attr` or `item`.
pub(crate) fn assert_errors(err: &syn::Error, attr: &str, item: &str, expected: &[(At, &str)]) {
    let all_markers: Vec<_> = markers(attr).into_iter().chain(markers(item)).collect();
    let mut want: Vec<(String, String)> = expected
        .iter()
        .map(|(at, message)| {
            let position = match at {
                At::CallSite => "call site".to_owned(),
                At::Marker(n) => {
                    let (_, pos) = all_markers
                        .iter()
                        .find(|(m, _)| m == n)
                        .unwrap_or_else(|| panic!("no marker /*{n}*/"));
                    format!("{}:{}", pos.line, pos.column)
                }
            };
            (position, (*message).to_owned())
        })
        .collect();
    let mut got: Vec<(String, String)> = err
        .clone()
        .into_iter()
        .map(|e| (describe(e.span()), e.to_string()))
        .collect();
    want.sort();
    got.sort();
    assert_eq!(got, want, "\nattr: {attr}\nitem: {item}");
}

/// Position of the token after marker `/*n*/` in `src`.
pub(crate) fn marker(src: &str, n: u32) -> LineColumn {
    markers(src)
        .into_iter()
        .find_map(|(m, pos)| (m == n).then_some(pos))
        .unwrap_or_else(|| panic!("no marker /*{n}*/ in {src}"))
}

/// The tokens as text, one entry per token; unlike `Display`, independent of punctuation
/// spacing (`<'a` versus `< 'a`), which differs between quoted and parsed tokens.
fn flatten(stream: TokenStream, out: &mut Vec<String>) {
    for tt in stream {
        match tt {
            TokenTree::Group(group) => {
                let (open, close) = match group.delimiter() {
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::Brace => ("{", "}"),
                    Delimiter::Bracket => ("[", "]"),
                    Delimiter::None => ("", ""),
                };
                out.push(open.to_owned());
                flatten(group.stream(), out);
                out.push(close.to_owned());
            }
            TokenTree::Punct(punct) => out.push(punct.as_char().to_string()),
            other => out.push(other.to_string()),
        }
    }
}

/// Asserts that two token streams have the same tokens.
pub(crate) fn assert_tokens_eq(got: &TokenStream, expected: &str) {
    let (mut left, mut right) = (Vec::new(), Vec::new());
    flatten(got.clone(), &mut left);
    flatten(tokens(expected), &mut right);
    assert_eq!(left.join(" "), right.join(" "));
}
