//! ContextForge's slug rule (`mcpgateway/utils/create_slug.py`, 1.1.0), which decides when two names are "the
//! same" to the gateway and what a tool is called through it.

use unicode_normalization::UnicodeNormalization;

/// The default `GATEWAY_TOOL_NAME_SEPARATOR`.
pub const TOOL_NAME_SEPARATOR: &str = "-";

/// The slug of a name: lowercase, contractions joined (`Don't` → `dont`), every run of characters that are not
/// letters or digits (including `_`) replaced by `-`, trimmed, then folded to ASCII.
///
/// ```
/// use mcpfleet_registry::slug;
/// assert_eq!(slug("My_Server"), "my-server");
/// assert_eq!(slug("my-server"), "my-server");
/// assert_eq!(slug("Café & Restaurant"), "cafe-restaurant");
/// assert_eq!(slug("---test---"), "test");
/// ```
pub fn slug(text: &str) -> String {
    let lower = text.to_lowercase();
    // `(\w)['’](\w)` → `\1\2`
    let chars: Vec<char> = lower.chars().collect();
    let mut joined = String::with_capacity(lower.len());
    for (i, &c) in chars.iter().enumerate() {
        let is_apostrophe = c == '\'' || c == '\u{2019}';
        let between_word_chars =
            i > 0 && chars.get(i + 1).is_some_and(|n| is_word(*n)) && is_word(chars[i - 1]);
        if !(is_apostrophe && between_word_chars) {
            joined.push(c);
        }
    }
    // `[\W_]+` → separator, stripped at both ends.
    let mut slug = String::with_capacity(joined.len());
    let mut pending_separator = false;
    for c in joined.chars() {
        if is_word(c) && c != '_' {
            if pending_separator && !slug.is_empty() {
                slug.push_str(TOOL_NAME_SEPARATOR);
            }
            pending_separator = false;
            slug.push(c);
        } else {
            pending_separator = true;
        }
    }
    let slug = slug.replace('æ', "ae").replace('ß', "ss").replace('ø', "o");
    slug.nfkd().filter(char::is_ascii).collect()
}

/// The name a tool gets through the gateway: `slug(server) + "-" + slug(tool)`.
///
/// ```
/// use mcpfleet_registry::tool_name;
/// assert_eq!(tool_name("utils", "word_count"), "utils-word-count");
/// assert_eq!(tool_name("Demo HTTP", "get.time"), "demo-http-get-time");
/// ```
pub fn tool_name(server: &str, tool: &str) -> String {
    format!("{}{TOOL_NAME_SEPARATOR}{}", slug(server), slug(tool))
}

/// Python's `\w` for `str` patterns: Unicode letters, digits and `_`.
fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_gateways_doctests() {
        // The examples in create_slug.py's docstring.
        for (input, expected) in [
            ("Hello World", "hello-world"),
            ("Test-Case_123", "test-case-123"),
            ("Café & Restaurant", "cafe-restaurant"),
            ("user@example.com", "user-example-com"),
            ("Don't Stop", "dont-stop"),
            ("It's Working", "its-working"),
            ("", ""),
            ("   ", ""),
            ("---test---", "test"),
            ("Multiple   Spaces", "multiple-spaces"),
            ("Zürich", "zurich"),
            ("Straße", "strasse"),
            ("Ærø", "aero"),
        ] {
            assert_eq!(slug(input), expected, "{input:?}");
        }
    }

    #[test]
    fn names_that_collide() {
        assert_eq!(slug("My_Server"), slug("my-server"));
        assert_eq!(slug("my.server"), slug("MY SERVER"));
        assert_eq!(tool_name("a", "b-c"), tool_name("a-b", "c"));
    }
}
