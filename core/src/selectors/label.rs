//! Label selectors: the string language of `k8s.io/apimachinery/pkg/labels`
//! (`labels.Parse`) and the structured `metav1.LabelSelector` form.
//!
//! Grammar (comma means AND):
//!
//! ```text
//! selector    := requirement ( "," requirement )*
//! requirement := [ "!" ] KEY [ set-restriction | exact-restriction ]
//! set-restriction   := ( "in" | "notin" ) "(" VALUE ( "," VALUE )* ")"
//! exact-restriction := ( "=" | "==" | "!=" | ">" | "<" ) VALUE
//! ```
//!
//! Parsing follows the upstream lexer byte for byte, including its quirks
//! (values are deduplicated and sorted, `()` means the empty value, a NUL byte
//! ends the input), because clients see its error messages.

use std::collections::BTreeSet;
use std::fmt;

use serde_json::{Map, Value};

use super::validation::{go_quote, go_string_slice, label_value_errors, qualified_name_errors};
use super::SelectorError;

/// How a [`Requirement`] relates a label key to its values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operator {
    /// `key in (a,b)`: the label exists and has one of the values.
    In,
    /// `key notin (a,b)`: the label is absent or has none of the values.
    NotIn,
    /// `key=a`.
    Equals,
    /// `key==a` (same meaning as `=`; kept apart so printing round-trips).
    DoubleEquals,
    /// `key!=a`: the label is absent or has another value.
    NotEquals,
    /// `key`: the label exists.
    Exists,
    /// `!key`: the label does not exist.
    DoesNotExist,
    /// `key>3`: the label exists and is an integer greater than the value.
    GreaterThan,
    /// `key<3`: the label exists and is an integer less than the value.
    LessThan,
}

impl Operator {
    /// The operator's name as Kubernetes spells it (`selection.Operator`).
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::In => "in",
            Operator::NotIn => "notin",
            Operator::Equals => "=",
            Operator::DoubleEquals => "==",
            Operator::NotEquals => "!=",
            Operator::Exists => "exists",
            Operator::DoesNotExist => "!",
            Operator::GreaterThan => "gt",
            Operator::LessThan => "lt",
        }
    }
}

/// One condition of a label selector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requirement {
    key: String,
    operator: Operator,
    values: Vec<String>,
}

impl Requirement {
    /// Builds a requirement, validating it as `labels.NewRequirement` does.
    pub fn new(key: &str, operator: Operator, values: Vec<String>) -> Result<Self, SelectorError> {
        Self::validated(key, operator, values).map_err(SelectorError::InvalidLabelSelector)
    }

    /// Validation with the aggregated upstream message as the error.
    fn validated(key: &str, operator: Operator, values: Vec<String>) -> Result<Self, String> {
        let mut errs: Vec<String> = Vec::new();
        let key_errs = qualified_name_errors(key);
        if !key_errs.is_empty() {
            errs.push(format!(
                "key: Invalid value: {}: {}",
                go_quote(key),
                key_errs.join("; ")
            ));
        }
        // Upstream copies the caller's slice, so an empty list renders as nil.
        let rendered = || {
            if values.is_empty() {
                go_string_slice(None)
            } else {
                go_string_slice(Some(&values))
            }
        };
        match operator {
            Operator::In | Operator::NotIn => {
                if values.is_empty() {
                    errs.push(format!(
                        "values: Invalid value: {}: for 'in', 'notin' operators, values set can't be empty",
                        rendered()
                    ));
                }
            }
            Operator::Equals | Operator::DoubleEquals | Operator::NotEquals => {
                if values.len() != 1 {
                    errs.push(format!(
                        "values: Invalid value: {}: exact-match compatibility requires one single value",
                        rendered()
                    ));
                }
            }
            Operator::Exists | Operator::DoesNotExist => {
                if !values.is_empty() {
                    errs.push(format!(
                        "values: Invalid value: {}: values set must be empty for exists and does not exist",
                        rendered()
                    ));
                }
            }
            Operator::GreaterThan | Operator::LessThan => {
                if values.len() != 1 {
                    errs.push(format!(
                        "values: Invalid value: {}: for 'Gt', 'Lt' operators, exactly one value is required",
                        rendered()
                    ));
                }
                for (i, v) in values.iter().enumerate() {
                    if v.parse::<i64>().is_err() {
                        errs.push(format!(
                            "values[{i}]: Invalid value: {}: for 'Gt', 'Lt' operators, the value must be an integer",
                            go_quote(v)
                        ));
                    }
                }
            }
        }
        for (i, v) in values.iter().enumerate() {
            let value_errs = label_value_errors(v);
            if !value_errs.is_empty() {
                errs.push(format!(
                    "values[{i}][{key}]: Invalid value: {}: {}",
                    go_quote(v),
                    value_errs.join("; ")
                ));
            }
        }
        if errs.is_empty() {
            Ok(Requirement {
                key: key.to_string(),
                operator,
                values,
            })
        } else {
            Err(aggregate(errs))
        }
    }

