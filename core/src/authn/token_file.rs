//! Static tokens (`--token-auth-file`): a CSV file of `token,user,uid[,"group1,group2"]`,
//! read as kube reads it (Go's CSV rules, extra columns ignored, an empty token skipped
//! with a warning, a repeated token replacing the earlier one with a warning).

use std::collections::HashMap;

use crate::api::ApiError;
use crate::server::effect::{Flow, Lookups};

use super::token::TokenAuthenticator;
use super::UserInfo;

/// The users of a token file, by token.
#[derive(Debug, Default)]
pub struct TokenFile {
    users: HashMap<String, UserInfo>,
}

impl TokenFile {
    /// Parses the file at `path` (named in messages) with contents `text`: the tokens, and
    /// the warnings to log; or kube's error for a file it refuses.
    pub fn parse(path: &str, text: &str) -> Result<(TokenFile, Vec<String>), String> {
        let mut users = HashMap::new();
        let mut warnings = Vec::new();
        let records = csv_records(text).map_err(|e| format!("token file '{path}': {e}"))?;
        for (i, record) in records.into_iter().enumerate() {
            let number = i + 1;
            if record.len() < 3 {
                return Err(format!(
                    "token file '{path}' must have at least 3 columns (token, user name, user uid), found {}",
                    record.len()
                ));
            }
            if record[0].is_empty() {
                warnings.push(format!(
                    "empty token has been found in token file '{path}', record number '{number}'"
                ));
                continue;
            }
            let user = UserInfo {
                name: record[1].clone(),
                uid: record[2].clone(),
                groups: record
                    .get(3)
                    .map(|g| g.split(',').map(str::to_string).collect())
                    .unwrap_or_default(),
                ..UserInfo::default()
            };
            if users.insert(record[0].clone(), user).is_some() {
                warnings.push(format!(
                    "duplicate token has been found in token file '{path}', record number '{number}'"
                ));
            }
        }
        Ok((TokenFile { users }, warnings))
    }

    /// How many tokens it holds.
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }
}

impl TokenAuthenticator for TokenFile {
    fn name(&self) -> &'static str {
        "TokenFile"
    }

    fn authenticate_token(
        &self,
        token: &str,
        _audiences: &[String],
        _cx: &Lookups<'_>,
    ) -> Flow<Result<Option<UserInfo>, ApiError>> {
        Flow::Ready(Ok(self.users.get(token).cloned()))
    }
}

/// Splits CSV text into records as Go's `encoding/csv` does with kube's settings (variable
/// field counts, nothing trimmed, no comments): fields may be quoted, `""` is a quote inside
/// a quoted field, quoted fields may span lines, blank lines are skipped, `\r\n` ends a line.
/// Errors read as Go's `csv.ParseError`.
fn csv_records(text: &str) -> Result<Vec<Vec<String>>, String> {
    let normalized = text.replace("\r\n", "\n");
    let lines: Vec<&str> = normalized.split_inclusive('\n').collect();
    let mut records = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let start_line = i + 1;
        let first = lines[i];
        if first == "\n" {
            i += 1;
            continue;
        }
        let mut record = Vec::new();
        // The current line, and the byte position in it.
        let mut line = first.strip_suffix('\n').unwrap_or(first);
        let mut pos = 0;
        loop {
            let rest = &line[pos..];
            if let Some(quoted) = rest.strip_prefix('"') {
                let mut field = String::new();
                let mut body = quoted;
                let mut col = pos + 1;
                loop {
                    match body.find('"') {
                        Some(q) => {
                            field.push_str(&body[..q]);
                            let after = &body[q + 1..];
                            col += q + 1;
                            if let Some(more) = after.strip_prefix('"') {
                                field.push('"');
                                body = more;
                                col += 1;
                            } else if after.is_empty() || after.starts_with(',') {
                                pos = line.len() - after.len();
                                break;
                            } else {
                                return Err(parse_error(
                                    start_line,
                                    i + 1,
                                    col + 1,
                                    "extraneous or missing \" in quoted-field",
                                ));
                            }
                        }
                        None => {
                            // The field goes on past this line.
                            field.push_str(body);
                            i += 1;
                            if i >= lines.len() {
                                return Err(parse_error(
                                    start_line,
                                    i,
                                    line.len() + 1,
                                    "extraneous or missing \" in quoted-field",
                                ));
                            }
                            field.push('\n');
                            let next = lines[i];
                            line = next.strip_suffix('\n').unwrap_or(next);
                            body = line;
                            col = 0;
                        }
                    }
                }
                record.push(field);
            } else {
                let end = rest.find(',').unwrap_or(rest.len());
                let field = &rest[..end];
                if let Some(q) = field.find('"') {
                    return Err(parse_error(
                        start_line,
                        i + 1,
                        pos + q + 1,
                        "bare \" in non-quoted-field",
                    ));
                }
                record.push(field.to_string());
                pos += end;
            }
            if line[pos..].starts_with(',') {
                pos += 1;
                continue;
            }
            break;
        }
        records.push(record);
        i += 1;
    }
    Ok(records)
}

