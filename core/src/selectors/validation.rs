//! The label key and value validators selectors share with object metadata, and the
//! Go-style value quoting Kubernetes uses inside field error messages.

// Label keys and values are checked by the same validators as object metadata.
pub(crate) use crate::validation::{label_value_errors, qualified_name_errors};

/// Quotes a string the way Go's `%q` verb does, so error messages carry the
/// same bytes as Kubernetes' (`"a\tb"`, `"\x00"`, printable Unicode kept).
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => {
                let n = c as u32;
                if n <= 0xffff {
                    out.push_str(&format!("\\u{n:04x}"));
                } else {
                    out.push_str(&format!("\\U{n:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Renders a string list the way Go's `%#v` renders a `[]string`; `None`
/// stands for a nil slice.
pub(crate) fn go_string_slice(values: Option<&[String]>) -> String {
    match values {
        None => "[]string(nil)".to_string(),
        Some(vs) => {
            let quoted: Vec<String> = vs.iter().map(|v| go_quote(v)).collect();
            format!("[]string{{{}}}", quoted.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAME_PART_REGEX: &str = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

    #[test]
    fn qualified_names() {
        for ok in [
            "a",
            "A",
            "1",
            "a-b_c.d",
            "example.com/name",
            "k8s.io/app",
            "a.b-c/D_e",
            &"a".repeat(63),
            &format!("{}/{}", "a".repeat(253), "b".repeat(63)),
        ] {
            assert!(qualified_name_errors(ok).is_empty(), "{ok}");
        }
        assert_eq!(qualified_name_errors("a:"), vec![NAME_PART_REGEX]);
        assert_eq!(
            qualified_name_errors(""),
            vec![
                "name part must be non-empty".to_string(),
                NAME_PART_REGEX.to_string()
            ]
        );
        assert_eq!(
            qualified_name_errors(&"a".repeat(64)),
            vec!["name part must be no more than 63 characters"]
        );
        assert_eq!(qualified_name_errors("/a"), vec!["prefix part must be non-empty"]);
        assert_eq!(
            qualified_name_errors("Example.com/a"),
            vec!["prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"]
        );
        let too_many = qualified_name_errors("a/b/c");
        assert_eq!(too_many.len(), 1);
        assert!(too_many[0].starts_with("a qualified name must consist of"));
        assert!(too_many[0]
            .ends_with("with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"));
        assert_eq!(qualified_name_errors("-a").len(), 1);
        assert_eq!(qualified_name_errors("a-").len(), 1);
        assert_eq!(qualified_name_errors("é").len(), 1);
    }

    #[test]
    fn label_values() {
        for ok in ["", "a", "a-b_c.d", "123", &"x".repeat(63)] {
            assert!(label_value_errors(ok).is_empty(), "{ok}");
        }
        assert_eq!(
            label_value_errors(&"x".repeat(64)),
            vec!["must be no more than 63 characters"]
        );
        assert_eq!(label_value_errors("-1"), vec!["a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"]);
        assert_eq!(label_value_errors("a b").len(), 1);
    }

    #[test]
    fn subdomains() {
        use crate::validation::dns1123_subdomain_errors;
        assert!(dns1123_subdomain_errors("a.b-c.d0").is_empty());
        assert_eq!(dns1123_subdomain_errors("a..b").len(), 1);
        assert_eq!(dns1123_subdomain_errors("a.").len(), 1);
        assert_eq!(dns1123_subdomain_errors("-a").len(), 1);
        assert_eq!(dns1123_subdomain_errors(&"a".repeat(254)).len(), 1);
    }

    #[test]
    fn go_quoting() {
        assert_eq!(go_quote("a b"), "\"a b\"");
        assert_eq!(go_quote("a\"b\\"), "\"a\\\"b\\\\\"");
        assert_eq!(go_quote("\u{0}\t\u{7f}"), "\"\\x00\\t\\x7f\"");
        assert_eq!(go_quote("é"), "\"é\"");
        assert_eq!(go_quote("\u{85}"), "\"\\u0085\"");
        assert_eq!(go_string_slice(None), "[]string(nil)");
        assert_eq!(
            go_string_slice(Some(&["a".to_string(), "b".to_string()])),
            "[]string{\"a\", \"b\"}"
        );
        assert_eq!(go_string_slice(Some(&[])), "[]string{}");
    }
}