    /// The label key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The operator.
    pub fn operator(&self) -> Operator {
        self.operator
    }

    /// The values, in the order they were given (sorted and deduplicated
    /// when parsed from a string).
    pub fn values(&self) -> &[String] {
        &self.values
    }

    fn has_value(&self, v: &str) -> bool {
        self.values.iter().any(|x| x == v)
    }

    /// Whether a label set, seen through `lookup`, satisfies this requirement.
    pub fn matches_with<'a>(&self, lookup: &impl Fn(&str) -> Option<&'a str>) -> bool {
        match self.operator {
            Operator::In | Operator::Equals | Operator::DoubleEquals => {
                lookup(&self.key).is_some_and(|v| self.has_value(v))
            }
            Operator::NotIn | Operator::NotEquals => lookup(&self.key).is_none_or(|v| !self.has_value(v)),
            Operator::Exists => lookup(&self.key).is_some(),
            Operator::DoesNotExist => lookup(&self.key).is_none(),
            Operator::GreaterThan | Operator::LessThan => {
                let Some(Ok(have)) = lookup(&self.key).map(str::parse::<i64>) else {
                    return false;
                };
                let [want] = self.values.as_slice() else {
                    return false;
                };
                let Ok(want) = want.parse::<i64>() else {
                    return false;
                };
                if self.operator == Operator::GreaterThan {
                    have > want
                } else {
                    have < want
                }
            }
        }
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.operator == Operator::DoesNotExist {
            f.write_str("!")?;
        }
        f.write_str(&self.key)?;
        let op = match self.operator {
            Operator::Exists | Operator::DoesNotExist => return Ok(()),
            Operator::Equals => "=",
            Operator::DoubleEquals => "==",
            Operator::NotEquals => "!=",
            Operator::In => " in ",
            Operator::NotIn => " notin ",
            Operator::GreaterThan => ">",
            Operator::LessThan => "<",
        };
        f.write_str(op)?;
        let set = matches!(self.operator, Operator::In | Operator::NotIn);
        if set {
            f.write_str("(")?;
        }
        // Printing sorts the values without touching the requirement.
        let mut sorted: Vec<&str> = self.values.iter().map(String::as_str).collect();
        sorted.sort_unstable();
        f.write_str(&sorted.join(","))?;
        if set {
            f.write_str(")")?;
        }
        Ok(())
    }
}

/// A label selector: the AND of its requirements. The empty selector matches
/// everything; [`LabelSelector::nothing`] (a null `metav1.LabelSelector`)
/// matches nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabelSelector {
    requirements: Vec<Requirement>,
    nothing: bool,
}

impl LabelSelector {
    /// The selector that matches every object.
    pub fn everything() -> Self {
        Self::default()
    }

    /// The selector that matches no object.
    pub fn nothing() -> Self {
        LabelSelector {
            requirements: Vec::new(),
            nothing: true,
        }
    }

    /// Parses the `labelSelector` query syntax (`labels.Parse`).
    pub fn parse(selector: &str) -> Result<Self, SelectorError> {
        let mut parser = Parser::new(selector);
        let mut requirements = parser.parse().map_err(SelectorError::LabelSyntax)?;
        // Stable, so requirements on the same key keep their order and
        // printing then re-parsing gives back the same selector.
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(LabelSelector {
            requirements,
            nothing: false,
        })
    }