/// Go's `csv.ParseError` text.
fn parse_error(start_line: usize, line: usize, column: usize, what: &str) -> String {
    if start_line == line {
        format!("parse error on line {line}, column {column}: {what}")
    } else {
        format!("record on line {start_line}; parse error on line {line}, column {column}: {what}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<(TokenFile, Vec<String>), String> {
        TokenFile::parse("/etc/tokens.csv", text)
    }

    #[test]
    fn kube_format_with_groups_and_extra_columns() {
        let (f, warnings) = parse(
            "t1,alice,u1,\"devs,ops\"\n\nt2,bob,u2\r\nt3,carol,u3,admins,ignored,\"x\"\n#t4, dave,u4,\n",
        )
        .unwrap();
        assert!(warnings.is_empty());
        assert_eq!(f.len(), 4);
        // Nothing is trimmed, and `#` starts no comment.
        assert_eq!(f.users["#t4"].name, " dave");
        assert_eq!(f.users["#t4"].groups, vec![""]);
        let alice = &f.users["t1"];
        assert_eq!((alice.name.as_str(), alice.uid.as_str()), ("alice", "u1"));
        assert_eq!(alice.groups, vec!["devs", "ops"]);
        assert!(f.users["t2"].groups.is_empty());
        assert_eq!(f.users["t3"].groups, vec!["admins"]);
    }

    #[test]
    fn too_few_columns_is_kube_error() {
        assert_eq!(
            parse("t1,alice,u1\nt2,bob\n").unwrap_err(),
            "token file '/etc/tokens.csv' must have at least 3 columns (token, user name, user uid), found 2"
        );
    }

    #[test]
    fn empty_and_duplicate_tokens_warn() {
        let (f, warnings) = parse(",nobody,u0\nt,first,u1\nt,second,u2\n").unwrap();
        assert_eq!(f.users["t"].name, "second");
        assert_eq!(
            warnings,
            vec![
                "empty token has been found in token file '/etc/tokens.csv', record number '1'",
                "duplicate token has been found in token file '/etc/tokens.csv', record number '3'"
            ]
        );
    }

    #[test]
    fn quotes_follow_go_csv() {
        let (f, _) = parse("\"a\"\"b\",\"multi\nline\",u\n").unwrap();
        assert_eq!(f.users["a\"b"].name, "multi\nline");
        assert_eq!(
            parse("a,b,c\nx\"y,c,d\n").unwrap_err(),
            "token file '/etc/tokens.csv': parse error on line 2, column 2: bare \" in non-quoted-field"
        );
        assert_eq!(
            parse("\"a\"b,c,d\n").unwrap_err(),
            "token file '/etc/tokens.csv': parse error on line 1, column 4: extraneous or missing \" in quoted-field"
        );
        assert!(parse("\"open,c,d\nmore\n")
            .unwrap_err()
            .contains("record on line 1; parse error on line 2"));
    }
}
