//! Expanded items as readable code: prettyplease, with the bodies of brace-delimited macros
//! (the backend gate, `inventory::submit!`), which it would print as a run of tokens, rendered
//! as items or as an expression and put back in place.

use quote::ToTokens;
use syn::visit_mut::VisitMut;

/// `items` as prettyplease prints them, with the bodies of our macros (the backend gate,
/// `inventory::submit!`) printed as code too; prettyplease leaves an unknown macro's body as a
/// run of tokens.
pub(super) fn render(items: Vec<syn::Item>) -> String {
    let mut file = syn::File {
        shebang: None,
        attrs: Vec::new(),
        items,
    };
    let mut bodies = MacroBodies(Vec::new());
    bodies.visit_file_mut(&mut file);
    let mut text = prettyplease::unparse(&file);
    for (n, body) in bodies.0.iter().enumerate() {
        text = splice(&text, &MacroBodies::placeholder(n).to_string(), body);
    }
    text
}

/// The rendered bodies of the brace-delimited macros met, each replaced by a placeholder
/// identifier (`__snapshot_N`, N its index) for `splice` to put back.
struct MacroBodies(Vec<String>);

impl MacroBodies {
    fn placeholder(n: usize) -> proc_macro2::Ident {
        quote::format_ident!("__snapshot_{}", n)
    }
}

impl VisitMut for MacroBodies {
    fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
        if !matches!(mac.delimiter, syn::MacroDelimiter::Brace(_)) {
            return;
        }
        let body = match syn::parse2::<syn::File>(mac.tokens.clone()) {
            Ok(file) if !file.items.is_empty() => render(file.items),
            _ => match syn::parse2::<syn::Expr>(mac.tokens.clone()) {
                Ok(expr) => render_expr(expr),
                Err(_) => return,
            },
        };
        mac.tokens = Self::placeholder(self.0.len()).into_token_stream();
        self.0.push(body);
    }
}

/// An expression as prettyplease prints it: as the body of a function, then taken out.
fn render_expr(expr: syn::Expr) -> String {
    let text = render(vec![syn::parse_quote!(fn f() { #expr })]);
    let lines: Vec<&str> = text.lines().collect();
    lines[1..lines.len() - 1]
        .iter()
        .map(|line| line.strip_prefix("    ").unwrap_or(line))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `text` with the line holding only `placeholder` replaced by `body`, at its indentation.
fn splice(text: &str, placeholder: &str, body: &str) -> String {
    text.lines()
        .map(|line| {
            if line.trim() != placeholder {
                return format!("{line}\n");
            }
            let indent = &line[..line.len() - line.trim_start().len()];
            body.lines()
                .map(|body_line| match body_line {
                    "" => "\n".to_owned(),
                    _ => format!("{indent}{body_line}\n"),
                })
                .collect()
        })
        .collect()
}