    /// Converts a `metav1.LabelSelector` object (`matchLabels` +
    /// `matchExpressions`) as `metav1.LabelSelectorAsSelector` does.
    /// JSON `null` yields [`LabelSelector::nothing`]; `{}` yields everything.
    pub fn from_label_selector_json(value: &Value) -> Result<Self, SelectorError> {
        let invalid = |m: String| SelectorError::InvalidLabelSelector(m);
        let obj = match value {
            Value::Null => return Ok(Self::nothing()),
            Value::Object(o) => o,
            _ => return Err(invalid("label selector must be an object".to_string())),
        };
        let match_labels = match obj.get("matchLabels") {
            None | Some(Value::Null) => None,
            Some(Value::Object(m)) => Some(m),
            Some(_) => return Err(invalid("matchLabels must be an object".to_string())),
        };
        let match_expressions = match obj.get("matchExpressions") {
            None | Some(Value::Null) => None,
            Some(Value::Array(a)) => Some(a),
            Some(_) => return Err(invalid("matchExpressions must be an array".to_string())),
        };
        let mut requirements = Vec::new();
        if let Some(labels) = match_labels {
            // Upstream walks a Go map (random order); sorting keys makes the
            // reported error deterministic.
            let mut keys: Vec<&String> = labels.keys().collect();
            keys.sort();
            for k in keys {
                let v = match labels.get(k) {
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Null) | None => String::new(),
                    Some(_) => {
                        return Err(invalid(format!("matchLabels[{k}] must be a string")));
                    }
                };
                requirements.push(Requirement::new(k, Operator::Equals, vec![v])?);
            }
        }
        for expr in match_expressions.into_iter().flatten() {
            let Value::Object(expr) = expr else {
                return Err(invalid("matchExpressions items must be objects".to_string()));
            };
            let text = |name: &str| -> Result<String, SelectorError> {
                match expr.get(name) {
                    None | Some(Value::Null) => Ok(String::new()),
                    Some(Value::String(s)) => Ok(s.clone()),
                    Some(_) => Err(invalid(format!("{name} must be a string"))),
                }
            };
            let key = text("key")?;
            let op_name = text("operator")?;
            let operator = match op_name.as_str() {
                "In" => Operator::In,
                "NotIn" => Operator::NotIn,
                "Exists" => Operator::Exists,
                "DoesNotExist" => Operator::DoesNotExist,
                other => {
                    return Err(invalid(format!(
                        "{} is not a valid pod selector operator",
                        go_quote(other)
                    )))
                }
            };
            let values = match expr.get("values") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(vs)) => vs
                    .iter()
                    .map(|v| match v {
                        Value::String(s) => Ok(s.clone()),
                        _ => Err(invalid("values must be strings".to_string())),
                    })
                    .collect::<Result<Vec<_>, _>>()?,
                Some(_) => return Err(invalid("values must be an array".to_string())),
            };
            requirements.push(Requirement::new(&key, operator, values)?);
        }
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(LabelSelector {
            requirements,
            nothing: false,
        })
    }

    /// True when the selector does not restrict anything (matches all).
    pub fn is_empty(&self) -> bool {
        !self.nothing && self.requirements.is_empty()
    }

    /// True for the selector built from a null `metav1.LabelSelector`.
    pub fn matches_nothing(&self) -> bool {
        self.nothing
    }

    /// The requirements, sorted by key.
    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }

    /// If the selector pins `key` to a single value (`=`, `==`, or `in` with
    /// one value on the first requirement for that key), that value.
    pub fn requires_exact_match(&self, key: &str) -> Option<&str> {
        let r = self.requirements.iter().find(|r| r.key == key)?;
        match (r.operator, r.values.as_slice()) {
            (Operator::Equals | Operator::DoubleEquals | Operator::In, [v]) => Some(v),
            _ => None,
        }
    }

    /// Matches against a label set seen through `lookup`.
    pub fn matches_fn<'a>(&self, lookup: impl Fn(&str) -> Option<&'a str>) -> bool {
        !self.nothing && self.requirements.iter().all(|r| r.matches_with(&lookup))
    }

    /// Matches against a `metadata.labels` map. Non-string values count as
    /// absent.
    pub fn matches_map(&self, labels: &Map<String, Value>) -> bool {
        self.matches_fn(|k| labels.get(k).and_then(Value::as_str))
    }

    /// Matches against an object's `metadata.labels` value (absent, null or
    /// an object of strings).
    pub fn matches(&self, labels: Option<&Value>) -> bool {
        match labels.and_then(Value::as_object) {
            Some(map) => self.matches_map(map),
            None => self.matches_fn(|_| None),
        }
    }
}

