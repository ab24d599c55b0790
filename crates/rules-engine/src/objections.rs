//! The objections a lead's reply can raise, as data: a category and the
//! keywords that signal it. Matching is case-insensitive at the start of a
//! word, so "cost" also finds "Costs" (see `memory::repo::insights`).
//! Pattern insights count replies per category; experiment stats sum them.

/// One kind of objection and the words that signal it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Objection {
    /// The key in `objection_frequency` data and in experiment stats.
    pub category: &'static str,
    pub keywords: &'static [&'static str],
}

pub const OBJECTIONS: &[Objection] = &[
    Objection {
        category: "price",
        keywords: &["price", "pricing", "cost", "expensive"],
    },
    Objection {
        category: "timing",
        keywords: &["timing", "later", "busy"],
    },
    Objection {
        category: "competitor",
        keywords: &["competitor", "already using", "another provider"],
    },
    Objection {
        category: "notInterested",
        keywords: &["not interested", "unsubscribe", "stop"],
    },
];
