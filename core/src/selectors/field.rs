//! Field selectors: the `fieldSelector` language of
//! `k8s.io/apimachinery/pkg/fields` (`fields.ParseSelector`).
//!
//! A selector is a comma-separated list of `field=value`, `field==value` or
//! `field!=value` terms, all of which must hold. In values, `\,` `\=` and
//! `\\` stand for the literal characters; a bare `,` or `=` inside a value
//! is an error. Fields are not validated here: whether a resource supports a
//! field is decided by [`super::fields_of`].

use std::fmt;

use super::SelectorError;

/// Whether a field must equal or differ from the value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldOperator {
    /// `=` or `==`.
    Equals,
    /// `!=`.
    NotEquals,
}

/// One `field op value` term.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldRequirement {
    /// The field path, e.g. `metadata.name` (never escaped).
    pub field: String,
    /// The comparison.
    pub operator: FieldOperator,
    /// The value, unescaped.
    pub value: String,
}

impl FieldRequirement {
    /// Whether a field value (missing fields read as `""`) satisfies the term.
    pub fn matches(&self, actual: Option<&str>) -> bool {
        let actual = actual.unwrap_or("");
        match self.operator {
            FieldOperator::Equals => actual == self.value,
            FieldOperator::NotEquals => actual != self.value,
        }
    }
}

impl fmt::Display for FieldRequirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = match self.operator {
            FieldOperator::Equals => "=",
            FieldOperator::NotEquals => "!=",
        };
        write!(f, "{}{op}{}", self.field, escape_value(&self.value))
    }
}

/// A field selector: the AND of its terms. The empty selector matches
/// everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldSelector {
    requirements: Vec<FieldRequirement>,
}

impl FieldSelector {
    /// The selector that matches every object.
    pub fn everything() -> Self {
        Self::default()
    }

    /// Builds a selector from already-parsed terms (kept in the given order).
    pub fn from_requirements(requirements: Vec<FieldRequirement>) -> Self {
        FieldSelector { requirements }
    }

    /// Parses the `fieldSelector` query syntax.
    pub fn parse(selector: &str) -> Result<Self, SelectorError> {
        let mut terms = split_terms(selector);
        // Upstream sorts the raw terms first; it decides both the reported
        // error and the printed order.
        terms.sort_unstable();
        let mut requirements = Vec::with_capacity(terms.len());
        for term in terms {
            if term.is_empty() {
                continue;
            }
            let Some((field, operator, raw)) = split_term(term) else {
                return Err(SelectorError::FieldSyntax {
                    selector: selector.to_string(),
                    term: term.to_string(),
                });
            };
            requirements.push(FieldRequirement {
                field: field.to_string(),
                operator,
                value: unescape_value(raw)?,
            });
        }
        Ok(FieldSelector { requirements })
    }

    /// True when the selector has no terms.
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// The terms, in evaluation order.
    pub fn requirements(&self) -> &[FieldRequirement] {
        &self.requirements
    }

    /// If some `=`/`==` term pins `field`, the first such value. This is how
    /// `metadata.name=x` is recognised as a single-object request.
    pub fn requires_exact_match(&self, field: &str) -> Option<&str> {
        self.requirements
            .iter()
            .find(|r| r.operator == FieldOperator::Equals && r.field == field)
            .map(|r| r.value.as_str())
    }

    /// Whether an object matches; `lookup` returns a field's value, `None`
    /// (treated as `""`) when the object has none.
    pub fn matches(&self, lookup: impl Fn(&str) -> Option<String>) -> bool {
        self.requirements
            .iter()
            .all(|r| r.matches(lookup(&r.field).as_deref()))
    }
}

impl fmt::Display for FieldSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.requirements.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{r}")?;
        }
        Ok(())
    }
}

/// Escapes a literal value for use in a field selector (`fields.EscapeValue`).
pub fn escape_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '\\' | ',' | '=') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Reverses [`escape_value`] (`fields.UnescapeValue`).
pub fn unescape_value(raw: &str) -> Result<String, SelectorError> {
    let mut out = String::with_capacity(raw.len());
    let mut in_slash = false;
    for c in raw.chars() {
        if in_slash {
            if !matches!(c, '\\' | ',' | '=') {
                return Err(SelectorError::InvalidEscape {
                    sequence: format!("\\{c}"),
                });
            }
            out.push(c);
            in_slash = false;
            continue;
        }
        match c {
            '\\' => in_slash = true,
            ',' | '=' => return Err(SelectorError::UnescapedCharacter(c)),
            c => out.push(c),
        }
    }
    if in_slash {
        return Err(SelectorError::InvalidEscape {
            sequence: "\\".to_string(),
        });
    }
    Ok(out)
}

/// Splits on commas not preceded by a backslash escape; escapes stay in the
/// returned terms.
fn split_terms(selector: &str) -> Vec<&str> {
    if selector.is_empty() {
        return Vec::new();
    }
    let mut terms = Vec::new();
    let mut start = 0;
    let mut in_slash = false;
    for (i, c) in selector.char_indices() {
        if in_slash {
            in_slash = false;
        } else if c == '\\' {
            in_slash = true;
        } else if c == ',' {
            terms.push(selector.get(start..i).unwrap_or(""));
            start = i + 1;
        }
    }
    terms.push(selector.get(start..).unwrap_or(""));
    terms
}

