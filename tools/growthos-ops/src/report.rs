//! The ✓/✗ lines: written as each item is decided, kept for the exit status.

use std::io::Write;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub ok: bool,
    /// The line without its mark, e.g. `GET /health answers 200`.
    pub text: String,
}

pub struct Checklist<'a> {
    items: Vec<Item>,
    out: &'a mut dyn Write,
}

impl<'a> Checklist<'a> {
    pub fn new(out: &'a mut dyn Write) -> Self {
        Self {
            items: Vec::new(),
            out,
        }
    }

    pub fn pass(&mut self, text: impl Into<String>) {
        self.push(true, text.into());
    }

    /// `what` failed because of `why`: printed `✗ what: why`.
    pub fn fail(&mut self, what: impl AsRef<str>, why: impl AsRef<str>) {
        self.push(false, format!("{}: {}", what.as_ref(), why.as_ref()));
    }

    /// A line that is neither a pass nor a failure (headings, values to copy).
    pub fn note(&mut self, text: impl AsRef<str>) {
        let _ = writeln!(self.out, "{}", text.as_ref());
    }

    fn push(&mut self, ok: bool, text: String) {
        // One line per item: a provider's multi-line message stays on it.
        let text = text.replace(['\r', '\n'], " ");
        let _ = writeln!(self.out, "{} {text}", if ok { '✓' } else { '✗' });
        let _ = self.out.flush();
        self.items.push(Item { ok, text });
    }

    pub fn items(&self) -> &[Item] {
        &self.items
    }

    pub fn passed(&self) -> bool {
        self.items.iter().all(|i| i.ok)
    }

    pub fn summary(&mut self) {
        let failed = self.items.iter().filter(|i| !i.ok).count();
        let total = self.items.len();
        let _ = if failed == 0 {
            writeln!(self.out, "\nready: all {total} items passed")
        } else {
            writeln!(self.out, "\nNOT READY: {failed} of {total} items failed")
        };
    }
}