impl fmt::Display for LabelSelector {
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

/// Joins field errors like `utilerrors.Aggregate`: duplicates dropped, a
/// single message bare, several in brackets.
fn aggregate(errs: Vec<String>) -> String {
    let mut unique: Vec<String> = Vec::with_capacity(errs.len());
    for e in errs {
        if !unique.contains(&e) {
            unique.push(e);
        }
    }
    if unique.len() == 1 {
        unique.pop().unwrap_or_default()
    } else {
        format!("[{}]", unique.join(", "))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token {
    Error,
    EndOfString,
    ClosedPar,
    Comma,
    DoesNotExist,
    DoubleEquals,
    Equals,
    GreaterThan,
    Identifier,
    In,
    LessThan,
    NotEquals,
    NotIn,
    OpenPar,
}

fn literal_token(s: &str) -> Option<Token> {
    Some(match s {
        ")" => Token::ClosedPar,
        "," => Token::Comma,
        "!" => Token::DoesNotExist,
        "==" => Token::DoubleEquals,
        "=" => Token::Equals,
        ">" => Token::GreaterThan,
        "in" => Token::In,
        "<" => Token::LessThan,
        "!=" => Token::NotEquals,
        "notin" => Token::NotIn,
        "(" => Token::OpenPar,
        _ => return None,
    })
}

fn is_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_special(b: u8) -> bool {
    matches!(b, b'=' | b'!' | b'(' | b')' | b',' | b'>' | b'<')
}

/// The upstream lexer. Works on bytes; every token boundary is an ASCII
/// byte, so literals are always whole UTF-8 substrings.
struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    /// Next byte, or 0 at the end. A NUL byte also reads as 0 (and is
    /// consumed), which upstream treats as end of input.
    fn read(&mut self) -> u8 {
        match self.src.as_bytes().get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                b
            }
            None => 0,
        }
    }

    fn unread(&mut self) {
        self.pos = self.pos.saturating_sub(1);
    }