/// Splits a term at the first operator; `!=` and `==` win over `=` at the
/// same position. The field part supports no escaping.
fn split_term(term: &str) -> Option<(&str, FieldOperator, &str)> {
    for (i, _) in term.char_indices() {
        let rest = term.get(i..).unwrap_or("");
        let lhs = term.get(..i).unwrap_or("");
        for (op, operator) in [
            ("!=", FieldOperator::NotEquals),
            ("==", FieldOperator::Equals),
            ("=", FieldOperator::Equals),
        ] {
            if let Some(rhs) = rest.strip_prefix(op) {
                return Some((lhs, operator, rhs));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(s: &str) -> FieldSelector {
        FieldSelector::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    fn lookup<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |f| pairs.iter().find(|(k, _)| *k == f).map(|(_, v)| v.to_string())
    }

    #[test]
    fn good_selectors_parse() {
        for s in [
            "x=a,y=b,z=c",
            "",
            "x!=a,y=b",
            "x=",
            "x= ",
            "x=,z= ",
            "x= ,z= ",
            "x==a",
            ",,x=a,,",
            "=a",
            "x=a\\,b",
            "x=a\\=b",
            "x=a\\\\b",
            "x=\\\\",
            "metadata.name=héllo",
        ] {
            parse(s);
        }
    }

    #[test]
    fn bad_selectors_fail_with_upstream_messages() {
        let err = |s: &str| FieldSelector::parse(s).unwrap_err().to_string();
        assert_eq!(err("x"), "invalid selector: 'x'; can't understand 'x'");
        assert_eq!(
            err("x=a,y,z"),
            "invalid selector: 'x=a,y,z'; can't understand 'y'"
        );
        assert_eq!(
            err("x=a||y=b"),
            "invalid field selector: unescaped character in value: 61"
        );
        assert_eq!(
            err("x==a==b"),
            "invalid field selector: unescaped character in value: 61"
        );
        assert_eq!(
            err("x=a\\b"),
            "invalid field selector: invalid escape sequence: \\b"
        );
        assert_eq!(
            err("x=a\\"),
            "invalid field selector: invalid escape sequence: \\"
        );
        // Terms are sorted before parsing: "a" sorts before "z=1".
        assert_eq!(err("z=1,a"), "invalid selector: 'z=1,a'; can't understand 'a'");
    }

    #[test]
    fn structure_and_order() {
        let s = parse("z=1,a!=2,m==3");
        let reqs = s.requirements();
        assert_eq!(reqs.len(), 3);
        assert_eq!(
            (reqs[0].field.as_str(), reqs[0].operator),
            ("a", FieldOperator::NotEquals)
        );
        assert_eq!(
            (reqs[1].field.as_str(), reqs[1].operator),
            ("m", FieldOperator::Equals)
        );
        assert_eq!(s.to_string(), "a!=2,m=3,z=1");
        let v = parse("x=a\\,b\\=c\\\\d");
        assert_eq!(v.requirements()[0].value, "a,b=c\\d");
        assert_eq!(v.to_string(), "x=a\\,b\\=c\\\\d");
        // The operator is the first one found, scanning left to right.
        let w = parse("a!b=c");
        assert_eq!(w.requirements()[0].field, "a!b");
        assert!(parse("").is_empty());
        assert!(parse(",,").is_empty());
    }

    #[test]
    fn matching_treats_missing_as_empty() {
        let obj = [("metadata.name", "foo"), ("status.phase", "Running")];
        for (sel, want) in [
            ("metadata.name=foo", true),
            ("metadata.name==foo", true),
            ("metadata.name=bar", false),
            ("metadata.name!=bar", true),
            ("metadata.name=foo,status.phase=Running", true),
            ("metadata.name=foo,status.phase!=Running", false),
            ("spec.nodeName=", true),
            ("spec.nodeName!=", false),
            ("spec.nodeName!=x", true),
            ("", true),
        ] {
            assert_eq!(parse(sel).matches(lookup(&obj)), want, "{sel}");
        }
    }

    #[test]
    fn exact_match() {
        assert_eq!(
            parse("metadata.name=x").requires_exact_match("metadata.name"),
            Some("x")
        );
        assert_eq!(
            parse("metadata.name==x,a=b").requires_exact_match("metadata.name"),
            Some("x")
        );
        assert_eq!(
            parse("metadata.name!=x").requires_exact_match("metadata.name"),
            None
        );
        assert_eq!(
            parse("metadata.name=b,metadata.name=a").requires_exact_match("metadata.name"),
            Some("a")
        );
    }

    proptest! {
        #[test]
        fn print_then_parse_round_trips(
            terms in proptest::collection::vec(
                ("[a-z][a-z.]{0,8}", any::<bool>(), "[a-z0-9,=\\\\ .-]{0,8}"),
                0..5,
            )
        ) {
            let reqs: Vec<FieldRequirement> = terms
                .into_iter()
                .map(|(field, eq, value)| FieldRequirement {
                    field,
                    operator: if eq { FieldOperator::Equals } else { FieldOperator::NotEquals },
                    value,
                })
                .collect();
            let printed = FieldSelector::from_requirements(reqs).to_string();
            let parsed = FieldSelector::parse(&printed).unwrap();
            let reprinted = parsed.to_string();
            prop_assert_eq!(FieldSelector::parse(&reprinted).unwrap(), parsed.clone());
            prop_assert_eq!(parsed.to_string(), reprinted);
        }

        #[test]
        fn arbitrary_strings_never_panic(s in "\\PC{0,40}") {
            if let Ok(sel) = FieldSelector::parse(&s) {
                let _ = sel.matches(|_| None);
                let _ = FieldSelector::parse(&sel.to_string());
            }
        }
    }
}
