//! A route's doc comment as a document shows it: the first paragraph is the summary, the rest
//! the description (as rustdoc and OpenAPI tools read them).

/// The summary and description of a doc comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Prose<'a> {
    /// The first paragraph, its lines joined by spaces; `None` when there is no comment.
    pub(crate) summary: Option<&'a str>,
    /// Everything after the first blank line, trimmed; `None` when empty.
    pub(crate) description: Option<&'a str>,
}

impl<'a> Prose<'a> {
    /// Splits `doc` (the lines of `///`, joined by `\n`, as `#[route]` records them).
    pub(crate) fn of(doc: &'a str) -> Prose<'a> {
        let doc = doc.trim();
        let (summary, rest) = match doc.find("\n\n") {
            Some(at) => (&doc[..at], &doc[at..]),
            None => (doc, ""),
        };
        let non_empty = |s: &'a str| Some(s.trim()).filter(|s| !s.is_empty());
        Prose {
            summary: non_empty(summary),
            description: non_empty(rest),
        }
    }

    /// The summary on one line (a paragraph may span several).
    pub(crate) fn summary_line(&self) -> Option<String> {
        self.summary
            .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::Prose;

    #[test]
    fn first_paragraph_is_the_summary() {
        let prose = Prose::of("Saves a user.\nReplaces any.\n\nThe body is a `User`.\n\nMore.");
        assert_eq!(
            prose.summary_line().as_deref(),
            Some("Saves a user. Replaces any.")
        );
        assert_eq!(prose.description, Some("The body is a `User`.\n\nMore."));
    }

    #[test]
    fn no_comment_no_prose() {
        assert_eq!(
            Prose::of("  \n "),
            Prose {
                summary: None,
                description: None
            }
        );
        assert_eq!(Prose::of("One line.").description, None);
    }
}