    fn slice(&self, start: usize, end: usize) -> &'a str {
        self.src.get(start..end).unwrap_or("")
    }

    fn scan_id_or_keyword(&mut self) -> (Token, &'a str) {
        let start = self.pos;
        let end;
        loop {
            let at = self.pos;
            let ch = self.read();
            if ch == 0 {
                end = at;
                break;
            }
            if is_special(ch) || is_whitespace(ch) {
                self.unread();
                end = at;
                break;
            }
        }
        let lit = self.slice(start, end);
        (literal_token(lit).unwrap_or(Token::Identifier), lit)
    }

    fn scan_special_symbol(&mut self) -> (Token, &'a str) {
        let start = self.pos;
        let mut last: Option<(Token, usize)> = None;
        loop {
            let ch = self.read();
            if ch == 0 {
                break;
            }
            if !is_special(ch) {
                self.unread();
                break;
            }
            match literal_token(self.slice(start, self.pos)) {
                Some(tok) => last = Some((tok, self.pos)),
                None if last.is_some() => {
                    self.unread();
                    break;
                }
                None => {}
            }
        }
        match last {
            Some((tok, end)) => (tok, self.slice(start, end)),
            // Unreachable with the current symbol table; kept for parity.
            None => (Token::Error, ""),
        }
    }

    fn lex(&mut self) -> (Token, &'a str) {
        let mut ch = self.read();
        while is_whitespace(ch) {
            ch = self.read();
        }
        if ch == 0 {
            return (Token::EndOfString, "");
        }
        self.unread();
        if is_special(ch) {
            self.scan_special_symbol()
        } else {
            self.scan_id_or_keyword()
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    KeyAndOperator,
    Values,
}

struct Parser<'a> {
    items: Vec<(Token, &'a str)>,
    position: usize,
}

impl<'a> Parser<'a> {
    fn new(src: &'a str) -> Self {
        let mut lexer = Lexer { src, pos: 0 };
        let mut items = Vec::new();
        loop {
            let item = lexer.lex();
            items.push(item);
            // Every non-final token consumes at least one byte, so this ends.
            if item.0 == Token::EndOfString {
                break;
            }
        }
        Parser { items, position: 0 }
    }

    fn item(&self, at: usize, ctx: Context) -> (Token, &'a str) {
        let (tok, lit) = self.items.get(at).copied().unwrap_or((Token::EndOfString, ""));
        // In value position the keywords are ordinary identifiers.
        match (ctx, tok) {
            (Context::Values, Token::In | Token::NotIn) => (Token::Identifier, lit),
            _ => (tok, lit),
        }
    }

    fn lookahead(&self, ctx: Context) -> (Token, &'a str) {
        self.item(self.position, ctx)
    }

    fn consume(&mut self, ctx: Context) -> (Token, &'a str) {
        let item = self.item(self.position, ctx);
        self.position += 1;
        item
    }

    fn parse(&mut self) -> Result<Vec<Requirement>, String> {
        let mut requirements = Vec::new();
        loop {
            let (tok, lit) = self.lookahead(Context::Values);
            match tok {
                Token::Identifier | Token::DoesNotExist => {
                    let r = self
                        .parse_requirement()
                        .map_err(|e| format!("unable to parse requirement: {e}"))?;
                    requirements.push(r);
                    let (t, l) = self.consume(Context::Values);
                    match t {
                        Token::EndOfString => return Ok(requirements),
                        Token::Comma => {
                            let (t2, l2) = self.lookahead(Context::Values);
                            if t2 != Token::Identifier && t2 != Token::DoesNotExist {
                                return Err(format!("found '{l2}', expected: identifier after ','"));
                            }
                        }
                        _ => return Err(format!("found '{l}', expected: ',' or 'end of string'")),
                    }
                }
                Token::EndOfString => return Ok(requirements),
                _ => {
                    return Err(format!(
                        "found '{lit}', expected: !, identifier, or 'end of string'"
                    ))
                }
            }
        }
    }

    fn parse_requirement(&mut self) -> Result<Requirement, String> {
        let (key, inferred) = self.parse_key_and_infer_operator()?;
        if let Some(op @ (Operator::Exists | Operator::DoesNotExist)) = inferred {
            return Requirement::validated(key, op, Vec::new());
        }
        let operator = self.parse_operator()?;
        let values = match operator {
            Operator::In | Operator::NotIn => self.parse_values()?,
            _ => self.parse_exact_value()?,
        };
        Requirement::validated(key, operator, values.into_iter().collect())
    }

    fn parse_key_and_infer_operator(&mut self) -> Result<(&'a str, Option<Operator>), String> {
        let mut operator = None;
        let (mut tok, mut lit) = self.consume(Context::Values);
        if tok == Token::DoesNotExist {
            operator = Some(Operator::DoesNotExist);
            (tok, lit) = self.consume(Context::Values);
        }
        if tok != Token::Identifier {
            return Err(format!("found '{lit}', expected: identifier"));
        }
        let errs = qualified_name_errors(lit);
        if !errs.is_empty() {
            // The parser validates keys against a nil field path.
            return Err(format!(
                "<nil>: Invalid value: {}: {}",
                go_quote(lit),
                errs.join("; ")
            ));
        }
        let (next, _) = self.lookahead(Context::Values);
        if (next == Token::EndOfString || next == Token::Comma) && operator != Some(Operator::DoesNotExist) {
            operator = Some(Operator::Exists);
        }
        Ok((lit, operator))
    }

    fn parse_operator(&mut self) -> Result<Operator, String> {
        let (tok, lit) = self.consume(Context::KeyAndOperator);
        Ok(match tok {
            Token::In => Operator::In,
            Token::Equals => Operator::Equals,
            Token::DoubleEquals => Operator::DoubleEquals,
            Token::GreaterThan => Operator::GreaterThan,
            Token::LessThan => Operator::LessThan,
            Token::NotIn => Operator::NotIn,
            Token::NotEquals => Operator::NotEquals,
            _ => return Err(format!("found '{lit}', expected: in, notin, =, ==, !=, gt, lt")),
        })
    }

    fn parse_values(&mut self) -> Result<BTreeSet<String>, String> {
        let (tok, lit) = self.consume(Context::Values);
        if tok != Token::OpenPar {
            return Err(format!("found '{lit}' expected: '('"));
        }
        let (tok, lit) = self.lookahead(Context::Values);
        match tok {
            Token::Identifier | Token::Comma => {
                let set = self.parse_identifiers_list()?;
                if self.consume(Context::Values).0 != Token::ClosedPar {
                    return Err(format!("found '{lit}', expected: ')'"));
                }
                Ok(set)
            }
            Token::ClosedPar => {
                self.consume(Context::Values);
                Ok(BTreeSet::from([String::new()]))
            }
            _ => Err(format!("found '{lit}', expected: ',', ')' or identifier")),
        }
    }

    fn parse_identifiers_list(&mut self) -> Result<BTreeSet<String>, String> {
        let mut set = BTreeSet::new();
        loop {
            let (tok, lit) = self.consume(Context::Values);
            match tok {
                Token::Identifier => {
                    set.insert(lit.to_string());
                    let (t2, l2) = self.lookahead(Context::Values);
                    match t2 {
                        Token::Comma => continue,
                        Token::ClosedPar => return Ok(set),
                        _ => return Err(format!("found '{l2}', expected: ',' or ')'")),
                    }
                }
                Token::Comma => {
                    // "(," "(a,,b" and ",)" all contribute the empty value.
                    if set.is_empty() {
                        set.insert(String::new());
                    }
                    match self.lookahead(Context::Values).0 {
                        Token::ClosedPar => {
                            set.insert(String::new());
                            return Ok(set);
                        }
                        Token::Comma => {
                            set.insert(String::new());
                        }
                        _ => {}
                    }
                }
                _ => return Err(format!("found '{lit}', expected: ',', or identifier")),
            }
        }
    }

    fn parse_exact_value(&mut self) -> Result<BTreeSet<String>, String> {
        let (tok, _) = self.lookahead(Context::Values);
        if tok == Token::EndOfString || tok == Token::Comma {
            return Ok(BTreeSet::from([String::new()]));
        }
        let (tok, lit) = self.consume(Context::Values);
        if tok == Token::Identifier {
            Ok(BTreeSet::from([lit.to_string()]))
        } else {
            Err(format!("found '{lit}', expected: identifier"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn parse(s: &str) -> LabelSelector {
        LabelSelector::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    fn err(s: &str) -> String {
        match LabelSelector::parse(s) {
            Ok(sel) => panic!("{s:?} parsed as {sel}"),
            Err(e) => e.to_string(),
        }
    }

    fn set(pairs: &[(&str, &str)]) -> Map<String, Value> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
            .collect()
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
            "!x",
            "x>1",
            "x>1,z<5",
            "x<1",
            "x in (a)",
            "x in (a,b,c)",
            "x notin (a)",
            "x in ()",
            "x in (,)",
            "x in (a,,b)",
            "x notin (),y",
            "x,y,z",
            "  x  ,  y   ",
            "\tx\t=\ta\n",
            "example.com/key=value",
            "x==a",
            "in in (in)",
            "notin notin (notin)",
            "x=in",
            "x in (in,notin)",
            "!x,y",
            // A NUL byte where a token would start ends the input.
            "a=b \u{0}garbage(",
        ] {
            parse(s);
        }
    }

    #[test]
    fn bad_selectors_fail() {
        for s in [
            "x=a||y=b",
            "x==a==b",
            "!x=a",
            "x<a",
            "x>1.1",
            "x>a",
            "x in (a",
            "x in a",
            "x notin",
            "x=a,",
            ",x=a",
            "x y",
            "x in (a b)",
            "x=(a)",
            "!",
            "!!x",
            "x!",
            "=a",
            "x>",
            "x>-1",
            "a:b=c",
            "a b=c",
            "a/b/c",
            "x=a b",
            "(x)",
            "x=a)",
            // ...but right after an identifier it only terminates it.
            "a=b\u{0}garbage",
        ] {
            assert!(LabelSelector::parse(s).is_err(), "{s:?} should fail");
        }
    }

    #[test]
    fn upstream_error_messages() {
        assert_eq!(
            err("x y"),
            "unable to parse requirement: found 'y', expected: in, notin, =, ==, !=, gt, lt"
        );
        assert_eq!(err("x=a,"), "found '', expected: identifier after ','");
        assert_eq!(
            err(",x"),
            "found ',', expected: !, identifier, or 'end of string'"
        );
        assert_eq!(err("x=a b"), "found 'b', expected: ',' or 'end of string'");
        assert_eq!(err("!x=a"), "found '=', expected: ',' or 'end of string'");
        assert_eq!(
            err("!"),
            "unable to parse requirement: found '', expected: identifier"
        );
        assert_eq!(
            err("x in a"),
            "unable to parse requirement: found 'a' expected: '('"
        );
        assert_eq!(
            err("x in (a b)"),
            "unable to parse requirement: found 'b', expected: ',' or ')'"
        );
        assert_eq!(
            err("x in (a"),
            "unable to parse requirement: found '', expected: ',' or ')'"
        );
        assert_eq!(
            err("x in (="),
            "unable to parse requirement: found '=', expected: ',', ')' or identifier"
        );
        assert_eq!(
            err("x in (,="),
            "unable to parse requirement: found '=', expected: ',', or identifier"
        );
        assert_eq!(
            err("x=("),
            "unable to parse requirement: found '(', expected: identifier"
        );
        assert_eq!(
            err("a:b=c"),
            "unable to parse requirement: <nil>: Invalid value: \"a:b\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
        );
        assert_eq!(
            err("x>a"),
            "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must be an integer"
        );
        assert_eq!(
            err("x=-a"),
            "unable to parse requirement: values[0][x]: Invalid value: \"-a\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
        );
        // Two problems on one value are bracketed, integer check first.
        let both = err("x>-a");
        assert!(both.starts_with("unable to parse requirement: [values[0]: Invalid value: \"-a\": for 'Gt'"));
        assert!(both.contains(", values[0][x]: Invalid value: \"-a\": a valid label"));
        assert!(both.ends_with("]"));
    }

    #[test]
    fn canonical_printing() {
        for (input, printed) in [
            ("x=a,y=b,z=c", "x=a,y=b,z=c"),
            ("z=c,y=b,x=a", "x=a,y=b,z=c"),
            ("x in (c,b,a)", "x in (a,b,c)"),
            ("x in (a,a,b)", "x in (a,b)"),
            ("x notin (),y", "x notin (),y"),
            ("x in (,)", "x in ()"),
            ("x in (,a)", "x in (,a)"),
            ("!x", "!x"),
            ("x==a", "x==a"),
            ("x!=a", "x!=a"),
            ("x>1,x<5", "x>1,x<5"),
            ("x<5,x>1", "x<5,x>1"),
            ("  x  ", "x"),
            ("x=", "x="),
            ("", ""),
        ] {
            assert_eq!(parse(input).to_string(), printed, "{input:?}");
        }
    }

    #[test]
    fn parsed_structure() {
        let s = parse("x in (b,a),!y,z");
        let reqs = s.requirements();
        assert_eq!(reqs.len(), 3);
        assert_eq!(reqs[0].key(), "x");
        assert_eq!(reqs[0].operator(), Operator::In);
        assert_eq!(reqs[0].values(), ["a", "b"]);
        assert_eq!(reqs[1].operator(), Operator::DoesNotExist);
        assert_eq!(reqs[2].operator(), Operator::Exists);
        assert!(reqs[2].values().is_empty());
        let v = parse("x in (in)");
        assert_eq!(v.requirements()[0].values(), ["in"]);
    }

    #[test]
    fn matching_follows_upstream() {
        let labels = set(&[("x", "a"), ("y", "b"), ("n", "5")]);
        let cases: &[(&str, bool)] = &[
            ("", true),
            ("x=a", true),
            ("x==a", true),
            ("x=b", false),
            ("x!=b", true),
            ("x!=a", false),
            ("q!=a", true),
            ("q notin (a)", true),
            ("x notin (a)", false),
            ("x notin (b,c)", true),
            ("x in (a,b)", true),
            ("q in (a)", false),
            ("x", true),
            ("q", false),
            ("!q", true),
            ("!x", false),
            ("n>4", true),
            ("n>5", false),
            ("n<6", true),
            ("x>1", false),
            ("q<1", false),
            ("x=a,y=b", true),
            ("x=a,y=c", false),
            ("q=", false),
            ("x in ()", false),
        ];
        for (sel, want) in cases {
            assert_eq!(parse(sel).matches_map(&labels), *want, "{sel}");
        }
        assert!(parse("q notin (a)").matches(None));
        assert!(!parse("q").matches(Some(&Value::Null)));
        assert!(parse("x=a").matches(Some(&json!({"x": "a"}))));
    }

    #[test]
    fn exact_match_lookup() {
        assert_eq!(parse("x=a,y=b").requires_exact_match("y"), Some("b"));
        assert_eq!(parse("x in (a)").requires_exact_match("x"), Some("a"));
        assert_eq!(parse("x in (a,b)").requires_exact_match("x"), None);
        assert_eq!(parse("x!=a").requires_exact_match("x"), None);
        assert_eq!(parse("x=a").requires_exact_match("q"), None);
    }

    #[test]
    fn structured_selectors() {
        let s = LabelSelector::from_label_selector_json(&json!({
            "matchLabels": {"b": "2", "a": "1"},
            "matchExpressions": [
                {"key": "c", "operator": "In", "values": ["y", "x"]},
                {"key": "d", "operator": "DoesNotExist"}
            ]
        }))
        .unwrap();
        assert_eq!(s.to_string(), "a=1,b=2,c in (x,y),!d");
        assert!(s.matches_map(&set(&[("a", "1"), ("b", "2"), ("c", "x")])));
        assert!(!s.matches_map(&set(&[("a", "1"), ("b", "2"), ("c", "x"), ("d", "")])));

        let all = LabelSelector::from_label_selector_json(&json!({})).unwrap();
        assert!(all.is_empty());
        assert!(all.matches(None));
        let none = LabelSelector::from_label_selector_json(&Value::Null).unwrap();
        assert!(!none.is_empty());
        assert!(none.matches_nothing());
        assert!(!none.matches(None));
        assert_eq!(none.to_string(), "");
    }

    #[test]
    fn structured_selector_errors() {
        let e = |v: Value| {
            LabelSelector::from_label_selector_json(&v)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            e(json!({"matchExpressions": [{"key": "a", "operator": "Foo"}]})),
            "\"Foo\" is not a valid pod selector operator"
        );
        assert_eq!(
            e(json!({"matchExpressions": [{"key": "a", "operator": "In"}]})),
            "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty"
        );
        assert_eq!(
            e(json!({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]})),
            "values: Invalid value: []string{\"x\"}: values set must be empty for exists and does not exist"
        );
        assert!(e(json!({"matchLabels": {"a b": "x"}}))
            .starts_with("key: Invalid value: \"a b\": name part must consist"));
        assert!(e(json!({"matchLabels": {"a": "x y"}}))
            .starts_with("values[0][a]: Invalid value: \"x y\": a valid label"));
        let two = e(json!({"matchExpressions": [{"key": "", "operator": "NotIn"}]}));
        assert!(
            two.starts_with("[key: Invalid value: \"\": name part must be non-empty; name part must consist")
        );
        assert!(two.ends_with(
            ", values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty]"
        ));
    }

    fn arb_key() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z]([a-z0-9._-]{0,6}[a-z0-9])?",
            "[a-z]{1,5}(\\.[a-z]{1,4}){0,2}/[A-Za-z0-9]([A-Za-z0-9._-]{0,4}[A-Za-z0-9])?",
        ]
    }

    fn arb_value() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::new()),
            "[A-Za-z0-9]([A-Za-z0-9._-]{0,6}[A-Za-z0-9])?",
        ]
    }

    fn arb_requirement() -> impl Strategy<Value = String> {
        (
            arb_key(),
            0..8u8,
            proptest::collection::vec(arb_value(), 1..4),
            -50i64..50,
        )
            .prop_map(|(k, op, vals, n)| match op {
                0 => format!("{k}={}", vals[0]),
                1 => format!("{k}=={}", vals[0]),
                2 => format!("{k}!={}", vals[0]),
                3 => format!("{k} in ({})", vals.join(",")),
                4 => format!("{k} notin ({})", vals.join(",")),
                5 => k,
                6 => format!("!{k}"),
                _ => format!("{k}{}{}", if n % 2 == 0 { ">" } else { "<" }, n.abs()),
            })
    }

    proptest! {
        #[test]
        fn print_then_parse_round_trips(reqs in proptest::collection::vec(arb_requirement(), 0..5)) {
            let text = reqs.join(",");
            let parsed = LabelSelector::parse(&text).unwrap();
            let printed = parsed.to_string();
            let reparsed = LabelSelector::parse(&printed).unwrap();
            prop_assert_eq!(&reparsed, &parsed);
            prop_assert_eq!(reparsed.to_string(), printed);
        }

        #[test]
        fn arbitrary_strings_never_panic(s in "\\PC{0,40}") {
            let _ = LabelSelector::parse(&s);
        }

        #[test]
        fn selector_alphabet_never_panics(s in "[a-z!=<>(), \\t\\x00/.-]{0,40}") {
            if let Ok(sel) = LabelSelector::parse(&s) {
                let _ = sel.matches(None);
                let _ = LabelSelector::parse(&sel.to_string());
            }
        }
    }
}
