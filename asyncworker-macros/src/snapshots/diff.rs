//! A line diff, for a readable snapshot mismatch.

/// The lines that differ between `expected` and `got`, with two lines of context, as `-`
/// (expected) and `+` (got); `...` stands for the lines left out between two changes.
pub(super) fn diff(expected: &str, got: &str) -> String {
    let lines = edit_script(
        &expected.lines().collect::<Vec<_>>(),
        &got.lines().collect::<Vec<_>>(),
    );
    let near_change = |k: usize| {
        lines[k.saturating_sub(2)..lines.len().min(k + 3)]
            .iter()
            .any(|(tag, _)| *tag != ' ')
    };
    let mut out = Vec::new();
    let mut last = None;
    for k in (0..lines.len()).filter(|&k| near_change(k)) {
        if last.is_some_and(|last| k > last + 1) {
            out.push("  ...".to_owned());
        }
        out.push(format!("{} {}", lines[k].0, lines[k].1));
        last = Some(k);
    }
    out.join("\n")
}

/// Every line of `old` and `new` in order, tagged ` ` (in both), `-` (only in `old`) or `+`
/// (only in `new`), along a longest common subsequence.
fn edit_script<'a>(old: &[&'a str], new: &[&'a str]) -> Vec<(char, &'a str)> {
    // lcs[i][j]: the length of the longest common subsequence of old[i..] and new[j..].
    let mut lcs = vec![vec![0usize; new.len() + 1]; old.len() + 1];
    for i in (0..old.len()).rev() {
        for j in (0..new.len()).rev() {
            lcs[i][j] = if old[i] == new[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut lines = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < new.len() {
        if i < old.len() && j < new.len() && old[i] == new[j] {
            lines.push((' ', old[i]));
            (i, j) = (i + 1, j + 1);
        } else if i < old.len() && (j == new.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            // A removal first, so that a changed line reads `-` old then `+` new.
            lines.push(('-', old[i]));
            i += 1;
        } else {
            lines.push(('+', new[j]));
            j += 1;
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_line_is_a_removal_then_an_addition_in_its_context() {
        let old = "a\nb\nc\nd\ne\nf\ng\nh";
        let new = "a\nb\nc\nd\nE\nf\ng\nh";
        assert_eq!(diff(old, new), "  c\n  d\n- e\n+ E\n  f\n  g");
        assert_eq!(diff(old, old), "");
    }
}
