//! Small text matchers shared by the heuristics. Matching is on whole words
//! so that "know" does not count as "now" and "bookkeeping" not as "book".

/// Lower-cased alphanumeric words of `s`.
pub(super) fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The first keyword found in `text`. A keyword of several words matches
/// when those words appear consecutively.
pub(super) fn find_keyword<'a>(text: &[String], keywords: &[&'a str]) -> Option<&'a str> {
    keywords.iter().copied().find(|k| {
        let needle: Vec<&str> = k.split(' ').collect();
        text.windows(needle.len())
            .any(|w| w.iter().zip(&needle).all(|(a, b)| a == b))
    })
}

/// Numbers written in `s`, with `k`/`m` multipliers ("$5k-10k" gives 5000
/// and 10000; "1,500" gives 1500).
pub(super) fn amounts(s: &str) -> Vec<f64> {
    let lower = s.to_lowercase().replace(',', "");
    let chars: Vec<char> = lower.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
            i += 1;
        }
        let digits: String = chars[start..i].iter().collect();
        let Ok(mut value) = digits.parse::<f64>() else {
            continue;
        };
        // A multiplier counts only when it is not the start of a word
        // ("5k" and "5 k" yes, "5 kids" no).
        let mut j = i;
        while j < chars.len() && chars[j] == ' ' {
            j += 1;
        }
        let ends_word = |at: usize| chars.get(at).is_none_or(|c| !c.is_alphabetic());
        match chars.get(j) {
            Some('k') if ends_word(j + 1) => value *= 1_000.0,
            Some('m') if ends_word(j + 1) => value *= 1_000_000.0,
            _ => {}
        }
        out.push(value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_match_whole_words_and_phrases() {
        let w = words("Just browsing, don't KNOW yet");
        assert_eq!(
            find_keyword(&w, &["now", "just browsing"]),
            Some("just browsing")
        );
        assert_eq!(find_keyword(&words("bookkeeping help"), &["book"]), None);
    }

    #[test]
    fn amounts_understand_thousands_and_ranges() {
        assert_eq!(amounts("$5k-10k"), vec![5_000.0, 10_000.0]);
        assert_eq!(amounts("1,500 EUR"), vec![1_500.0]);
        assert_eq!(amounts("2m"), vec![2_000_000.0]);
        assert_eq!(amounts("5 kids"), vec![5.0]);
        assert!(amounts("none").is_empty());
    }
}
